// SPDX-License-Identifier: MIT
// SUBSCRIBE and SUBACK: exact bytes, decoded lists, refusals (spec §3.8, §3.9).
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace mqttwire_test {

namespace {
static constexpr subscribe kSub{.packet_id = 10, .subscriptions = subs_ab1_cd2};
static constexpr suback kAck{.packet_id = 10, .return_codes = codes_0_2_80};
constexpr std::string_view sub_wire =
    "\x82\x0e" "\x00\x0a" "\x00\x03" "a/b" "\x01" "\x00\x03" "c/d" "\x02"sv;
}  // namespace

TEST_CASE("subscribe: spec §3.8 example encodes at compile time and decodes to its list") {
  constexpr auto fixed = encode_array<kSub>();
  static_assert(std::string_view(fixed.data(), fixed.size()) == sub_wire);
  for (const protocol_version v : {v311, v31}) {
    CHECK(encode_both(kSub, v).bytes == sub_wire);
    const auto d = decode(bytes_view(sub_wire), v);
    REQUIRE(d);
    const auto& s = std::get<subscribe>(d->pkt);
    CHECK(s.packet_id == 10);
    CHECK_FALSE(s.dup);
    CHECK(s.subscriptions.is_wire_view());
    CHECK(s.subscriptions.size() == 2);
    std::vector<subscription> got(s.subscriptions.begin(), s.subscriptions.end());
    REQUIRE(got.size() == 2);
    CHECK(got[0].topic_filter == "a/b");
    CHECK(got[0].qos == qos_level::at_least_once);
    CHECK(got[1].topic_filter == "c/d");
    CHECK(got[1].qos == qos_level::exactly_once);
    CHECK(got[0].topic_filter.data() == sub_wire.data() + 6);  // a view, not a copy
    CHECK(s == kSub);
  }
}

TEST_CASE("subscribe: the list can come from any contiguous container") {
  std::vector<subscription> subs{{"sensors/+/temp", q0}, {"alerts/#", q2}, {"+", q1}};
  const subscribe s{.packet_id = 0xbeef, .subscriptions = subs};
  const auto e = encode_both(s);
  REQUIRE(e.ec == errc::success);
  CHECK(e.bytes.size() == 2 + 2 + (2 + 14 + 1) + (2 + 8 + 1) + (2 + 1 + 1));
  const auto d = decode(bytes_view(e.bytes));
  REQUIRE(d);
  CHECK(std::get<subscribe>(d->pkt) == s);
}

TEST_CASE("subscribe: the encoder refuses invalid SUBSCRIBEs") {
  const std::string too_long(65'536, 'f');
  for (const protocol_version v : {v311, v31}) {
    INFO(to_string(v));
    // [MQTT-3.8.3-3]: the encoder holds 3.1 to it too, an empty SUBSCRIBE is never useful.
    CHECK(encode_both(subscribe{.packet_id = 1}, v).ec == errc::empty_subscription_list);
    CHECK(encode_both(subscribe{.packet_id = 0, .subscriptions = subs_a0}, v).ec ==
          errc::packet_id_zero);
    const subscription bad_hash[] = {{"a/#/b", q0}};
    CHECK(encode_both(subscribe{.packet_id = 1, .subscriptions = bad_hash}, v).ec ==
          errc::misplaced_multi_level_wildcard);
    const subscription bad_plus[] = {{"ok", q0}, {"a+", q0}};
    CHECK(encode_both(subscribe{.packet_id = 1, .subscriptions = bad_plus}, v).ec ==
          errc::misplaced_single_level_wildcard);
    const subscription empty[] = {{"", q0}};
    CHECK(encode_both(subscribe{.packet_id = 1, .subscriptions = empty}, v).ec ==
          errc::empty_topic_filter);
    const subscription qos3[] = {{"a", static_cast<qos_level>(3)}};
    CHECK(encode_both(subscribe{.packet_id = 1, .subscriptions = qos3}, v).ec ==
          errc::invalid_requested_qos);
    const subscription long_filter[] = {{too_long, q0}};
    CHECK(encode_both(subscribe{.packet_id = 1, .subscriptions = long_filter}, v).ec ==
          errc::string_too_long);
  }
  // DUP marks a 3.1 retransmission (8A); 3.1.1 fixes the flags at 0010 ([MQTT-3.8.1-1]).
  const subscribe retry{.packet_id = 10, .dup = true, .subscriptions = subs_ab1_cd2};
  CHECK(encode_both(retry, v311).ec == errc::dup_not_allowed);
  CHECK(encode_both(retry, v31).bytes.substr(0, 2) == "\x8a\x0e");
}

TEST_CASE("subscribe: a list that makes the packet exceed 268,435,455 bytes is refused") {
  // 4,096 entries of a 65,535-byte filter: 2 + 4,096 * 65,538 > 268,435,455.
  const std::string filter(65'535, 'f');
  const std::vector<subscription> subs(4'096, subscription{filter, q0});
  const subscribe s{.packet_id = 1, .subscriptions = subs};
  CHECK(validate(s) == errc::packet_too_large);
  std::array<char, 8> out{};
  CHECK(encode(s, std::span<char>(out)).error() == error{errc::packet_too_large, 0});
  const std::vector<subscription> fewer(4'095, subscription{filter, q0});
  CHECK(validate(subscribe{.packet_id = 1, .subscriptions = fewer}) == errc::success);
}

TEST_CASE("suback: spec §3.9 examples in each version") {
  constexpr auto fixed = encode_array<kAck>();
  static_assert(std::string_view(fixed.data(), fixed.size()) ==
                "\x90\x05" "\x00\x0a" "\x00\x02\x80"sv);
  const auto d = decode(bytes_view(fixed));
  REQUIRE(d);
  const auto& s = std::get<suback>(d->pkt);
  CHECK(s.packet_id == 10);
  const std::vector<std::uint8_t> codes(s.return_codes.begin(), s.return_codes.end());
  CHECK(codes == std::vector<std::uint8_t>{0x00, 0x02, 0x80});
  // 3.1 has no failure code: the encoder refuses it, as the decoder does.
  CHECK(encode_both(kAck, v31).ec == errc::invalid_suback_return_code);
  const suback granted{.packet_id = 10, .return_codes = codes_1_2};
  CHECK(encode_both(granted, v31).bytes == "\x90\x04" "\x00\x0a" "\x01\x02"sv);
}

TEST_CASE("suback: the encoder refuses invalid SUBACKs") {
  for (const protocol_version v : {v311, v31}) {
    CHECK(encode_both(suback{.packet_id = 1}, v).ec == errc::empty_return_code_list);
    CHECK(encode_both(suback{.packet_id = 0, .return_codes = codes_1_2}, v).ec ==
          errc::packet_id_zero);
    const std::uint8_t reserved[] = {0x03};
    CHECK(encode_both(suback{.packet_id = 1, .return_codes = reserved}, v).ec ==
          errc::invalid_suback_return_code);
    const std::uint8_t high[] = {0x81};
    CHECK(encode_both(suback{.packet_id = 1, .return_codes = high}, v).ec ==
          errc::invalid_suback_return_code);
  }
}

}  // namespace mqttwire_test
