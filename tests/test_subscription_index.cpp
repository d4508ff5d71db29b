// SPDX-License-Identifier: MIT
// subscription_index: add/remove, refusal of invalid filters, and agreement with topic_matches.
#include <doctest/doctest.h>
#include <mqttwire/subscription_index.hpp>
#include <mqttwire/topic_match.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace std::literals;
using mqttwire::errc;
using mqttwire::error;
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
