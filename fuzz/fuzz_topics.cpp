// SPDX-License-Identifier: MIT
// Fuzz target: the trie subscription index against a plain map of (filter, subscriber) -> QoS
// matched one by one with topic_matches().
//
// Input: [config] then operations until the input ends. config: bit 0 = the '$' rule off,
// bits 1-5 = the options the index validates filters with. Each operation is one byte
// (bits 0-2: the kind, bits 3-5: subscriber 0..7, bits 6-7 modulo 3: a QoS) followed by a length
// byte and the string:
//   0, 1: add(filter, QoS)   2: remove(filter)   3: remove_all   4: contains and find(filter)
//   5, 6: match and match_subscribers(topic)     7: for_each
// Oracles: add/remove refuse exactly the filters validate_topic_filter refuses (same error);
// they report "new"/"was there" as the reference map does, and add replaces the QoS of a pair
// that exists [MQTT-3.8.4-3]; size(), contains() and find() agree; for every valid topic name,
// match() reports exactly the pairs (with their QoS) whose filter topic_matches() accepts, each
// once, and match_subscribers() reports each subscriber of those pairs once, in ascending order,
// with the highest QoS of its pairs [MQTT-3.3.5-1]; for_each() reports every pair once. A topic
// name always matches itself as a filter.
#include "fuzz_common.hpp"

#include <mqttwire/subscription_index.hpp>
#include <mqttwire/topic.hpp>
#include <mqttwire/topic_match.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <tuple>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace mqttwire;
using pair_t = std::pair<std::string, std::uint64_t>;
using triple_t = std::tuple<std::string, std::uint64_t, qos_level>;
using delivery_t = std::pair<std::uint64_t, qos_level>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  fuzz::input in(data, size);
  const std::uint8_t config = in.byte();
  const bool dollar_rule = (config & 1u) == 0;
  const options rules = fuzz::options_from(static_cast<std::uint8_t>(config >> 1));
  subscription_index<std::uint64_t> index(dollar_rule, rules);
  std::map<pair_t, qos_level> ref;

  for (int ops = 0; in.remaining() > 0 && ops < 256; ++ops) {
    const std::uint8_t op = in.byte();
    const std::uint64_t sub = (op >> 3) & 7u;
    const auto qos = static_cast<qos_level>((op >> 6) % 3);
    const std::string_view text = in.short_bytes();
    const error valid = validate_topic_filter(text, rules);
    switch (op & 7u) {
      case 0:
      case 1: {
        const auto r = index.add(text, sub, qos);
        if (valid.code != errc::success) {
          fuzz::expect(!r && r.error() == valid, "add accepts or refuses unlike validate", whole);
          break;
        }
        fuzz::expect(r.has_value(), "add refuses a valid filter", whole);
        const bool fresh = ref.insert_or_assign({std::string(text), sub}, qos).second;
        fuzz::expect(*r == fresh, "add says new/old unlike the reference", whole);
        const qos_level* stored = index.find(text, sub);
        fuzz::expect(stored != nullptr && *stored == qos, "add did not store the QoS", whole);
        break;
      }
      case 2: {
        const auto r = index.remove(text, sub);
        if (valid.code != errc::success) {
          fuzz::expect(!r && r.code() == valid.code, "remove accepts an invalid filter", whole);
          break;
        }
        fuzz::expect(r.has_value(), "remove refuses a valid filter", whole);
        const bool was = ref.erase({std::string(text), sub}) == 1;
        fuzz::expect(*r == was, "remove says there/not there unlike the reference", whole);
        break;
      }
      case 3: {
        const std::size_t n = index.remove_all(sub);
        const std::size_t want = static_cast<std::size_t>(
            std::erase_if(ref, [&](const auto& p) { return p.first.second == sub; }));
        fuzz::expect(n == want, "remove_all removed another number of pairs", whole);
        break;
      }
      case 4: {
        if (valid.code != errc::success) break;
        const auto it = ref.find({std::string(text), sub});
        const bool want = it != ref.end();
        fuzz::expect(index.contains(text, sub) == want, "contains disagrees", whole);
        const qos_level* stored = index.find(text, sub);
        fuzz::expect(want ? stored != nullptr && *stored == it->second : stored == nullptr,
                     "find disagrees", whole);
        break;
      }
      case 7: {
        std::vector<triple_t> got;
        index.for_each([&](std::string_view filter, const std::uint64_t& s, qos_level q) {
          got.emplace_back(std::string(filter), s, q);
        });
        std::sort(got.begin(), got.end());
        std::vector<triple_t> want;
        for (const auto& [p, q] : ref) want.emplace_back(p.first, p.second, q);
        fuzz::expect(got == want, "for_each disagrees with the reference", whole);
        break;
      }
      default: {
        // match() requires a valid topic name, as decode guarantees.
        if (validate_topic_name(text, rules).code != errc::success) break;
        fuzz::expect(topic_matches(text, text, dollar_rule), "a name does not match itself", whole);
        std::vector<triple_t> got;
        index.match(text, [&](const std::uint64_t& s, std::string_view filter, qos_level q) {
          got.emplace_back(std::string(filter), s, q);
        });
        std::vector<triple_t> want;
        std::map<std::uint64_t, qos_level> highest;  // per subscriber, over its matching pairs
        for (const auto& [p, q] : ref) {
          if (!topic_matches(p.first, text, dollar_rule)) continue;
          want.emplace_back(p.first, p.second, q);
          const auto [it, fresh] = highest.emplace(p.second, q);
          if (!fresh && it->second < q) it->second = q;
        }
        std::sort(got.begin(), got.end());
        if (got != want) {
          fuzz::print_hex("topic", text);
          for (const auto& t : got) fuzz::print_hex("index matched", std::get<0>(t));
          for (const auto& t : want) fuzz::print_hex("topic_matches matched", std::get<0>(t));
          fuzz::fail("the index and topic_matches disagree", whole);
        }
        std::vector<delivery_t> delivered;
        index.match_subscribers(text, [&](const std::uint64_t& s, qos_level q) {
          delivered.emplace_back(s, q);
        });
        // Ascending order, so equality with the (sorted) map also means once per subscriber.
        fuzz::expect(delivered == std::vector<delivery_t>(highest.begin(), highest.end()),
                     "match_subscribers disagrees with the highest QoS per subscriber", whole);
        break;
      }
    }
    fuzz::expect(index.size() == ref.size(), "size() differs from the reference", whole);
  }
  return 0;
}
