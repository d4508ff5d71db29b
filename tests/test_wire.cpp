// SPDX-License-Identifier: MIT
// Byte-level rules: Remaining Length edges (spec §2.5), UTF-8 (§1.3, §7.3), topic rules (§4.2).
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>

namespace mqttwire_test {
using namespace std::string_literals;

namespace {
struct varint_case {
  std::uint32_t value;
  std::string_view bytes;
};
// Spec §2.5 table: smallest and largest value of each length, and the worked examples.
constexpr varint_case varints[] = {
    {0, "\x00"sv},           {127, "\x7f"sv},         {128, "\x80\x01"sv},
    {16'383, "\xff\x7f"sv},  {16'384, "\x80\x80\x01"sv}, {2'097'151, "\xff\xff\x7f"sv},
    {2'097'152, "\x80\x80\x80\x01"sv}, {268'435'455, "\xff\xff\xff\x7f"sv},
    {64, "\x40"sv},          {321, "\xc1\x02"sv},     {203, "\xcb\x01"sv},
};

constexpr std::string_view unread(std::size_t size) { return {"", size}; }
}  // namespace

TEST_CASE("wire: Remaining Length edges decode from the fixed header alone") {
  for (const auto& c : varints) {
    INFO("value " << c.value);
    // Built by appending: g++ 12 at -O3 warns falsely (-Wrestrict) on "literal" + std::string.
    std::string header(1, '\x30');
    header += c.bytes;
    const auto h = peek_header(bytes_view(header));
    if (c.value < 3) {
      // A QoS 0 PUBLISH needs 3 bytes for its topic: the header alone refuses less (spec §2.7).
      CHECK(h.error() == error{errc::impossible_remaining_length, 1});
      CHECK(decode(bytes_view(header)).error() == error{errc::impossible_remaining_length, 1});
      continue;
    }
    REQUIRE(h);
    CHECK(h->type == packet_type::publish);
    CHECK(h->remaining_length == c.value);
    CHECK(h->header_size == 1 + c.bytes.size());
    CHECK(h->size() == 1 + c.bytes.size() + c.value);
    // Strict mode accepts every minimal encoding.
    CHECK(peek_header(bytes_view(header), v311, strict_len));
    // decode needs the whole packet: with only the header it is incomplete (or, for RL 0 of a
    // PUBLISH, too short for a topic).
    const auto d = decode(bytes_view(header));
    REQUIRE_FALSE(d);
    CHECK(d.error() == error{errc::incomplete, header.size()});
  }
}

TEST_CASE("wire: the encoder writes every Remaining Length edge in its shortest form") {
  for (const auto& c : varints) {
    if (c.value < 3) continue;  // a PUBLISH with topic "t" has at least 3 bytes
    INFO("value " << c.value);
    const publish p{.topic = "t", .payload = unread(c.value - 3)};
    REQUIRE(validate(p) == errc::success);
    CHECK(*encoded_size(p) == 1 + c.bytes.size() + c.value);
    std::array<char, 8> head{};
    const auto r = encode_publish_head(p, std::span<char>(head));
    REQUIRE(r);
    CHECK(r->head_size == 1 + c.bytes.size() + 3);
    std::string expected(1, '\x30');
    expected += c.bytes;
    expected += "\x00\x01t"sv;
    CHECK(std::string(head.data(), r->head_size) == expected);
  }
  CHECK(encode_both(pingreq{}).bytes == "\xc0\x00"s);  // value 0
}

TEST_CASE("wire: a fifth Remaining Length byte is malformed at the fourth") {
  for (const std::string_view bad : {"\x30\x80\x80\x80\x80\x01"sv, "\x30\xff\xff\xff\xff\x7f"sv,
                                     "\xc0\x80\x80\x80\x80"sv}) {
    CHECK(peek_header(bytes_view(bad)).error() == error{errc::malformed_remaining_length, 4});
    CHECK(decode(bytes_view(bad)).error() == error{errc::malformed_remaining_length, 4});
  }
  // Before the fourth byte arrives it is only incomplete.
  CHECK(peek_header(bytes_view("\x30\x80\x80\x80"sv)).error() == error{errc::incomplete, 4});
}

TEST_CASE("wire: non-minimal Remaining Lengths are accepted unless strict (spec §8 item 1)") {
  struct nm {
    std::string_view wire;
    std::uint32_t value;
  };
  for (const nm c : {nm{"\xc0\x80\x00"sv, 0}, nm{"\xc0\x80\x80\x80\x00"sv, 0},
                     nm{"\x30\x83\x00" "\x00\x01" "t"sv, 3},
                     nm{"\x30\x83\x80\x80\x00" "\x00\x01" "t"sv, 3}}) {
    INFO(c.wire.size());
    const auto lenient = decode(bytes_view(c.wire));
    REQUIRE(lenient);
    CHECK(lenient->size == c.wire.size());
    CHECK(peek_header(bytes_view(c.wire))->remaining_length == c.value);
    CHECK(decode(bytes_view(c.wire), v311, strict_len).error() ==
          error{errc::non_minimal_remaining_length, 1});
  }
}

TEST_CASE("wire: two-byte integers are big-endian (spec §1.2)") {
  CHECK(encode_both(puback{.packet_id = 0x1234}).bytes == "\x40\x02\x12\x34"s);
  CHECK(encode_both(puback{.packet_id = 10}).bytes == "\x40\x02\x00\x0a"s);
  const connect c{.keep_alive = 0xabcd, .client_id = "OTWP"};
  const auto e = encode_both(c);
  CHECK(e.bytes.substr(10, 8) == "\xab\xcd" "\x00\x04" "OTWP"s);  // the 3.1 spec's string example
}

// ---------------------------------------------------------------- UTF-8

TEST_CASE("wire: every range of the spec §1.3 well-formed UTF-8 table is accepted") {
  // The first and last code point of each row of the table, and the spec's own examples.
  const std::string_view valid[] = {
      "\x01"sv, "\x7f"sv,                                  // U+0001..U+007F (U+0000 is separate)
      "\xc2\x80"sv, "\xdf\xbf"sv,                          // U+0080..U+07FF
      "\xe0\xa0\x80"sv, "\xe0\xbf\xbf"sv,                  // U+0800..U+0FFF
      "\xe1\x80\x80"sv, "\xec\xbf\xbf"sv,                  // U+1000..U+CFFF
      "\xed\x80\x80"sv, "\xed\x9f\xbf"sv,                  // U+D000..U+D7FF
      "\xee\x80\x80"sv, "\xef\xbf\xbf"sv,                  // U+E000..U+FFFF
      "\xf0\x90\x80\x80"sv, "\xf0\xbf\xbf\xbf"sv,          // U+10000..U+3FFFF
      "\xf1\x80\x80\x80"sv, "\xf3\xbf\xbf\xbf"sv,          // U+40000..U+FFFFF
      "\xf4\x80\x80\x80"sv, "\xf4\x8f\xbf\xbf"sv,          // U+100000..U+10FFFF
      "OTWP"sv, "A\xf0\xaa\x9b\x94"sv,                     // the spec's examples
      "\xef\xbb\xbf"sv,                                    // [MQTT-1.5.3-3] BOM, kept
  };
  for (const std::string_view s : valid) {
    INFO(std::string(s));
    CHECK(validate_topic_name(s) == error{});
    // And inside a packet: decode keeps the bytes exactly.
    const auto e = encode_both(publish{.topic = s});
    REQUIRE(e.ec == errc::success);
    const auto d = decode(bytes_view(e.bytes));
    REQUIRE(d);
    CHECK(std::get<publish>(d->pkt).topic == s);
  }
}

TEST_CASE("wire: [MQTT-1.5.3-1] [MQTT-1.5.3-2] ill-formed UTF-8 and U+0000 are rejected") {
  struct bad {
    std::string_view s;
    error e;
  };
  const bad cases[] = {
      {"a\xff"sv, {errc::invalid_utf8, 1}},             // §7 row 31
      {"a\xc0\xaf"sv, {errc::invalid_utf8, 1}},         // row 32, overlong '/'
      {"\xc0\x80"sv, {errc::invalid_utf8, 0}},          // row 33, overlong NUL
      {"\xed\xa0\x80"sv, {errc::invalid_utf8, 0}},      // row 34, U+D800
      {"\xed\xbf\xbf"sv, {errc::invalid_utf8, 0}},      // U+DFFF
      {"\xf4\x90\x80\x80"sv, {errc::invalid_utf8, 0}},  // row 35, above U+10FFFF
      {"a\xc3"sv, {errc::invalid_utf8, 1}},             // row 36, cut off
      {"a\x00" "b"sv, {errc::null_character, 1}},       // row 37
      {"\xc1\xbf"sv, {errc::invalid_utf8, 0}},          // C1 never occurs
      {"\xf5\x80\x80\x80"sv, {errc::invalid_utf8, 0}},  // F5..FF never occur
      {"\x80"sv, {errc::invalid_utf8, 0}},              // a continuation byte cannot start
      {"\xe0\x9f\xbf"sv, {errc::invalid_utf8, 0}},      // overlong three-byte form
      {"\xf0\x8f\xbf\xbf"sv, {errc::invalid_utf8, 0}},  // overlong four-byte form
      {"\xe1\x80"sv, {errc::invalid_utf8, 0}},          // three-byte sequence cut off
      {"\xe1\x80\x41"sv, {errc::invalid_utf8, 0}},      // bad third byte
      {"ok\xf1\x80\x80\xc0"sv, {errc::invalid_utf8, 2}},  // bad fourth byte
  };
  for (const bad& c : cases) {
    INFO(std::string(c.s));
    CHECK(validate_topic_name(c.s) == c.e);
    CHECK(validate_topic_filter(c.s) == c.e);
    // In a PUBLISH topic the offset moves by the 4 bytes of fixed header and length prefix.
    std::string wire = "\x30"s + static_cast<char>(2 + c.s.size()) + '\x00' +
                       static_cast<char>(c.s.size()) + std::string(c.s);
    CHECK(decode(bytes_view(wire)).error() == error{c.e.code, 4 + c.e.offset});
    CHECK(decode(bytes_view(wire), v31).error() == error{c.e.code, 4 + c.e.offset});
  }
}

TEST_CASE("wire: controls and the 66 non-characters are rejected only on request (spec §1.3)") {
  auto utf8 = [](std::uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xc0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xe0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      s += static_cast<char>(0xf0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    }
    return s;
  };
  std::size_t controls = 0, non_characters = 0;
  for (std::uint32_t cp = 1; cp <= 0x10ffff; ++cp) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;   // surrogates are ill-formed, tested above
    if (cp == '+' || cp == '#') continue;         // wildcards are not allowed in names
    const bool control = cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
    const bool non_char = (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
    if (!control && !non_char && cp > 0xff && cp != 0xfdcf && cp != 0xfdf0 &&
        (cp & 0xfffe) != 0xfffc) {
      continue;  // the neighbours of each class are enough for the rest
    }
    std::string s(1, 'x');  // appended, see the -Wrestrict note above
    s += utf8(cp);
    INFO("code point " << cp);
    CHECK(validate_topic_name(s) == error{});
    const error strict = validate_topic_name(s, strict_chars);
    if (control) {
      CHECK(strict == error{errc::control_character, 1});
      ++controls;
    } else if (non_char) {
      CHECK(strict == error{errc::non_character, 1});
      ++non_characters;
    } else {
      CHECK(strict == error{});
    }
  }
  CHECK(controls == 31 + 33);  // U+0001..U+001F and U+007F..U+009F
  CHECK(non_characters == 66);
}

// ---------------------------------------------------------------- topic names and filters

TEST_CASE("wire: topic filter validity, every row of the spec §4.2 table") {
  struct row {
    std::string_view filter;
    error expected;
  };
  const row rows[] = {
      {"#", {}},
      {"+", {}},
      {"/", {}},
      {"//", {}},
      {"sport/tennis/#", {}},
      {"+/tennis/#", {}},
      {"sport/+/player1", {}},
      {"+/+/#", {}},
      {"$SYS/#", {}},
      {"sport/tennis#", {errc::misplaced_multi_level_wildcard, 12}},           // [MQTT-4.7.1-2]
      {"sport/tennis/#/ranking", {errc::misplaced_multi_level_wildcard, 13}},  // [MQTT-4.7.1-2]
      {"#/a", {errc::misplaced_multi_level_wildcard, 0}},
      {"a/#/", {errc::misplaced_multi_level_wildcard, 2}},
      {"sport+", {errc::misplaced_single_level_wildcard, 5}},  // [MQTT-4.7.1-3]
      {"a/+b", {errc::misplaced_single_level_wildcard, 2}},
      {"+a", {errc::misplaced_single_level_wildcard, 0}},
      {"", {errc::empty_topic_filter, 0}},  // [MQTT-4.7.3-1]
  };
  for (const row& r : rows) {
    INFO(std::string(r.filter));
    CHECK(validate_topic_filter(r.filter) == r.expected);
    CHECK(is_valid_topic_filter(r.filter) == (r.expected.code == errc::success));
  }
}

TEST_CASE("wire: topic names have no wildcards anywhere, at least 1 and at most 65,535 bytes") {
  CHECK(validate_topic_name("sport/tennis/player1") == error{});
  CHECK(validate_topic_name("/") == error{});
  CHECK(validate_topic_name("Accounts payable") == error{});
  CHECK(validate_topic_name("$SYS/broker") == error{});
  CHECK(validate_topic_name("a+b") == error{errc::wildcard_in_topic_name, 1});  // spec §8 item 12
  CHECK(validate_topic_name("a/#") == error{errc::wildcard_in_topic_name, 2});
  CHECK(validate_topic_name("") == error{errc::empty_topic_name, 0});
  CHECK_FALSE(is_valid_topic_name("+"));
  // [MQTT-4.7.3-3]
  const std::string longest(65'535, 'a');
  const std::string too_long(65'536, 'a');
  CHECK(validate_topic_name(longest) == error{});
  CHECK(validate_topic_name(too_long) == error{errc::string_too_long, 0});
  CHECK(validate_topic_filter(longest) == error{});
  CHECK(validate_topic_filter(too_long) == error{errc::string_too_long, 0});
  // [MQTT-3.8.3-2] a server without wildcard support asks which filters have them.
  CHECK(has_wildcards("a/+"));
  CHECK(has_wildcards("#"));
  CHECK_FALSE(has_wildcards("a/b"));
}

TEST_CASE("wire: topic validation works in constant expressions") {
  static_assert(is_valid_topic_filter("sport/+/player1"));
  static_assert(!is_valid_topic_filter("sport/tennis#"));
  static_assert(validate_topic_name("a/+") == error{errc::wildcard_in_topic_name, 2});
  CHECK(true);
}

}  // namespace mqttwire_test
