// SPDX-License-Identifier: MIT
// topic_matches: the match table of spec reference §4.4, the '$' rule switch, and edge cases.
#include <doctest/doctest.h>
#include <mqttwire/topic_match.hpp>

#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace std::literals;
using mqttwire::topic_matches;

namespace {

struct row {
  std::string_view filter;
  std::string_view name;
  bool match;
};

// Spec reference §4.4, every row in its order.
constexpr row kTable[] = {
    {"sport/tennis/player1/#"sv, "sport/tennis/player1"sv, true},  // '#' includes the parent
    {"sport/tennis/player1/#"sv, "sport/tennis/player1/ranking"sv, true},
    {"sport/tennis/player1/#"sv, "sport/tennis/player1/score/wimbledon"sv, true},
    {"sport/#"sv, "sport"sv, true},    // 3.1: "finance/#" matches "finance"
    {"sport/#"sv, "sport/"sv, true},   // the empty child level is covered by '#'
    {"sport/#"sv, "sports"sv, false},  // levels are compared whole
    {"#"sv, "sport/tennis"sv, true},
    {"#"sv, "/"sv, true},
    {"#"sv, "$SYS/uptime"sv, false},  // '$' rule
    {"sport/tennis/+"sv, "sport/tennis/player1"sv, true},
    {"sport/tennis/+"sv, "sport/tennis/player1/ranking"sv, false},  // '+' is one level
    {"sport/+"sv, "sport"sv, false},   // no level for '+'
    {"sport/+"sv, "sport/"sv, true},   // '+' matches the empty level
    {"+"sv, "finance"sv, true},
    {"+"sv, "/finance"sv, false},      // two levels
    {"+/+"sv, "/finance"sv, true},
    {"/+"sv, "/finance"sv, true},
    {"+"sv, "/"sv, false},             // two empty levels
    {"+/+"sv, "/"sv, true},
    {"/+"sv, "/"sv, true},
    {"a/+/b"sv, "a//b"sv, true},       // '+' matches the empty middle level
    {"a//b"sv, "a//b"sv, true},
    {"a//b"sv, "a/b"sv, false},
    {"+/#"sv, "a"sv, true},            // '#' = zero levels
    {"+/#"sv, "a/b/c"sv, true},
    {"+/tennis/#"sv, "sport/tennis/player1/ranking"sv, true},
    {"+/tennis/#"sv, "sport/tennis"sv, true},
    {"a/b"sv, "a/b/"sv, false},        // a trailing '/' adds a level
    {"a/b/"sv, "a/b"sv, false},
    {"a/#"sv, "ab"sv, false},
    {"/finance"sv, "finance"sv, false},
    {"ACCOUNTS"sv, "Accounts"sv, false},  // case-sensitive
    {"Accounts payable"sv, "Accounts payable"sv, true},
    {"+/monitor/Clients"sv, "$SYS/monitor/Clients"sv, false},  // '$' rule
    {"$SYS/monitor/+"sv, "$SYS/monitor/Clients"sv, true},
    {"$SYS/#"sv, "$SYS/broker/load"sv, true},
    {"$SYS/#"sv, "$SYS"sv, true},  // '#' includes the parent
    {"+"sv, "$SYS"sv, false},      // '$' rule
    {"a/+"sv, "a/$b"sv, true},     // the rule looks at the first character of the name only
};

// The three rows that [MQTT-4.7.2-1] decides; without the rule (3.1) they match.
constexpr std::size_t kDollarRows[] = {8, 33, 37};

constexpr bool is_dollar_row(std::size_t i) {
  for (const std::size_t d : kDollarRows) {
    if (d == i) return true;
  }
  return false;
}

constexpr bool table_holds(bool dollar_rule) {
  for (std::size_t i = 0; i < std::size(kTable); ++i) {
    const bool expected = kTable[i].match || (!dollar_rule && is_dollar_row(i));
    if (topic_matches(kTable[i].filter, kTable[i].name, dollar_rule) != expected) return false;
  }
  return true;
}

static_assert(std::size(kTable) == 39);
static_assert(table_holds(true));
static_assert(table_holds(false));

}  // namespace

TEST_CASE("topic_matches: every row of the spec reference's match table (§4.4)") {
  for (std::size_t i = 0; i < std::size(kTable); ++i) {
    const row& r = kTable[i];
    CAPTURE(r.filter);
    CAPTURE(r.name);
    CHECK(topic_matches(r.filter, r.name) == r.match);
    // Without the '$' rule only the three '$' rows change, and they flip to a match.
    CHECK(topic_matches(r.filter, r.name, false) == (r.match || is_dollar_row(i)));
    CHECK(is_dollar_row(i) == (r.name.front() == '$' && !r.match));
  }
}

TEST_CASE("topic_matches: the table above is the spec reference's table, row for row") {
  // The spec's rows, copied into tests/conformance/ so that no test reads outside the repository.
  std::ifstream in(MQTTWIRE_SOURCE_DIR "/tests/conformance/topic-match-4.4.txt");
  REQUIRE_MESSAGE(in, "cannot read tests/conformance/topic-match-4.4.txt");
  std::stringstream section;
  section << in.rdbuf();
  std::vector<row> spec_rows;
  std::vector<std::string> storage;
  std::string line;
  while (std::getline(section, line)) {
    // | `filter` | `name` | **yes** or no |
    if (line.rfind("| `", 0) != 0) continue;
    const std::size_t f1 = line.find('`') + 1, f2 = line.find('`', f1);
    const std::size_t n1 = line.find('`', f2 + 1) + 1, n2 = line.find('`', n1);
    const std::size_t cell = line.find('|', n2 + 1);
    storage.push_back(line.substr(f1, f2 - f1));
    storage.push_back(line.substr(n1, n2 - n1));
    const bool yes = line.substr(cell, 12).find("yes") != std::string::npos;
    spec_rows.push_back({{}, {}, yes});
  }
  REQUIRE(spec_rows.size() == std::size(kTable));
  for (std::size_t i = 0; i < spec_rows.size(); ++i) {
    CAPTURE(i);
    CHECK(storage[2 * i] == kTable[i].filter);
    CHECK(storage[2 * i + 1] == kTable[i].name);
    CHECK(spec_rows[i].match == kTable[i].match);
  }
}

TEST_CASE("topic_matches: edge cases beyond the table") {
  CHECK(topic_matches("#", "a"));
  CHECK(topic_matches("#", "a/b/c/"));
  CHECK(topic_matches("+/+/+", "//"));
  CHECK_FALSE(topic_matches("+/+/+", "/"));
  CHECK(topic_matches("a/b/#", "a/b"));
  CHECK_FALSE(topic_matches("a/b/#", "a"));
  CHECK(topic_matches("a/+/#", "a/x"));
  CHECK_FALSE(topic_matches("a/+/#", "a"));
  CHECK(topic_matches("/", "/"));
  CHECK_FALSE(topic_matches("/", "a/"));
  CHECK(topic_matches("$SYS", "$SYS"));
  CHECK(topic_matches("$SYS/+", "$SYS/x"));
  CHECK_FALSE(topic_matches("#", "$"));
  CHECK(topic_matches("#", "$", false));
  CHECK(topic_matches("+/a", "x$/a"));
  CHECK_FALSE(topic_matches("a", "a/"));
  CHECK_FALSE(topic_matches("a/", "a//"));
  CHECK(topic_matches("a/+", "a/+"));  // literal '+' in a would-be name still fills one level
  CHECK(topic_matches("caf\xc3\xa9/+", "caf\xc3\xa9/x"));
  CHECK_FALSE(topic_matches("caf\xc3\xa9", "cafe\xcc\x81"));  // no normalisation [MQTT-4.7.3-4]
  static_assert(topic_matches("sport/#", "sport"));
  static_assert(!topic_matches("sport/+", "sport"));
}
