// SPDX-License-Identifier: MIT
// Fuzz target: the trie subscription index against a plain list of (filter, subscriber) pairs
// matched one by one with topic_matches().
//
// Input: [config] then operations until the input ends. config: bit 0 = the '$' rule off,
// bits 1-5 = the options the index validates filters with. Each operation is one byte
// (bits 0-2: the kind, bits 3-5: subscriber 0..7) followed by a length byte and the string:
//   0, 1: add(filter)   2: remove(filter)   3: remove_all   4: contains(filter)   5-7: match(topic)
// Oracles: add/remove refuse exactly the filters validate_topic_filter refuses (same error);
// they report "new"/"was there" as the reference set does; size() and contains() agree; and for
// every valid topic name, match() reports exactly the pairs whose filter topic_matches() accepts,
// each once. A topic name always matches itself as a filter.
#include "fuzz_common.hpp"

#include <mqttwire/subscription_index.hpp>
#include <mqttwire/topic.hpp>
#include <mqttwire/topic_match.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace mqttwire;
using pair_t = std::pair<std::string, std::uint64_t>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  fuzz::input in(data, size);
  const std::uint8_t config = in.byte();
  const bool dollar_rule = (config & 1u) == 0;
  const options rules = fuzz::options_from(static_cast<std::uint8_t>(config >> 1));
  subscription_index<std::uint64_t> index(dollar_rule, rules);
  std::set<pair_t> ref;

  for (int ops = 0; in.remaining() > 0 && ops < 256; ++ops) {
    const std::uint8_t op = in.byte();
    const std::uint64_t sub = (op >> 3) & 7u;
    const std::string_view text = in.short_bytes();
    const error valid = validate_topic_filter(text, rules);
    switch (op & 7u) {
      case 0:
      case 1: {
        const auto r = index.add(text, sub);
        if (valid.code != errc::success) {
          fuzz::expect(!r && r.error() == valid, "add accepts or refuses unlike validate", whole);
          break;
        }
        fuzz::expect(r.has_value(), "add refuses a valid filter", whole);
        const bool fresh = ref.insert({std::string(text), sub}).second;
        fuzz::expect(*r == fresh, "add says new/old unlike the reference", whole);
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
            std::erase_if(ref, [&](const pair_t& p) { return p.second == sub; }));
        fuzz::expect(n == want, "remove_all removed another number of pairs", whole);
        break;
      }
      case 4: {
        if (valid.code != errc::success) break;
        const bool want = ref.count({std::string(text), sub}) == 1;
        fuzz::expect(index.contains(text, sub) == want, "contains disagrees", whole);
        break;
      }
      default: {
        // match() requires a valid topic name, as decode guarantees.
        if (validate_topic_name(text, rules).code != errc::success) break;
        fuzz::expect(topic_matches(text, text, dollar_rule), "a name does not match itself", whole);
        std::vector<pair_t> got;
        index.match(text, [&](const std::uint64_t& s, std::string_view filter) {
          got.emplace_back(std::string(filter), s);
        });
        std::vector<pair_t> want;
        for (const pair_t& p : ref) {
          if (topic_matches(p.first, text, dollar_rule)) want.push_back(p);
        }
        std::sort(got.begin(), got.end());
        if (got != want) {
          fuzz::print_hex("topic", text);
          for (const auto& p : got) fuzz::print_hex("index matched", p.first);
          for (const auto& p : want) fuzz::print_hex("topic_matches matched", p.first);
          fuzz::fail("the index and topic_matches disagree", whole);
        }
        break;
      }
    }
    fuzz::expect(index.size() == ref.size(), "size() differs from the reference", whole);
  }
  return 0;
}
