// SPDX-License-Identifier: MIT
// UNSUBSCRIBE: exact bytes, decoded filter list, refusals (spec §3.10).
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace mqttwire_test {

namespace {
static constexpr unsubscribe kUnsub{.packet_id = 10, .topic_filters = filters_ab_cd};
constexpr std::string_view unsub_wire = "\xa2\x0c" "\x00\x0a" "\x00\x03" "a/b" "\x00\x03" "c/d"sv;
}  // namespace

TEST_CASE("unsubscribe: spec §3.10 example encodes at compile time and decodes to its filters") {
  constexpr auto fixed = encode_array<kUnsub>();
  static_assert(std::string_view(fixed.data(), fixed.size()) == unsub_wire);
  for (const protocol_version v : {v311, v31}) {
    CHECK(encode_both(kUnsub, v).bytes == unsub_wire);
    const auto d = decode(bytes_view(unsub_wire), v);
    REQUIRE(d);
    const auto& u = std::get<unsubscribe>(d->pkt);
    CHECK(u.packet_id == 10);
    CHECK_FALSE(u.dup);
    const std::vector<std::string_view> filters(u.topic_filters.begin(), u.topic_filters.end());
    CHECK(filters == std::vector<std::string_view>{"a/b", "c/d"});
    CHECK(u.topic_filters.wire_bytes() == unsub_wire.substr(4));
  }
}

TEST_CASE("unsubscribe: [MQTT-3.10.3-1] filters are packed with no gaps, 3.1 retransmission is AA") {
  const std::string_view filters[] = {"#", "+/x", "/"};
  const unsubscribe u{.packet_id = 2, .dup = true, .topic_filters = filters};
  CHECK(encode_both(u, v31).bytes ==
        "\xaa\x0d" "\x00\x02" "\x00\x01" "#" "\x00\x03" "+/x" "\x00\x01" "/"sv);
  CHECK(encode_both(u, v311).ec == errc::dup_not_allowed);
}

TEST_CASE("unsubscribe: the encoder refuses invalid UNSUBSCRIBEs") {
  for (const protocol_version v : {v311, v31}) {
    CHECK(encode_both(unsubscribe{.packet_id = 1}, v).ec == errc::empty_unsubscribe_list);
    CHECK(encode_both(unsubscribe{.packet_id = 0, .topic_filters = filters_a}, v).ec ==
          errc::packet_id_zero);
    const std::string_view bad[] = {"a", "b#"};
    CHECK(encode_both(unsubscribe{.packet_id = 1, .topic_filters = bad}, v).ec ==
          errc::misplaced_multi_level_wildcard);
    const std::string_view empty[] = {""};
    CHECK(encode_both(unsubscribe{.packet_id = 1, .topic_filters = empty}, v).ec ==
          errc::empty_topic_filter);
    const std::string_view nul[] = {"a\0"sv};
    CHECK(encode_both(unsubscribe{.packet_id = 1, .topic_filters = nul}, v).ec ==
          errc::null_character);
  }
  // Too large: 4,096 filters of 65,535 bytes, 2 + 4,096 * 65,537 > 268,435,455.
  const std::string filter(65'535, 'f');
  const std::vector<std::string_view> many(4'096, filter);
  CHECK(validate(unsubscribe{.packet_id = 1, .topic_filters = many}) == errc::packet_too_large);
  const std::vector<std::string_view> fewer(4'095, filter);
  CHECK(validate(unsubscribe{.packet_id = 1, .topic_filters = fewer}) == errc::success);
}

}  // namespace mqttwire_test
