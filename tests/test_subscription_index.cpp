// SPDX-License-Identifier: MIT
// subscription_index: add/replace/remove, values merged per subscriber, agreement with topic_matches
#include "test_subscription_support.hpp"

#include <doctest/doctest.h>
#include <mqttwire/subscription_index.hpp>
#include <mqttwire/topic_match.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

using namespace std::literals;
using mqttwire::errc;
using mqttwire::error;
using mqttwire::qos_level;
using mqttwire::subscription_index;
using mqttwire::topic_matches;

namespace {

using pair_list = std::vector<std::pair<std::string, std::uint64_t>>;

pair_list matched(const subscription_index<>& index, std::string_view topic) {
  pair_list out;
  index.match(topic, [&](std::uint64_t s, std::string_view filter) {
    out.emplace_back(std::string(filter), s);
  });
  std::sort(out.begin(), out.end());
  return out;
}

pair_list brute_force(const std::set<std::pair<std::string, std::uint64_t>>& pairs,
                      std::string_view topic, bool dollar_rule = true) {
  pair_list out;
  for (const auto& [filter, s] : pairs) {
    if (topic_matches(filter, topic, dollar_rule)) out.emplace_back(filter, s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct gen {
  std::mt19937_64 engine;
  explicit gen(std::uint64_t seed) : engine(seed) {}
  std::uint64_t operator()(std::uint64_t n) { return engine() % n; }
  // Few distinct levels, so that filters and topics collide often.
  std::string level() {
    static constexpr std::string_view levels[] = {"a", "b", "c", "", "$x", "ab", "x$"};
    return std::string(levels[(*this)(std::size(levels))]);
  }
  std::string topic() {
    std::string t = level();
    const std::uint64_t n = (*this)(4);
    for (std::uint64_t i = 0; i < n; ++i) {
      t += '/';
      t += level();
    }
    return t.empty() ? "/" : t;
  }
  std::string filter() {
    std::string f;
    const std::uint64_t n = 1 + (*this)(4);
    for (std::uint64_t i = 0; i < n; ++i) {
      if (i) f += '/';
      const std::uint64_t k = (*this)(5);
      f += k == 0 ? std::string("+") : level();
    }
    if ((*this)(4) == 0) f += (*this)(2) ? "/#" : "";
    if ((*this)(12) == 0) f = "#";
    return f.empty() ? "+" : f;
  }
};

}  // namespace

TEST_CASE("subscription_index: a broker's lookup") {
  subscription_index<std::uint64_t> subs;
  CHECK(*subs.add("sport/tennis/+", 1));
  CHECK(*subs.add("sport/#", 2));
  CHECK(*subs.add("#", 3));
  CHECK(*subs.add("$SYS/#", 4));
  CHECK_FALSE(*subs.add("sport/#", 2));  // the same pair again
  CHECK(subs.size() == 4);

  auto got = subs.matches("sport/tennis/player1");
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::uint64_t>{1, 2, 3});
  got = subs.matches("sport");
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::uint64_t>{2, 3});
  CHECK(subs.matches("$SYS/broker/load") == std::vector<std::uint64_t>{4});  // not '#'
  CHECK(subs.matches("weather").size() == 1);

  CHECK(*subs.remove("sport/#", 2));
  CHECK_FALSE(*subs.remove("sport/#", 2));
  CHECK_FALSE(*subs.remove("sport/+", 1));  // literal comparison [MQTT-3.10.4-1]
  CHECK(subs.contains("sport/tennis/+", 1));
  CHECK_FALSE(subs.contains("sport/#", 2));
  CHECK(subs.size() == 3);
}

TEST_CASE("subscription_index: invalid filters are refused with validate_topic_filter's error") {
  subscription_index<> subs;
  CHECK(subs.add("", 1).error() == error{errc::empty_topic_filter, 0});
  CHECK(subs.add("sport/tennis#", 1).error() == error{errc::misplaced_multi_level_wildcard, 12});
  CHECK(subs.add("a/#/b", 1).error() == error{errc::misplaced_multi_level_wildcard, 2});
  CHECK(subs.add("a/+b", 1).error() == error{errc::misplaced_single_level_wildcard, 2});
  CHECK(subs.add("a\0b"sv, 1).error() == error{errc::null_character, 1});
  CHECK(subs.add("\xff"sv, 1).error().code == errc::invalid_utf8);
  CHECK(subs.remove("a/+b", 1).error() == error{errc::misplaced_single_level_wildcard, 2});
  CHECK(subs.empty());
  mqttwire::options strict;
  strict.reject_control_characters = true;
  subscription_index<> strict_subs(true, strict);
  CHECK(strict_subs.add("a\x01", 1).error() == error{errc::control_character, 1});
  CHECK(*subs.add("a\x01", 1));
}

TEST_CASE("subscription_index: agrees with topic_matches on random filters and topics") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    gen g(seed);
    subscription_index<> index;
    std::set<std::pair<std::string, std::uint64_t>> pairs;
    for (int i = 0; i < 400; ++i) {
      const std::string f = g.filter();
      const std::uint64_t s = g(50);
      REQUIRE(mqttwire::is_valid_topic_filter(f));
      const auto added = index.add(f, s);
      REQUIRE(added);
      CHECK(*added == pairs.emplace(f, s).second);
    }
    // Remove a third of them, and some that are not there.
    for (int i = 0; i < 200; ++i) {
      const std::string f = g.filter();
      const std::uint64_t s = g(50);
      const auto removed = index.remove(f, s);
      REQUIRE(removed);
      CHECK(*removed == (pairs.erase({f, s}) == 1));
    }
    CHECK(index.size() == pairs.size());
    std::size_t hits = 0;
    for (int i = 0; i < 300; ++i) {
      const std::string t = g.topic();
      CAPTURE(t);
      const pair_list want = brute_force(pairs, t);
      hits += want.size();
      CHECK(matched(index, t) == want);
    }
    CHECK(hits > 1000);  // the comparison is not vacuous
  }
}

TEST_CASE("subscription_index: without the '$' rule leading wildcards match '$' topics") {
  gen g(99);
  subscription_index<> index(false);
  std::set<std::pair<std::string, std::uint64_t>> pairs;
  for (std::uint64_t i = 0; i < 300; ++i) {
    const std::string f = g.filter();
    REQUIRE(index.add(f, i % 7));
    pairs.emplace(f, i % 7);
  }
  for (int i = 0; i < 300; ++i) {
    const std::string t = g.topic();
    pair_list got;
    index.match(t, [&](std::uint64_t s, std::string_view f) { got.emplace_back(f, s); });
    std::sort(got.begin(), got.end());
    CHECK(got == brute_force(pairs, t, false));
  }
  subscription_index<> with_rule;
  REQUIRE(with_rule.add("#", 1));
  REQUIRE(index.add("#", 1));
  CHECK(with_rule.matches("$SYS").empty());
  CHECK_FALSE(index.matches("$SYS").empty());
}

TEST_CASE("subscription_index: a lookup does not test every filter") {
  subscription_index<> index;
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    REQUIRE(index.add("devices/" + std::to_string(i) + "/temperature", i));
  }
  REQUIRE(index.add("devices/+/humidity", 20'000));
  REQUIRE(index.add("devices/#", 20'001));
  std::vector<std::uint64_t> got;
  const std::size_t visited =
      index.match("devices/42/temperature", [&](std::uint64_t s) { got.push_back(s); });
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::uint64_t>{42, 20'001});
  // root, devices, '#', 42, '+', 42/temperature: a handful of nodes, not 10,002 filters.
  CHECK(visited <= 8);
}

TEST_CASE("subscription_index: remove_all, clear, and empty nodes are freed") {
  subscription_index<std::string> index;
  REQUIRE(index.add("a/b", "alice"));
  REQUIRE(index.add("a/+", "alice"));
  REQUIRE(index.add("a/b", "bob"));
  REQUIRE(index.add("#", "alice"));
  CHECK(index.remove_all("alice") == 3);
  CHECK(index.size() == 1);
  CHECK(index.matches("a/b") == std::vector<std::string>{"bob"});
  CHECK(index.matches("a/c").empty());
  // After removing the last pair the trie is empty again: a lookup visits the root only.
  REQUIRE(index.remove("a/b", "bob"));
  CHECK(index.empty());
  CHECK(index.match("a/b", [](const std::string&) {}) == 1);
  REQUIRE(index.add("x/y/z", "carol"));
  index.clear();
  CHECK(index.empty());
  CHECK(index.matches("x/y/z").empty());
  CHECK(index.match("x/y/z", [](const std::string&) {}) == 1);
}

TEST_CASE("subscription_index: a filter of 65,535 levels neither overflows the stack nor leaks") {
  const std::string deep(65'534, '/');  // 65,535 empty levels
  subscription_index<> index;
  REQUIRE(index.add(deep, 1));
  REQUIRE(index.add(deep + "#", 2));
  auto got = index.matches(deep);
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::uint64_t>{1, 2});
  subscription_index<> moved = std::move(index);
  CHECK(moved.size() == 2);
  CHECK(moved.remove_all(2) == 1);
}

namespace {

constexpr qos_level q0 = qos_level::at_most_once;
constexpr qos_level q1 = qos_level::at_least_once;
constexpr qos_level q2 = qos_level::exactly_once;

using delivery_list = std::vector<std::pair<std::uint64_t, qos_level>>;

// match_subscribers() as a list, in the order of the calls.
delivery_list delivered(const subscription_index<>& index, std::string_view topic) {
  delivery_list out;
  index.match_subscribers(topic, [&](std::uint64_t s, qos_level q) { out.emplace_back(s, q); });
  return out;
}

// For each subscriber with a matching filter, the highest QoS of its matching filters.
using value_map = std::map<std::pair<std::string, std::uint64_t>, qos_level>;
delivery_list brute_force_deliveries(const value_map& pairs, std::string_view topic,
                                     bool dollar_rule = true) {
  std::map<std::uint64_t, qos_level> best;
  for (const auto& [pair, q] : pairs) {
    if (!topic_matches(pair.first, topic, dollar_rule)) continue;
    const auto [it, fresh] = best.emplace(pair.second, q);
    if (!fresh && it->second < q) it->second = q;
  }
  return {best.begin(), best.end()};  // ascending subscribers, as match_subscribers promises
}

using triple = std::tuple<std::string, std::uint64_t, qos_level>;

std::vector<triple> all_triples(const subscription_index<>& index) {
  std::vector<triple> out;
  index.for_each([&](std::string_view filter, std::uint64_t s, qos_level q) {
    out.emplace_back(std::string(filter), s, q);
  });
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<triple> all_triples(const value_map& pairs) {
  std::vector<triple> out;
  for (const auto& [pair, q] : pairs) out.emplace_back(pair.first, pair.second, q);
  return out;  // a map is sorted already
}

}  // namespace

TEST_CASE("subscription_index: a repeated subscription replaces its value [MQTT-3.8.4-3]") {
  subscription_index<> subs;
  CHECK(*subs.add("a/b", 1, q1));
  CHECK(*subs.add("a/+", 1, q0));
  CHECK(*subs.add("a/b", 2, q2));
  CHECK(subs.size() == 3);
  REQUIRE(subs.find("a/b", 1) != nullptr);
  CHECK(*subs.find("a/b", 1) == q1);

  CHECK_FALSE(*subs.add("a/b", 1, q2));  // the same pair: replaced, not added
  CHECK(subs.size() == 3);
  CHECK(*subs.find("a/b", 1) == q2);
  CHECK(*subs.find("a/b", 2) == q2);  // the other subscriber's pair is untouched
  CHECK(*subs.find("a/+", 1) == q0);
  CHECK_FALSE(*subs.add("a/b", 1, q0));  // a downgrade replaces too
  CHECK(*subs.find("a/b", 1) == q0);
  CHECK_FALSE(*subs.add("a/b", 1));  // no value: Value{}, here QoS 0
  CHECK(*subs.find("a/b", 1) == q0);
  CHECK(subs.size() == 3);

  // An invalid filter changes nothing.
  CHECK(subs.add("a/b#", 1, q2).error() == error{errc::misplaced_multi_level_wildcard, 3});
  CHECK(subs.size() == 3);

  // find() compares filters literally and knows nothing of absent pairs.
  CHECK(subs.find("a/c", 1) == nullptr);
  CHECK(subs.find("a/+", 2) == nullptr);
  CHECK(subs.find("a/#", 1) == nullptr);
  CHECK(subs.find("a/b/c", 1) == nullptr);
  CHECK(subs.find("a/+b", 1) == nullptr);
  CHECK_FALSE(subs.contains("a/+", 2));
  CHECK(subs.contains("a/+", 1));

  // The value goes to match() callbacks that take three arguments.
  std::vector<triple> got;
  subs.match("a/b", [&](std::uint64_t s, std::string_view filter, qos_level q) {
    got.emplace_back(std::string(filter), s, q);
  });
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<triple>{{"a/+", 1, q0}, {"a/b", 1, q0}, {"a/b", 2, q2}});

  // The non-const find() changes a value in place.
  *subs.find("a/+", 1) = q1;
  CHECK(*std::as_const(subs).find("a/+", 1) == q1);

  CHECK(*subs.remove("a/b", 1));
  CHECK(subs.find("a/b", 1) == nullptr);
  CHECK(*subs.find("a/b", 2) == q2);
  CHECK(*subs.add("a/b", 1, q1));  // new again
  CHECK(subs.size() == 3);
}

TEST_CASE(
    "subscription_index: match_subscribers: each subscriber once, highest QoS [MQTT-3.3.5-1]") {
  subscription_index<> subs;
  REQUIRE(subs.add("a/+", 1, q1));
  REQUIRE(subs.add("a/#", 1, q2));
  REQUIRE(subs.add("a/b", 1, q0));
  REQUIRE(subs.add("a/b", 2, q1));
  REQUIRE(subs.add("+/b", 3, q0));
  REQUIRE(subs.add("#", 3, q0));
  REQUIRE(subs.add("a/c", 4, q2));  // does not match a/b
  CHECK(subs.size() == 7);

  // Client 1 has three matching filters: one call, at QoS 2. Ascending subscribers.
  CHECK(delivered(subs, "a/b") == delivery_list{{1, q2}, {2, q1}, {3, q0}});
  // match() still reports every pair: 6 of them.
  std::size_t pairs = 0;
  subs.match("a/b", [&](std::uint64_t) { ++pairs; });
  CHECK(pairs == 6);

  CHECK(delivered(subs, "a/c") == delivery_list{{1, q2}, {3, q0}, {4, q2}});
  CHECK(delivered(subs, "a") == delivery_list{{1, q2}, {3, q0}});  // "a/#" matches "a"
  CHECK(delivered(subs, "x/b") == delivery_list{{3, q0}});         // two filters of client 3
  CHECK(delivered(subs, "x/y/z") == delivery_list{{3, q0}});       // one filter ("#")
  subscription_index<> none;
  CHECK(delivered(none, "a/b").empty());

  // The highest QoS wins whatever the order of the subscriptions; replacing lowers it again.
  REQUIRE_FALSE(*subs.add("a/#", 1, q0));
  CHECK(delivered(subs, "a/b") == delivery_list{{1, q1}, {2, q1}, {3, q0}});
  REQUIRE(*subs.remove("a/+", 1));
  CHECK(delivered(subs, "a/b") == delivery_list{{1, q0}, {2, q1}, {3, q0}});

  // A callback may take the subscriber only; the return value is the nodes visited, as match().
  std::vector<std::uint64_t> clients;
  const std::size_t visited =
      subs.match_subscribers("a/b", [&](std::uint64_t s) { clients.push_back(s); });
  CHECK(clients == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(visited == subs.match("a/b", [](std::uint64_t) {}));
}

TEST_CASE("subscription_index: match_subscribers follows the '$' rule [MQTT-4.7.2-1]") {
  subscription_index<> with_rule;
  subscription_index<> without_rule(false);
  for (subscription_index<>* subs : {&with_rule, &without_rule}) {
    REQUIRE(subs->add("#", 1, q2));
    REQUIRE(subs->add("$SYS/#", 1, q1));
    REQUIRE(subs->add("+/load", 2, q2));
    REQUIRE(subs->add("$SYS/+", 2, q0));
    REQUIRE(subs->add("+/+", 3, q1));
  }
  // A leading wildcard does not match a '$' topic: only the "$SYS/..." filters do.
  CHECK(delivered(with_rule, "$SYS/load") == delivery_list{{1, q1}, {2, q0}});
  CHECK(delivered(without_rule, "$SYS/load") == delivery_list{{1, q2}, {2, q2}, {3, q1}});
  // The rule looks at the first character of the topic only.
  CHECK(delivered(with_rule, "cpu/load") == delivery_list{{1, q2}, {2, q2}, {3, q1}});
  CHECK(delivered(with_rule, "a/$load") == delivery_list{{1, q2}, {3, q1}});
  CHECK(delivered(with_rule, "$SYS") == delivery_list{{1, q1}});  // "$SYS/#" includes the parent
  CHECK(delivered(without_rule, "$SYS") == delivery_list{{1, q2}});
}

TEST_CASE(
    "subscription_index: values and match_subscribers agree with topic_matches on random data") {
  std::size_t deliveries = 0, merged = 0, replaced = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    gen g(seed);
    subscription_index<> index;
    value_map pairs;
    for (int i = 0; i < 400; ++i) {
      std::string f = g.filter();
      std::uint64_t s = g(50);
      if (!pairs.empty() && g(5) == 0) {  // subscribe again to a filter already there
        auto it = pairs.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(g(pairs.size())));
        f = it->first.first;
        s = it->first.second;
      }
      const auto q = static_cast<qos_level>(g(3));
      const auto added = index.add(f, s, q);
      REQUIRE(added);
      const auto [it, fresh] = pairs.insert_or_assign({f, s}, q);
      CHECK(*added == fresh);
      replaced += fresh ? 0u : 1u;
    }
    for (int i = 0; i < 150; ++i) {
      const std::string f = g.filter();
      const std::uint64_t s = g(50);
      const auto removed = index.remove(f, s);
      REQUIRE(removed);
      CHECK(*removed == (pairs.erase({f, s}) == 1));
    }
    for (std::uint64_t s = 0; s < 50; s += 11) {
      const std::size_t want = static_cast<std::size_t>(
          std::erase_if(pairs, [&](const auto& p) { return p.first.second == s; }));
      CHECK(index.remove_all(s) == want);
    }
    REQUIRE(index.size() == pairs.size());
    CHECK(all_triples(index) == all_triples(pairs));
    for (const auto& [pair, q] : pairs) {
      const qos_level* v = index.find(pair.first, pair.second);
      REQUIRE(v != nullptr);
      CHECK(*v == q);
    }
    for (int i = 0; i < 300; ++i) {
      const std::string t = g.topic();
      CAPTURE(t);
      const delivery_list want = brute_force_deliveries(pairs, t);
      const delivery_list got = delivered(index, t);
      CHECK(got == want);  // once per subscriber, ascending, at the highest QoS
      deliveries += want.size();
      // Per pair, with values.
      std::vector<triple> got_pairs, want_pairs;
      index.match(t, [&](std::uint64_t s, std::string_view f, qos_level q) {
        got_pairs.emplace_back(std::string(f), s, q);
      });
      for (const auto& [pair, q] : pairs) {
        if (topic_matches(pair.first, t)) want_pairs.emplace_back(pair.first, pair.second, q);
      }
      std::sort(got_pairs.begin(), got_pairs.end());
      CHECK(got_pairs == want_pairs);
      merged += want_pairs.size() - want.size();
    }
  }
  // The comparison is not vacuous: many deliveries, many subscribers with several matching
  // filters (whose QoS had to be merged), many replaced values.
  CHECK(deliveries > 50'000);
  CHECK(merged > 10'000);
  CHECK(replaced > 1'000);
}

TEST_CASE("subscription_index: match_subscribers without the '$' rule, on random pairs") {
  gen g(77);
  subscription_index<> index(false);
  value_map pairs;
  for (std::uint64_t i = 0; i < 300; ++i) {
    const std::string f = g.filter();
    const auto q = static_cast<qos_level>(g(3));
    REQUIRE(index.add(f, i % 7, q));
    pairs.insert_or_assign({f, i % 7}, q);
  }
  std::size_t dollar_topics = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string t = g.topic();
    CAPTURE(t);
    dollar_topics += t.front() == '$' ? 1u : 0u;
    CHECK(delivered(index, t) == brute_force_deliveries(pairs, t, false));
  }
  CHECK(dollar_topics > 50);
}

TEST_CASE("subscription_index: another Value and Merge") {
  // Value = how many matching filters; Merge = sum: match_subscribers counts them.
  subscription_index<std::string, unsigned, std::less<std::string>, std::plus<>> count;
  REQUIRE(count.add("a/b", "alice", 1));
  REQUIRE(count.add("a/+", "alice", 1));
  REQUIRE(count.add("#", "alice", 1));
  REQUIRE(count.add("a/b", "bob", 1));
  REQUIRE(count.add("b", "carol", 1));
  std::vector<std::pair<std::string, unsigned>> got;
  count.match_subscribers("a/b", [&](const std::string& s, unsigned n) { got.emplace_back(s, n); });
  CHECK(got == std::vector<std::pair<std::string, unsigned>>{{"alice", 3}, {"bob", 1}});

  // A merge given to the call instead: the lowest QoS.
  subscription_index<> subs;
  REQUIRE(subs.add("a/+", 1, q1));
  REQUIRE(subs.add("a/#", 1, q2));
  REQUIRE(subs.add("a/b", 2, q2));
  delivery_list lowest;
  subs.match_subscribers(
      "a/b", [&](std::uint64_t s, qos_level q) { lowest.emplace_back(s, q); },
      [](qos_level a, qos_level b) { return b < a ? b : a; });
  CHECK(lowest == delivery_list{{1, q1}, {2, q2}});

  // A Compare that orders subscribers the other way: ascending by that order.
  subscription_index<std::uint64_t, qos_level, std::greater<std::uint64_t>> reversed;
  for (std::uint64_t s = 1; s <= 4; ++s) {
    REQUIRE(reversed.add("x/+", s, q0));
    REQUIRE(reversed.add("x/y", s, s % 2 == 0 ? q2 : q1));
  }
  delivery_list down;
  reversed.match_subscribers("x/y", [&](std::uint64_t s, qos_level q) { down.emplace_back(s, q); });
  CHECK(down == delivery_list{{4, q2}, {3, q1}, {2, q2}, {1, q1}});
}

TEST_CASE("subscription_index: for_each walks every pair once, with its value") {
  subscription_index<> subs;
  std::size_t calls = 0;
  subs.for_each([&](std::string_view, std::uint64_t, qos_level) { ++calls; });
  CHECK(calls == 0);
  REQUIRE(subs.add("a/b", 1, q1));
  REQUIRE(subs.add("a/b", 2, q2));
  REQUIRE(subs.add("a", 1, q0));
  REQUIRE(subs.add("+/#", 3, q2));
  REQUIRE(subs.add("#", 1, q1));
  REQUIRE(subs.add("", 1, q1).error().code == errc::empty_topic_filter);
  REQUIRE_FALSE(*subs.add("a/b", 1, q2));
  CHECK(all_triples(subs) ==
        std::vector<triple>{
            {"#", 1, q1}, {"+/#", 3, q2}, {"a", 1, q0}, {"a/b", 1, q2}, {"a/b", 2, q2}});
  // A broker saving one session picks its pairs.
  std::vector<std::pair<std::string, qos_level>> saved;
  subs.for_each([&](std::string_view filter, std::uint64_t s, qos_level q) {
    if (s == 1) saved.emplace_back(filter, q);
  });
  std::sort(saved.begin(), saved.end());
  CHECK(saved == std::vector<std::pair<std::string, qos_level>>{{"#", q1}, {"a", q0}, {"a/b", q2}});
  CHECK(subs.remove_all(1) == 3);
  CHECK(all_triples(subs) == std::vector<triple>{{"+/#", 3, q2}, {"a/b", 2, q2}});
}

TEST_CASE("subscription_index: more matching filters and levels than the inline work lists hold") {
  // 41 filters of 40 levels that all match one topic: filter i has the literal level i and '+'
  // everywhere else, and one filter is all '+'. The walk keeps a literal sibling pending at
  // each level of the all-'+' path (40 deep), and 41 nodes have subscribers.
  constexpr int levels = 40;
  const std::string topic = subscription_test::wide_topic(levels);
  subscription_index<> subs;
  value_map pairs;
  for (int i = 0; i <= levels; ++i) {
    const std::string f = subscription_test::wide_filter(i, levels);
    const auto s = static_cast<std::uint64_t>(i % 5);
    const auto q = static_cast<qos_level>(i % 3);
    REQUIRE(*subs.add(f, s, q));
    pairs.emplace(std::pair{f, s}, q);
  }
  const delivery_list want = brute_force_deliveries(pairs, topic);
  CHECK(want == delivery_list{{0, q2}, {1, q2}, {2, q2}, {3, q2}, {4, q2}});
  CHECK(delivered(subs, topic) == want);
  std::size_t pairs_matched = 0;
  const std::size_t visited = subs.match(topic, [&](std::uint64_t) { ++pairs_matched; });
  CHECK(pairs_matched == 41);
  CHECK(visited > 32);
  // 41 matching filters of one subscriber with its highest QoS in the middle.
  subscription_index<> one;
  for (int i = 0; i <= levels; ++i) {
    REQUIRE(one.add(subscription_test::wide_filter(i, levels), 9, i == 20 ? q2 : q0));
  }
  CHECK(delivered(one, topic) == delivery_list{{9, q2}});
}

TEST_CASE("subscription_index: values on a filter of 65,535 levels") {
  const std::string deep(65'534, '/');
  subscription_index<> index;
  REQUIRE(index.add(deep, 1, q1));
  REQUIRE(index.add(deep + "#", 1, q2));
  REQUIRE(index.add(deep + "#", 2, q0));
  CHECK(delivered(index, deep) == delivery_list{{1, q2}, {2, q0}});
  REQUIRE_FALSE(*index.add(deep, 1, q0));
  CHECK(*index.find(deep, 1) == q0);
  std::size_t calls = 0;
  index.for_each([&](std::string_view f, std::uint64_t, qos_level) {
    calls += f.size() >= deep.size() ? 1u : 0u;
  });
  CHECK(calls == 3);
  CHECK(index.remove_all(1) == 2);
  CHECK(delivered(index, deep) == delivery_list{{2, q0}});
}
