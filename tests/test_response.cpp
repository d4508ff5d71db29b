// SPDX-License-Identifier: MIT
// What a server answers to a decoded CONNECT (refusals are not malformations), and replies
// checked against their requests (spec §7 rows 53, 54, 77).
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>

namespace mqttwire_test {

namespace {
constexpr connect with_id(protocol_version v, std::string_view id, bool clean = true) {
  return connect{.protocol = v, .clean_session = clean, .client_id = id};
}
}  // namespace

TEST_CASE("response: MQTT 3.1 client ids of 1..23 characters are accepted, others refused") {
  using enum connect_return_code;
  CHECK(connack_code_for(with_id(v31, "c1")) == accepted);
  CHECK(connack_code_for(with_id(v31, "abcdefghijklmnopqrstuvw")) == accepted);  // 23
  // Spec §7 row 54: 24 characters.
  CHECK(connack_code_for(with_id(v31, "abcdefghijklmnopqrstuvwx")) == identifier_rejected);
  CHECK(connack_code_for(with_id(v31, "abcdefghijklmnopqrstuvwx"),
                         connect_policy{.accept_long_3_1_client_ids = true}) == accepted);
  // Spec §7 row 53 (3.1): an empty id is refused even with clean session 1, and even by a
  // policy that accepts long ids or empty 3.1.1 ids.
  CHECK(connack_code_for(with_id(v31, "")) == identifier_rejected);
  CHECK(connack_code_for(with_id(v31, ""), connect_policy{true, true}) == identifier_rejected);
  // 3.1.1 has no 23-character limit on what a server MAY accept ([MQTT-3.1.3-5]).
  CHECK(connack_code_for(with_id(v311, "abcdefghijklmnopqrstuvwxyz0123456789")) == accepted);
}

TEST_CASE("response: [MQTT-3.1.3-8] [MQTT-3.1.3-6] [MQTT-3.1.3-9] empty 3.1.1 client ids") {
  using enum connect_return_code;
  CHECK(connack_code_for(with_id(v311, "", false)) == identifier_rejected);
  CHECK(connack_code_for(with_id(v311, "", true)) == accepted);
  CHECK(connack_code_for(with_id(v311, "", true), connect_policy{.accept_empty_client_id = false}) ==
        identifier_rejected);
  CHECK(connack_code_for(with_id(v311, "", false), connect_policy{.accept_empty_client_id = true}) ==
        identifier_rejected);
  static_assert(connack_code_for(with_id(v311, "", false)) == identifier_rejected);
}

TEST_CASE("response: decoded CONNECTs of spec §7 rows 53 and 54 decode, then get CONNACK 2") {
  using enum connect_return_code;
  const auto row53 = decode(bytes_view("\x10\x0c" "\x00\x04" "MQTT" "\x04" "\x00" "\x00\x3c" "\x00\x00"sv));
  REQUIRE(row53);
  CHECK(connack_code_for(std::get<connect>(row53->pkt)) == identifier_rejected);
  const auto row54 = decode(bytes_view(connect_31_id24_wire));
  REQUIRE(row54);
  CHECK(connack_code_for(std::get<connect>(row54->pkt)) == identifier_rejected);
  CHECK(connack_code_for(std::get<connect>(row54->pkt), {.accept_long_3_1_client_ids = true}) ==
        accepted);
  // The answer the spec gives for REFUSE(2): 20 02 00 02.
  const connack reply{.return_code = identifier_rejected};
  CHECK(encode_both(reply).bytes == "\x20\x02\x00\x02"sv);
}

TEST_CASE("response: [MQTT-3.8.4-5] spec §7 row 77: SUBACK count must match the SUBSCRIBE") {
  // The two-filter example of spec §3.8, answered by `90 03 00 0A 00`.
  const auto sub = decode(bytes_view(
      "\x82\x0e" "\x00\x0a" "\x00\x03" "a/b" "\x01" "\x00\x03" "c/d" "\x02"sv));
  const auto one = decode(bytes_view("\x90\x03" "\x00\x0a" "\x00"sv));
  const auto two = decode(bytes_view("\x90\x04" "\x00\x0a" "\x01\x02"sv));
  const auto other_id = decode(bytes_view("\x90\x04" "\x00\x0b" "\x01\x02"sv));
  REQUIRE(sub);
  REQUIRE(one);
  REQUIRE(two);
  REQUIRE(other_id);
  const auto& request = std::get<subscribe>(sub->pkt);
  CHECK(check_reply(request, std::get<suback>(one->pkt)) == errc::return_code_count_mismatch);
  CHECK(check_reply(request, std::get<suback>(two->pkt)) == errc::success);
  // [MQTT-2.3.1-7] the same packet id.
  CHECK(check_reply(request, std::get<suback>(other_id->pkt)) == errc::packet_id_mismatch);
  // Caller-built lists work the same.
  CHECK(check_reply(subscribe{.packet_id = 10, .subscriptions = subs_ab1_cd2},
                    suback{.packet_id = 10, .return_codes = codes_1_2}) == errc::success);
}

TEST_CASE("response: [MQTT-2.3.1-7] UNSUBACK carries the UNSUBSCRIBE's packet id") {
  const unsubscribe request{.packet_id = 10, .topic_filters = filters_ab_cd};
  CHECK(check_reply(request, unsuback{.packet_id = 10}) == errc::success);
  CHECK(check_reply(request, unsuback{.packet_id = 11}) == errc::packet_id_mismatch);
}


TEST_CASE("response: answer_connect gives the whole CONNACK for a decoded CONNECT") {
  using enum connect_return_code;
  const connect fresh{.clean_session = true, .client_id = "c1"};
  const connect resuming{.clean_session = false, .client_id = "c1"};
  const connect resuming_31{.protocol = protocol_version::v3_1, .clean_session = false,
                            .client_id = "c1"};
  // [MQTT-3.2.2-1]: Clean Session 1 never has a session present, even if one was held.
  CHECK(answer_connect(fresh, true) == connack{.session_present = false, .return_code = accepted});
  // [MQTT-3.2.2-2] / [MQTT-3.2.2-3]: Clean Session 0 says whether the server had one.
  CHECK(answer_connect(resuming, true) == connack{.session_present = true, .return_code = accepted});
  CHECK(answer_connect(resuming, false) == connack{.session_present = false, .return_code = accepted});
  // MQTT 3.1 has no Session Present: the answer must stay encodable for 3.1.
  const connack ack_31 = answer_connect(resuming_31, true);
  CHECK(ack_31 == connack{.session_present = false, .return_code = accepted});
  CHECK(validate(ack_31, protocol_version::v3_1) == errc::success);
  // [MQTT-3.2.2-4]: a refusal never has Session Present, whoever refuses.
  CHECK(answer_connect(resuming, true, bad_username_or_password) ==
        connack{.session_present = false, .return_code = bad_username_or_password});
  const connect empty_id{.clean_session = false, .client_id = ""};  // [MQTT-3.1.3-8]
  CHECK(answer_connect(empty_id, true) ==
        connack{.session_present = false, .return_code = identifier_rejected});
  // The packet's own refusal wins over the caller's (it is checked first).
  CHECK(answer_connect(empty_id, true, not_authorized).return_code == identifier_rejected);
  // The bytes: 20 02 01 00.
  CHECK(encode_both(answer_connect(resuming, true)).bytes == "\x20\x02\x01\x00"sv);
}

TEST_CASE("response: suback_code_for grants the lower QoS or refuses, per version") {
  using enum qos_level;
  CHECK(*suback_code_for(exactly_once, at_least_once) == suback_code::granted_qos1);
  CHECK(*suback_code_for(at_most_once, exactly_once) == suback_code::granted_qos0);
  CHECK(*suback_code_for(exactly_once, exactly_once) == suback_code::granted_qos2);
  CHECK(*suback_code_for(at_least_once, exactly_once, protocol_version::v3_1) ==
        suback_code::granted_qos1);
  CHECK(*suback_code_for(at_least_once, std::nullopt) == suback_code::failure);
  // MQTT 3.1 has no failure code: refusing there is an error, not an unencodable SUBACK.
  CHECK(suback_code_for(at_least_once, std::nullopt, protocol_version::v3_1).error() ==
        error{errc::invalid_suback_return_code, 0});
  // Every code it gives is one validate accepts in that version.
  for (const protocol_version v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    for (const qos_level asked : {at_most_once, at_least_once, exactly_once}) {
      for (const std::optional<qos_level> cap : {std::optional<qos_level>{}, std::optional{at_most_once},
                                                 std::optional{at_least_once}, std::optional{exactly_once}}) {
        const auto code = suback_code_for(asked, cap, v);
        if (!code) continue;
        const std::uint8_t one[] = {*code};
        CHECK(validate(suback{.packet_id = 1, .return_codes = one}, v) == errc::success);
      }
    }
  }
}

}  // namespace mqttwire_test
