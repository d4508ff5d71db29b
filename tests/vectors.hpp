// SPDX-License-Identifier: MIT
// The codec's test vectors as constexpr data: every hex example of spec §3 and every bytes-checkable
// row of spec §7, each with its version(s), options, wire bytes and expected packet or error.
#ifndef MQTTWIRE_TESTS_VECTORS_HPP
#define MQTTWIRE_TESTS_VECTORS_HPP

#include <mqttwire/mqttwire.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

// Readable doctest failure messages for the library's result types (found by ADL).
namespace mqttwire {
inline std::ostream& operator<<(std::ostream& os, errc e) { return os << to_string(e); }
inline std::ostream& operator<<(std::ostream& os, const error& e) {
  return os << to_string(e.code) << " at offset " << e.offset;
}
}  // namespace mqttwire

namespace mqttwire_test {

using namespace mqttwire;
using namespace std::string_view_literals;

/// Which protocol versions a row is decoded under. CONNECT names its own version, so its rows
/// are usually `both`: the connection's version must not change the outcome.
enum class in : unsigned char { v3_1_1 = 1, v3_1 = 2, both = 3 };

constexpr bool applies(in which, protocol_version v) noexcept {
  const unsigned bit = v == protocol_version::v3_1_1 ? 1u : 2u;
  return (static_cast<unsigned>(which) & bit) != 0;
}

/// A decode error: the code and the byte offset in the input where it was found.
constexpr error fails(errc code, std::size_t offset) noexcept { return {code, offset}; }

/// Set on valid rows whose bytes are not what the encoder writes for the decoded packet (a
/// tolerated flag, a non-minimal length, a field a 3.1 decoder ignores). check_row verifies the
/// claim: encoding such a packet either is refused or gives different bytes.
inline constexpr bool noncanonical = false;

struct vector_row {
  std::string_view name;
  in versions;
  options opts;
  std::string_view wire;
  std::variant<packet, error> expected;
  bool canonical = true;  ///< encode(decode(wire)) == wire (valid rows only)
};

/// "<row name> / <version>": how a row checked under one version is named in test output.
inline std::string row_title(const vector_row& row, protocol_version v) {
  return std::string(row.name) + " / " + std::string(to_string(v));
}

inline constexpr options strict_31{.strict_3_1 = true};
inline constexpr options strict_len{.reject_non_minimal_length = true};
inline constexpr options strict_chars{.reject_control_characters = true};
inline constexpr options tolerant = options::tolerant();
using rc = connect_return_code;

inline constexpr auto q0 = qos_level::at_most_once;
inline constexpr auto q1 = qos_level::at_least_once;
inline constexpr auto q2 = qos_level::exactly_once;
inline constexpr auto v311 = protocol_version::v3_1_1;
inline constexpr auto v31 = protocol_version::v3_1;

// Lists the expected packets point at.
inline constexpr subscription subs_ab1_cd2[] = {{"a/b", q1}, {"c/d", q2}};
inline constexpr subscription subs_hash0[] = {{"#", q0}};
inline constexpr subscription subs_a0[] = {{"a", q0}};
inline constexpr subscription subs_a1[] = {{"a", q1}};
inline constexpr std::uint8_t codes_0_2_80[] = {0x00, 0x02, 0x80};
inline constexpr std::uint8_t codes_1_2[] = {0x01, 0x02};
inline constexpr std::uint8_t codes_80[] = {0x80};
inline constexpr std::string_view filters_ab_cd[] = {"a/b", "c/d"};
inline constexpr std::string_view filters_a[] = {"a"};

// Spec §3.3 "Two-byte Remaining Length": topic "t" and 200 payload bytes, 206 bytes in all.
inline constexpr std::string_view publish_rl203_wire =
    "\x30\xcb\x01"  // PUBLISH QoS 0, Remaining Length 203 = CB 01
    "\x00\x01"      // topic length 1
    "t"             // topic "t"
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
    "1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901"
    "234567890123456789"sv;  // 200 payload bytes

// Spec §7 row 54: a 3.1 client id of 24 characters (decodes; the CONNACK decision is separate).
inline constexpr std::string_view connect_31_id24_wire =
    "\x10\x26"                        // CONNECT, Remaining Length 38 = 12 + 2 + 24
    "\x00\x06" "MQIsdp" "\x03"        // protocol name and version 3
    "\x02"                            // flags: clean session
    "\x00\x3c"                        // keep alive 60
    "\x00\x18" "abcdefghijklmnopqrstuvwx"sv;  // client id, 24 bytes

inline constexpr connect connect_a{.protocol = v311, .clean_session = true, .keep_alive = 60,
                                   .client_id = "c1"};
inline constexpr connect connect_a_31{.protocol = v31, .clean_session = true, .keep_alive = 60,
                                      .client_id = "c1"};
inline constexpr connect connect_b{.protocol = v311,
                                   .clean_session = true,
                                   .keep_alive = 10,
                                   .client_id = "dev1",
                                   .will = last_will{.topic = "a/will", .payload = "bye", .qos = q1},
                                   .username = "user",
                                   .password = "pw"};
inline constexpr connect connect_c{.protocol = v31,
                                   .clean_session = true,
                                   .keep_alive = 10,
                                   .client_id = "dev1",
                                   .will = last_will{.topic = "a/will", .payload = "bye", .qos = q1},
                                   .username = "user",
                                   .password = "pw"};

// clang-format off
inline constexpr vector_row vectors[] = {
  // ---------------------------------------------------------------- spec §3: every hex example
  {"spec §3.1 example (a): CONNECT 3.1.1 minimal", in::both, {},
   "\x10\x0e"                // CONNECT, Remaining Length 14
   "\x00\x04" "MQTT"         // protocol name
   "\x04"                    // level 4
   "\x02"                    // flags: clean session
   "\x00\x3c"                // keep alive 60
   "\x00\x02" "c1"sv,        // client id
   packet{connect_a}},
  {"spec §3.1 example (b): CONNECT 3.1.1 with will, user name and password", in::both, {},
   "\x10\x27"                // CONNECT, Remaining Length 39
   "\x00\x04" "MQTT" "\x04"  // protocol name, level 4
   "\xce"                    // flags 1100 1110: user, password, will QoS 1, will, clean session
   "\x00\x0a"                // keep alive 10
   "\x00\x04" "dev1"         // client id
   "\x00\x06" "a/will"       // will topic
   "\x00\x03" "bye"          // will message
   "\x00\x04" "user"         // user name
   "\x00\x02" "pw"sv,        // password
   packet{connect_b}},
  {"spec §3.1 example (c): CONNECT 3.1 with will, user name and password", in::both, {},
   "\x10\x29"                     // CONNECT, Remaining Length 41
   "\x00\x06" "MQIsdp" "\x03"     // protocol name, version 3
   "\xce"                         // flags as in (b)
   "\x00\x0a"                     // keep alive 10
   "\x00\x04" "dev1"              // client id
   "\x00\x06" "a/will"            // will topic
   "\x00\x03" "bye"               // will message
   "\x00\x04" "user"              // user name
   "\x00\x02" "pw"sv,             // password
   packet{connect_c}},
  {"spec §3.1 example (d): CONNECT 3.1 minimal", in::both, {},
   "\x10\x10"                     // CONNECT, Remaining Length 16
   "\x00\x06" "MQIsdp" "\x03"     // protocol name, version 3
   "\x02"                         // flags: clean session
   "\x00\x3c"                     // keep alive 60
   "\x00\x02" "c1"sv,             // client id
   packet{connect_a_31}},
  {"spec §3.1 example (e): CONNECT 3.1.1 with a zero-length client id", in::both, {},
   "\x10\x0c"                // CONNECT, Remaining Length 12
   "\x00\x04" "MQTT" "\x04"  // protocol name, level 4
   "\x02"                    // flags: clean session
   "\x00\x00"                // keep alive 0 (off)
   "\x00\x00"sv,             // client id ""
   packet{connect{.protocol = v311, .clean_session = true, .keep_alive = 0, .client_id = ""}}},
  {"spec §3.2 example: CONNACK accepted", in::both, {},
   "\x20\x02" "\x00" "\x00"sv,  // CONNACK, RL 2, flags 0, return code 0
   packet{connack{.session_present = false, .return_code = rc::accepted}}},
  {"spec §3.2 example: CONNACK accepted with Session Present", in::v3_1_1, {},
   "\x20\x02" "\x01" "\x00"sv,  // CONNACK, RL 2, Session Present, return code 0
   packet{connack{.session_present = true, .return_code = rc::accepted}}},
  {"spec §3.2: MQTT 3.1 ignores CONNACK byte 1 (topic name compression response)", in::v3_1, {},
   "\x20\x02" "\x01" "\x00"sv,
   packet{connack{.session_present = false, .return_code = rc::accepted}}, noncanonical},
  {"spec §3.2 example: CONNACK refused, unsupported protocol level", in::both, {},
   "\x20\x02" "\x00" "\x01"sv,
   packet{connack{.session_present = false, .return_code = rc::unacceptable_protocol_version}}},
  {"spec §3.2 example: CONNACK refused, not authorised", in::both, {},
   "\x20\x02" "\x00" "\x05"sv,
   packet{connack{.session_present = false, .return_code = rc::not_authorized}}},
  {"spec §3.3 example: PUBLISH QoS 0 a/b hi", in::both, {},
   "\x30\x07"            // PUBLISH, DUP 0, QoS 0, RETAIN 0, RL 7
   "\x00\x03" "a/b"      // topic
   "hi"sv,               // payload
   packet{publish{.qos = q0, .topic = "a/b", .payload = "hi"}}},
  {"spec §3.3 example: PUBLISH QoS 1 id 10 a/b hi", in::both, {},
   "\x32\x09"            // PUBLISH QoS 1, RL 9
   "\x00\x03" "a/b"      // topic
   "\x00\x0a"            // packet id 10
   "hi"sv,               // payload
   packet{publish{.qos = q1, .topic = "a/b", .packet_id = 10, .payload = "hi"}}},
  {"spec §3.3 example: PUBLISH QoS 2 DUP RETAIN id 0x1234 empty payload", in::both, {},
   "\x3d\x07"            // PUBLISH 0011 1101: DUP, QoS 2, RETAIN; RL 7
   "\x00\x03" "a/b"      // topic
   "\x12\x34"sv,         // packet id 0x1234, no payload
   packet{publish{.dup = true, .qos = q2, .retain = true, .topic = "a/b", .packet_id = 0x1234}}},
  {"spec §3.3 example: PUBLISH clearing the retained message", in::both, {},
   "\x31\x05"            // PUBLISH QoS 0 RETAIN, RL 5
   "\x00\x03" "a/b"sv,   // topic, empty payload
   packet{publish{.qos = q0, .retain = true, .topic = "a/b"}}},
  {"spec §3.3 example: PUBLISH with a two-byte Remaining Length", in::both, {},
   publish_rl203_wire,
   packet{publish{.qos = q0, .topic = "t", .payload = publish_rl203_wire.substr(6)}}},
  {"spec §3.4 example: PUBACK id 10", in::both, {}, "\x40\x02" "\x00\x0a"sv,
   packet{puback{.packet_id = 10}}},
  {"spec §3.5 example: PUBREC id 10", in::both, {}, "\x50\x02" "\x00\x0a"sv,
   packet{pubrec{.packet_id = 10}}},
  {"spec §3.6 example: PUBREL id 10", in::both, {}, "\x62\x02" "\x00\x0a"sv,
   packet{pubrel{.packet_id = 10}}},
  {"spec §3.6 example: PUBREL 3.1 retransmission with DUP", in::v3_1, {}, "\x6a\x02" "\x00\x0a"sv,
   packet{pubrel{.packet_id = 10, .dup = true}}},
  {"[MQTT-3.6.1-1] spec §3.6 example: PUBREL with DUP is malformed in 3.1.1", in::v3_1_1, {},
   "\x6a\x02" "\x00\x0a"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §3.7 example: PUBCOMP id 10", in::both, {}, "\x70\x02" "\x00\x0a"sv,
   packet{pubcomp{.packet_id = 10}}},
  {"spec §3.8 example: SUBSCRIBE a/b QoS 1 and c/d QoS 2", in::both, {},
   "\x82\x0e"                 // SUBSCRIBE, flags 0010, RL 14
   "\x00\x0a"                 // packet id 10
   "\x00\x03" "a/b" "\x01"    // filter a/b, requested QoS 1
   "\x00\x03" "c/d" "\x02"sv, // filter c/d, requested QoS 2
   packet{subscribe{.packet_id = 10, .subscriptions = subs_ab1_cd2}}},
  {"spec §3.8 example: SUBSCRIBE to everything", in::both, {},
   "\x82\x06"                 // SUBSCRIBE, RL 6
   "\x00\x01"                 // packet id 1
   "\x00\x01" "#" "\x00"sv,   // filter #, QoS 0
   packet{subscribe{.packet_id = 1, .subscriptions = subs_hash0}}},
  {"spec §3.8 example: SUBSCRIBE 3.1 retransmission with DUP", in::v3_1, {},
   "\x8a\x0e" "\x00\x0a" "\x00\x03" "a/b" "\x01" "\x00\x03" "c/d" "\x02"sv,
   packet{subscribe{.packet_id = 10, .dup = true, .subscriptions = subs_ab1_cd2}}},
  {"spec §3.8 example: SUBSCRIBE 3.1 retransmission, strict 3.1 mode", in::v3_1, strict_31,
   "\x8a\x0e" "\x00\x0a" "\x00\x03" "a/b" "\x01" "\x00\x03" "c/d" "\x02"sv,
   packet{subscribe{.packet_id = 10, .dup = true, .subscriptions = subs_ab1_cd2}}},
  {"spec §3.9 example: SUBACK 3.1.1 QoS 0, QoS 2 and failure", in::v3_1_1, {},
   "\x90\x05"                 // SUBACK, RL 5
   "\x00\x0a"                 // packet id 10
   "\x00\x02\x80"sv,          // return codes 0, 2, failure
   packet{suback{.packet_id = 10, .return_codes = codes_0_2_80}}},
  {"spec §3.9 example: SUBACK 3.1 granted QoS 1 and 2", in::both, {},
   "\x90\x04" "\x00\x0a" "\x01\x02"sv,
   packet{suback{.packet_id = 10, .return_codes = codes_1_2}}},
  {"spec §3.10 example: UNSUBSCRIBE a/b and c/d", in::both, {},
   "\xa2\x0c"                 // UNSUBSCRIBE, flags 0010, RL 12
   "\x00\x0a"                 // packet id 10
   "\x00\x03" "a/b"           // filter
   "\x00\x03" "c/d"sv,        // filter
   packet{unsubscribe{.packet_id = 10, .topic_filters = filters_ab_cd}}},
  {"spec §3.10: UNSUBSCRIBE 3.1 retransmission with DUP", in::v3_1, {},
   "\xaa\x0c" "\x00\x0a" "\x00\x03" "a/b" "\x00\x03" "c/d"sv,
   packet{unsubscribe{.packet_id = 10, .dup = true, .topic_filters = filters_ab_cd}}},
  {"[MQTT-3.10.1-1] UNSUBSCRIBE with DUP is malformed in 3.1.1", in::v3_1_1, {},
   "\xaa\x0c" "\x00\x0a" "\x00\x03" "a/b" "\x00\x03" "c/d"sv,
   fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §3.11 example: UNSUBACK id 10", in::both, {}, "\xb0\x02" "\x00\x0a"sv,
   packet{unsuback{.packet_id = 10}}},
  {"spec §3.12: PINGREQ", in::both, {}, "\xc0\x00"sv, packet{pingreq{}}},
  {"spec §3.13: PINGRESP", in::both, {}, "\xd0\x00"sv, packet{pingresp{}}},
  {"spec §3.14 example: DISCONNECT", in::both, {}, "\xe0\x00"sv, packet{disconnect{}}},

  // ---------------------------------------------------------------- spec §7.1 framing
  {"spec §7 row 1: reserved packet type 0", in::both, {}, "\x00\x00"sv,
   fails(errc::reserved_packet_type, 0)},
  {"spec §7 row 2: reserved packet type 15", in::both, {}, "\xf0\x00"sv,
   fails(errc::reserved_packet_type, 0)},
  {"spec §7 row 3: Remaining Length longer than 4 bytes", in::both, {},
   "\x30\x80\x80\x80\x80\x01"sv, fails(errc::malformed_remaining_length, 4)},
  {"spec §7 row 4: 4th Remaining Length byte with its continuation bit", in::both, {},
   "\x30\xff\xff\xff\xff\x7f"sv, fails(errc::malformed_remaining_length, 4)},
  {"spec §7 row 5: truncated stream, fixed header only", in::both, {}, "\x30"sv,
   fails(errc::incomplete, 1)},
  {"spec §7 row 6: truncated stream, fewer bytes than the Remaining Length", in::both, {},
   "\x32\x09" "\x00\x03" "a"sv, fails(errc::incomplete, 5)},
  {"spec §7 row 7: non-minimal Remaining Length accepted by default", in::both, {},
   "\xc0\x80\x00"sv, packet{pingreq{}}, noncanonical},
  {"spec §7 row 7: non-minimal Remaining Length rejected in strict mode", in::both, strict_len,
   "\xc0\x80\x00"sv, fails(errc::non_minimal_remaining_length, 1)},
  {"[MQTT-2.2.2-2] spec §7 row 8: wrong flags on PUBACK", in::v3_1_1, {},
   "\x41\x02" "\x00\x01"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §7 row 8: wrong flags on PUBACK, 3.1 tolerant", in::v3_1, {},
   "\x41\x02" "\x00\x01"sv, packet{puback{.packet_id = 1}}, noncanonical},
  {"spec §7 row 8: wrong flags on PUBACK, 3.1 strict", in::v3_1, strict_31,
   "\x41\x02" "\x00\x01"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"[MQTT-3.6.1-1] spec §7 row 9: PUBREL with flags 0000", in::v3_1_1, {},
   "\x60\x02" "\x00\x01"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §7 row 9: PUBREL with flags 0000, 3.1 tolerant", in::v3_1, {},
   "\x60\x02" "\x00\x01"sv, packet{pubrel{.packet_id = 1}}, noncanonical},
  {"spec §7 row 9: PUBREL with flags 0000, 3.1 strict", in::v3_1, strict_31,
   "\x60\x02" "\x00\x01"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"[MQTT-3.6.1-1] spec §7 row 10: PUBREL with DUP", in::v3_1_1, {},
   "\x6a\x02" "\x00\x01"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §7 row 10: PUBREL with DUP is a 3.1 retransmission, also in strict mode", in::v3_1,
   strict_31, "\x6a\x02" "\x00\x01"sv, packet{pubrel{.packet_id = 1, .dup = true}}},
  {"[MQTT-3.8.1-1] spec §7 row 11: SUBSCRIBE with flags 0000", in::v3_1_1, {},
   "\x80\x06" "\x00\x01" "\x00\x01" "a" "\x00"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §7 row 11: SUBSCRIBE with flags 0000, 3.1 tolerant", in::v3_1, {},
   "\x80\x06" "\x00\x01" "\x00\x01" "a" "\x00"sv,
   packet{subscribe{.packet_id = 1, .subscriptions = subs_a0}}, noncanonical},
  {"spec §7 row 11: SUBSCRIBE with flags 0000, 3.1 strict", in::v3_1, strict_31,
   "\x80\x06" "\x00\x01" "\x00\x01" "a" "\x00"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"[MQTT-3.8.1-1] spec §7 row 12: SUBSCRIBE with DUP", in::v3_1_1, {},
   "\x8a\x06" "\x00\x01" "\x00\x01" "a" "\x00"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §7 row 12: SUBSCRIBE with DUP is a 3.1 retransmission", in::v3_1, {},
   "\x8a\x06" "\x00\x01" "\x00\x01" "a" "\x00"sv,
   packet{subscribe{.packet_id = 1, .dup = true, .subscriptions = subs_a0}}},
  {"[MQTT-3.10.1-1] spec §7 row 13: UNSUBSCRIBE with flags 0000", in::v3_1_1, {},
   "\xa0\x05" "\x00\x01" "\x00\x01" "a"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §7 row 13: UNSUBSCRIBE with flags 0000, 3.1 tolerant", in::v3_1, {},
   "\xa0\x05" "\x00\x01" "\x00\x01" "a"sv,
   packet{unsubscribe{.packet_id = 1, .topic_filters = filters_a}}, noncanonical},
  {"spec §7 row 13: UNSUBSCRIBE with flags 0000, 3.1 strict", in::v3_1, strict_31,
   "\xa0\x05" "\x00\x01" "\x00\x01" "a"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"[MQTT-2.2.2-2] spec §7 row 14: PINGREQ with a flag", in::v3_1_1, {}, "\xc1\x00"sv,
   fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §7 row 14: PINGREQ with a flag, 3.1 tolerant", in::v3_1, {}, "\xc1\x00"sv,
   packet{pingreq{}}, noncanonical},
  {"spec §7 row 14: PINGREQ with a flag, 3.1 strict", in::v3_1, strict_31, "\xc1\x00"sv,
   fails(errc::invalid_fixed_header_flags, 0)},
  {"[MQTT-3.14.1-1] spec §7 row 15: DISCONNECT with flags", in::v3_1_1, {}, "\xe2\x00"sv,
   fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §7 row 15: DISCONNECT with flags, 3.1 tolerant", in::v3_1, {}, "\xe2\x00"sv,
   packet{disconnect{}}, noncanonical},
  {"spec §7 row 15: DISCONNECT with flags, 3.1 strict", in::v3_1, strict_31, "\xe2\x00"sv,
   fails(errc::invalid_fixed_header_flags, 0)},
  {"[MQTT-2.2.2-2] spec §7 row 16: 3.1.1 CONNECT with a fixed-header flag", in::both, {},
   "\x11\x0e" "\x00\x04" "MQTT" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §7 row 16: 3.1 CONNECT with a fixed-header flag, tolerant", in::both, {},
   "\x11\x10" "\x00\x06" "MQIsdp" "\x03" "\x02" "\x00\x3c" "\x00\x02" "c1"sv,
   packet{connect_a_31}, noncanonical},
  {"spec §7 row 16: 3.1 CONNECT with a fixed-header flag, strict", in::both, strict_31,
   "\x11\x10" "\x00\x06" "MQIsdp" "\x03" "\x02" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::invalid_fixed_header_flags, 0)},
  {"[MQTT-2.2.2-1] spec §7 row 17: CONNACK with a flag", in::v3_1_1, {}, "\x22\x02\x00\x00"sv,
   fails(errc::invalid_fixed_header_flags, 0)},
  {"spec §7 row 17: CONNACK with a flag, 3.1 tolerant", in::v3_1, {}, "\x22\x02\x00\x00"sv,
   packet{connack{}}, noncanonical},
  {"spec §7 row 17: CONNACK with a flag, 3.1 strict", in::v3_1, strict_31, "\x22\x02\x00\x00"sv,
   fails(errc::invalid_fixed_header_flags, 0)},
  {"[MQTT-3.3.1-4] spec §7 row 18: PUBLISH with QoS 3", in::both, {},
   "\x36\x05" "\x00\x03" "a/b"sv, fails(errc::invalid_qos, 0)},
  {"[MQTT-3.3.1-4] PUBLISH with QoS 3, DUP and RETAIN", in::both, {},
   "\x3f\x07" "\x00\x03" "a/b" "\x00\x01"sv, fails(errc::invalid_qos, 0)},

  // ------------------------------------------ refused by the fixed header alone (spec §2.3-§2.7)
  // These need no body: peek_header and the framer refuse them as soon as the bytes that prove
  // the fault are there (test_split checks every prefix), so garbage never makes a reader wait.
  {"an HTTP request on the MQTT port: 'G' is PUBACK with flags 0111", in::v3_1_1, {},
   "GET / HTTP/1.1\r\n"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"an HTTP request read by a tolerant 3.1 decoder: PUBACK with 69 body bytes", in::v3_1, {},
   "GET / HTTP/1.1\r\n"sv, fails(errc::impossible_remaining_length, 1)},
  {"PINGREQ announcing 100 body bytes", in::both, {}, "\xc0\x64"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"PUBCOMP with flags 1001", in::v3_1_1, {}, "\x79\xa8\xb2\x13"sv,
   fails(errc::invalid_fixed_header_flags, 0)},
  {"PUBCOMP with flags 1001 in 3.1 announcing 317,736 body bytes", in::v3_1, {},
   "\x79\xa8\xb2\x13"sv, fails(errc::impossible_remaining_length, 1)},
  {"[MQTT-3.3.1-4] PUBLISH QoS 3: the first byte is enough", in::both, {}, "\x36"sv,
   fails(errc::invalid_qos, 0)},
  {"[MQTT-3.3.1-2] PUBLISH DUP with QoS 0: the first byte is enough", in::v3_1_1, {}, "\x38"sv,
   fails(errc::dup_with_qos0, 0)},
  {"[MQTT-2.2.2-2] SUBSCRIBE with flags 0000: the first byte is enough", in::v3_1_1, {}, "\x80"sv,
   fails(errc::invalid_fixed_header_flags, 0)},
  {"CONNECT with flags under strict 3.1 (both versions require 0000)", in::both, strict_31,
   "\x11"sv, fails(errc::invalid_fixed_header_flags, 0)},
  {"QoS 1 PUBLISH with a body of 4 bytes (a topic byte and a packet id need 5)", in::both, {},
   "\x32\x04" "\x00\x01" "a" "\x01"sv, fails(errc::impossible_remaining_length, 1)},
  {"QoS 1 PUBLISH with a body of 5 bytes: the smallest possible", in::both, {},
   "\x32\x05" "\x00\x01" "a" "\x00\x07"sv,
   packet{publish{.qos = q1, .topic = "a", .packet_id = 7}}},
  {"UNSUBSCRIBE of 3 body bytes, even for a tolerant 3.1 decoder", in::v3_1, {},
   "\xa2\x03" "\x00\x01" "\x00"sv, fails(errc::impossible_remaining_length, 1)},
  {"DISCONNECT announcing 128 body bytes (a non-minimal 0 would also take 2 bytes)", in::both, {},
   "\xe0\x80\x01"sv, fails(errc::impossible_remaining_length, 1)},
  {"DISCONNECT with a non-minimal Remaining Length of 0 is still possible", in::both, {},
   "\xe0\x80\x00"sv, packet{disconnect{}}, noncanonical},

  // ---------------------------------------------------------------- spec §7.2 lengths
  {"spec §7 row 19: PUBACK with only one id byte", in::both, {}, "\x40\x01" "\x00"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"spec §7 row 20: SUBACK with only one id byte", in::both, {}, "\x90\x01" "\x02"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"spec §7 row 21: trailing byte in PUBACK", in::both, {}, "\x40\x03" "\x00\x01" "\x00"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"spec §7 row 21: trailing byte in PUBREL", in::both, {}, "\x62\x03" "\x00\x01" "\x00"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"spec §7 row 21: trailing byte in UNSUBACK", in::both, {}, "\xb0\x03" "\x00\x01" "\x00"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"spec §7 row 22: trailing byte in PINGREQ", in::both, {}, "\xc0\x01" "\x00"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"spec §7 row 22: trailing byte in PINGRESP", in::both, {}, "\xd0\x01" "\x00"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"spec §7 row 23: trailing byte in DISCONNECT", in::both, {}, "\xe0\x01" "\x00"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"spec §7 row 24: trailing byte in CONNACK", in::both, {}, "\x20\x03" "\x00\x00" "\x00"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"spec §7 row 24: CONNACK with one byte", in::both, {}, "\x20\x01" "\x00"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"spec §7 row 25: topic length runs past the end of the packet", in::both, {},
   "\x30\x05" "\x00\x09" "a/b"sv, fails(errc::string_exceeds_packet, 2)},
  {"[MQTT-3.1.4-1] spec §7 row 26: trailing bytes after the last CONNECT field", in::both, {},
   "\x10\x0f" "\x00\x04" "MQTT" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1" "\xff"sv,
   fails(errc::trailing_bytes, 16)},
  {"spec §7 row 27: SUBSCRIBE filter without its QoS byte (too short for any SUBSCRIBE)",
   in::both, {}, "\x82\x05" "\x00\x01" "\x00\x01" "a"sv, fails(errc::impossible_remaining_length, 1)},
  {"spec §7 row 27: SUBSCRIBE second filter without its QoS byte", in::both, {},
   "\x82\x09" "\x00\x01" "\x00\x01" "a" "\x01" "\x00\x01" "b"sv,
   fails(errc::packet_too_short, 11)},
  {"spec §7 row 28: UNSUBSCRIBE with one stray byte", in::both, {},
   "\xa2\x06" "\x00\x01" "\x00\x01" "a" "\x00"sv, fails(errc::packet_too_short, 7)},
  {"spec §7 row 29: SUBACK without return codes", in::both, {}, "\x90\x02" "\x00\x01"sv,
   fails(errc::empty_return_code_list, 1)},
  {"spec §7 row 30: QoS 1 PUBLISH too short for the packet id", in::both, {},
   "\x32\x05" "\x00\x03" "a/b"sv, fails(errc::packet_too_short, 7)},
  {"spec §7 row 30: QoS 1 PUBLISH with half a packet id", in::both, {},
   "\x32\x06" "\x00\x03" "a/b" "\x00"sv, fails(errc::packet_too_short, 7)},

  // ---------------------------------------------------------------- spec §7.3 strings
  {"[MQTT-1.5.3-1] spec §7 row 31: invalid byte FF", in::both, {},
   "\x30\x04" "\x00\x02" "a" "\xff"sv, fails(errc::invalid_utf8, 5)},
  {"[MQTT-1.5.3-1] spec §7 row 32: overlong '/' C0 AF", in::both, {},
   "\x30\x05" "\x00\x03" "a" "\xc0\xaf"sv, fails(errc::invalid_utf8, 5)},
  {"[MQTT-1.5.3-1] spec §7 row 33: overlong NUL C0 80", in::both, {},
   "\x30\x04" "\x00\x02" "\xc0\x80"sv, fails(errc::invalid_utf8, 4)},
  {"[MQTT-1.5.3-1] spec §7 row 34: encoded surrogate U+D800", in::both, {},
   "\x30\x05" "\x00\x03" "\xed\xa0\x80"sv, fails(errc::invalid_utf8, 4)},
  {"[MQTT-1.5.3-1] spec §7 row 35: code point above U+10FFFF", in::both, {},
   "\x30\x06" "\x00\x04" "\xf4\x90\x80\x80"sv, fails(errc::invalid_utf8, 4)},
  {"[MQTT-1.5.3-1] spec §7 row 36: sequence cut off by the string length", in::both, {},
   "\x30\x04" "\x00\x02" "a" "\xc3"sv, fails(errc::invalid_utf8, 5)},
  {"[MQTT-1.5.3-2] [MQTT-4.7.3-2] spec §7 row 37: U+0000 in a topic", in::both, {},
   "\x30\x05" "\x00\x03" "a" "\x00" "b"sv, fails(errc::null_character, 5)},
  {"[MQTT-1.5.3-2] U+0000 in a client id", in::both, {},
   "\x10\x0e" "\x00\x04" "MQTT" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c" "\x00"sv,
   fails(errc::null_character, 15)},
  {"[MQTT-1.5.3-1] ill-formed UTF-8 in a user name", in::both, {},
   "\x10\x12" "\x00\x04" "MQTT" "\x04" "\x82" "\x00\x3c" "\x00\x02" "c1" "\x00\x02" "u" "\xff"sv,
   fails(errc::invalid_utf8, 19)},
  {"[MQTT-1.5.3-1] ill-formed UTF-8 in a topic filter", in::both, {},
   "\x82\x06" "\x00\x01" "\x00\x01" "\xff" "\x00"sv, fails(errc::invalid_utf8, 6)},
  {"spec §7 row 38: non-character U+FFFF accepted by default", in::both, {},
   "\x30\x05" "\x00\x03" "\xef\xbf\xbf"sv,
   packet{publish{.topic = "\xef\xbf\xbf"}}},
  {"spec §7 row 38: non-character U+FFFF rejected with reject_control_characters", in::both,
   strict_chars, "\x30\x05" "\x00\x03" "\xef\xbf\xbf"sv, fails(errc::non_character, 4)},
  {"spec §7 row 39: control character U+0001 accepted by default", in::both, {},
   "\x30\x03" "\x00\x01" "\x01"sv, packet{publish{.topic = "\x01"}}},
  {"spec §7 row 39: control character U+0001 rejected with reject_control_characters", in::both,
   strict_chars, "\x30\x03" "\x00\x01" "\x01"sv, fails(errc::control_character, 4)},
  {"spec §7 row 39: C1 control U+0085 rejected with reject_control_characters", in::both,
   strict_chars, "\x30\x04" "\x00\x02" "\xc2\x85"sv, fails(errc::control_character, 4)},
  {"[MQTT-1.5.3-3] spec §7 row 40: BOM U+FEFF is kept, not stripped", in::both, {},
   "\x30\x05" "\x00\x03" "\xef\xbb\xbf"sv, packet{publish{.topic = "\xef\xbb\xbf"}}},

  // ---------------------------------------------------------------- spec §7.4 CONNECT
  {"[MQTT-3.1.2-1] spec §7 row 41: unknown protocol name MQTX", in::both, {},
   "\x10\x0e" "\x00\x04" "MQTX" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::invalid_protocol_name, 2)},
  {"[MQTT-3.1.2-1] protocol name compared case-sensitively (mqtt)", in::both, {},
   "\x10\x0e" "\x00\x04" "mqtt" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::invalid_protocol_name, 2)},
  {"[MQTT-3.1.2-2] spec §7 row 42: MQTT with level 5", in::both, {},
   "\x10\x0e" "\x00\x04" "MQTT" "\x05" "\x02" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::unsupported_protocol_level, 8)},
  {"[MQTT-3.1.2-2] spec §7 row 42: MQTT with level 3", in::both, {},
   "\x10\x0e" "\x00\x04" "MQTT" "\x03" "\x02" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::unsupported_protocol_level, 8)},
  {"spec §7 row 43: MQIsdp with level 4", in::both, {},
   "\x10\x10" "\x00\x06" "MQIsdp" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::unsupported_protocol_level, 10)},
  {"spec §8 item 17: mosquitto bridge level 0x84 is unsupported", in::both, {},
   "\x10\x0e" "\x00\x04" "MQTT" "\x84" "\x02" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::unsupported_protocol_level, 8)},
  {"[MQTT-3.1.2-3] spec §7 row 44: reserved connect flag set", in::both, {},
   "\x10\x0e" "\x00\x04" "MQTT" "\x04" "\x03" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::reserved_connect_flag, 9)},
  {"spec §7 row 44: reserved connect flag ignored in 3.1", in::both, {},
   "\x10\x10" "\x00\x06" "MQIsdp" "\x03" "\x03" "\x00\x3c" "\x00\x02" "c1"sv,
   packet{connect_a_31}, noncanonical},
  {"[MQTT-3.1.2-14] spec §7 row 45: will QoS 3", in::both, {},
   "\x10\x13" "\x00\x04" "MQTT" "\x04" "\x1e" "\x00\x3c" "\x00\x02" "c1"
   "\x00\x01" "t" "\x00\x00"sv,
   fails(errc::invalid_will_qos, 9)},
  {"spec §7 row 45: will QoS 3 in 3.1", in::both, {},
   "\x10\x15" "\x00\x06" "MQIsdp" "\x03" "\x1e" "\x00\x3c" "\x00\x02" "c1"
   "\x00\x01" "t" "\x00\x00"sv,
   fails(errc::invalid_will_qos, 11)},
  {"[MQTT-3.1.2-13] [MQTT-3.1.2-11] spec §7 row 46: will QoS without will flag", in::both, {},
   "\x10\x0e" "\x00\x04" "MQTT" "\x04" "\x0a" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::will_qos_without_will, 9)},
  {"spec §7 row 46: will QoS without will flag disregarded in 3.1", in::both, {},
   "\x10\x10" "\x00\x06" "MQIsdp" "\x03" "\x0a" "\x00\x3c" "\x00\x02" "c1"sv,
   packet{connect_a_31}, noncanonical},
  {"[MQTT-3.1.2-15] [MQTT-3.1.2-11] spec §7 row 47: will retain without will flag", in::both, {},
   "\x10\x0e" "\x00\x04" "MQTT" "\x04" "\x22" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::will_retain_without_will, 9)},
  {"spec §7 row 47: will retain without will flag disregarded in 3.1", in::both, {},
   "\x10\x10" "\x00\x06" "MQIsdp" "\x03" "\x22" "\x00\x3c" "\x00\x02" "c1"sv,
   packet{connect_a_31}, noncanonical},
  {"[MQTT-3.1.2-22] spec §7 row 48: password flag without user name flag", in::both, {},
   "\x10\x12" "\x00\x04" "MQTT" "\x04" "\x42" "\x00\x3c" "\x00\x02" "c1" "\x00\x02" "pw"sv,
   fails(errc::password_without_username, 9)},
  {"spec §7 row 48: password flag without user name flag in 3.1", in::both, {},
   "\x10\x14" "\x00\x06" "MQIsdp" "\x03" "\x42" "\x00\x3c" "\x00\x02" "c1" "\x00\x02" "pw"sv,
   fails(errc::password_without_username, 11)},
  {"[MQTT-3.1.2-19] spec §7 row 49: user name flag set, field missing", in::both, {},
   "\x10\x0e" "\x00\x04" "MQTT" "\x04" "\x82" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::missing_username, 16)},
  {"spec §7 row 49: user name flag set, field missing, accepted in 3.1", in::both, {},
   "\x10\x10" "\x00\x06" "MQIsdp" "\x03" "\x82" "\x00\x3c" "\x00\x02" "c1"sv,
   packet{connect_a_31}, noncanonical},
  {"[MQTT-3.1.2-21] password flag set, field missing", in::both, {},
   "\x10\x12" "\x00\x04" "MQTT" "\x04" "\xc2" "\x00\x3c" "\x00\x02" "c1" "\x00\x02" "u1"sv,
   fails(errc::missing_password, 20)},
  {"spec §6 row 8: password flag set, field missing, accepted in 3.1", in::both, {},
   "\x10\x14" "\x00\x06" "MQIsdp" "\x03" "\xc2" "\x00\x3c" "\x00\x02" "c1" "\x00\x02" "u1"sv,
   packet{connect{.protocol = v31, .clean_session = true, .keep_alive = 60, .client_id = "c1",
                  .username = "u1"}}, noncanonical},
  {"[MQTT-3.1.2-9] spec §7 row 50: will flag set, will message missing", in::both, {},
   "\x10\x13" "\x00\x04" "MQTT" "\x04" "\x06" "\x00\x3c" "\x00\x02" "c1" "\x00\x03" "a/b"sv,
   fails(errc::missing_will, 21)},
  {"[MQTT-3.1.2-9] will flag set, will topic missing", in::both, {},
   "\x10\x0e" "\x00\x04" "MQTT" "\x04" "\x06" "\x00\x3c" "\x00\x02" "c1"sv,
   fails(errc::missing_will, 16)},
  {"[MQTT-4.7.3-1] spec §7 row 51: empty will topic", in::both, {},
   "\x10\x12" "\x00\x04" "MQTT" "\x04" "\x06" "\x00\x3c" "\x00\x02" "c1" "\x00\x00" "\x00\x00"sv,
   fails(errc::empty_topic_name, 18)},
  {"[MQTT-4.7.1-1] wildcard in the will topic", in::both, {},
   "\x10\x13" "\x00\x04" "MQTT" "\x04" "\x06" "\x00\x3c" "\x00\x02" "c1" "\x00\x01" "#"
   "\x00\x00"sv,
   fails(errc::wildcard_in_topic_name, 18)},
  {"[MQTT-3.1.2-18] user name present without its flag", in::both, {},
   "\x10\x12" "\x00\x04" "MQTT" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1" "\x00\x02" "u1"sv,
   fails(errc::trailing_bytes, 16)},
  {"[MQTT-3.1.2-20] password present without its flag", in::both, {},
   "\x10\x16" "\x00\x04" "MQTT" "\x04" "\x82" "\x00\x3c" "\x00\x02" "c1" "\x00\x02" "u1"
   "\x00\x02" "pw"sv,
   fails(errc::trailing_bytes, 20)},
  {"[MQTT-3.1.2-11] will fields present without the will flag", in::both, {},
   "\x10\x13" "\x00\x04" "MQTT" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1" "\x00\x01" "t"
   "\x00\x00"sv,
   fails(errc::trailing_bytes, 16)},
  {"[MQTT-3.1.3-3] spec §7 row 52: client id missing entirely (3.1.1: too short for CONNECT)",
   in::both, {}, "\x10\x0a" "\x00\x04" "MQTT" "\x04" "\x02" "\x00\x3c"sv,
   fails(errc::impossible_remaining_length, 1)},
  {"[MQTT-3.1.3-3] spec §7 row 52: client id missing entirely (3.1)", in::both, {},
   "\x10\x0c" "\x00\x06" "MQIsdp" "\x03" "\x02" "\x00\x3c"sv,
   fails(errc::missing_client_id, 14)},
  {"[MQTT-3.1.3-8] spec §7 row 53: zero-length client id with clean session 0 decodes", in::both,
   {}, "\x10\x0c" "\x00\x04" "MQTT" "\x04" "\x00" "\x00\x3c" "\x00\x00"sv,
   packet{connect{.protocol = v311, .clean_session = false, .keep_alive = 60}}},
  {"spec §7 row 53: 3.1 zero-length client id decodes", in::both, {},
   "\x10\x0e" "\x00\x06" "MQIsdp" "\x03" "\x02" "\x00\x3c" "\x00\x00"sv,
   packet{connect{.protocol = v31, .clean_session = true, .keep_alive = 60}}},
  {"spec §7 row 54: 3.1 client id of 24 characters decodes", in::both, {},
   connect_31_id24_wire,
   packet{connect{.protocol = v31, .clean_session = true, .keep_alive = 60,
                  .client_id = connect_31_id24_wire.substr(16)}}},
  {"[MQTT-3.1.4-1] CONNECT cut inside the protocol name", in::both, {},
   "\x10\x04" "\x00\x04" "MQ"sv, fails(errc::impossible_remaining_length, 1)},
  {"[MQTT-3.1.4-1] CONNECT without keep alive", in::both, {},
   "\x10\x08" "\x00\x04" "MQTT" "\x04" "\x02"sv, fails(errc::impossible_remaining_length, 1)},

  // ---------------------------------------------------------------- spec §7.5 PUBLISH
  {"[MQTT-3.3.2-2] spec §7 row 57: '+' in a topic name", in::both, {},
   "\x30\x05" "\x00\x03" "a/+"sv, fails(errc::wildcard_in_topic_name, 6)},
  {"[MQTT-4.7.1-1] spec §7 row 58: '#' in a topic name", in::both, {},
   "\x30\x04" "\x00\x02" "a#"sv, fails(errc::wildcard_in_topic_name, 5)},
  {"[MQTT-4.7.3-1] spec §7 row 59: empty topic name", in::both, {},
   "\x30\x03" "\x00\x00" "x"sv, fails(errc::empty_topic_name, 4)},
  {"[MQTT-4.7.3-1] spec §7 row 59: empty topic name and nothing else (too short for PUBLISH)",
   in::both, {}, "\x30\x02" "\x00\x00"sv, fails(errc::impossible_remaining_length, 1)},
  {"[MQTT-2.3.1-1] spec §7 row 60: PUBLISH with packet id 0", in::both, {},
   "\x32\x07" "\x00\x03" "a/b" "\x00\x00"sv, fails(errc::packet_id_zero, 7)},
  {"[MQTT-3.3.1-2] spec §7 row 61: DUP with QoS 0 rejected by default in 3.1.1", in::v3_1_1, {},
   "\x38\x05" "\x00\x03" "a/b"sv, fails(errc::dup_with_qos0, 0)},
  {"spec §7 row 61: DUP with QoS 0 accepted when tolerated (inspectors)", in::v3_1_1, tolerant,
   "\x38\x05" "\x00\x03" "a/b"sv, packet{publish{.dup = true, .topic = "a/b"}}, noncanonical},
  {"spec §3.3: DUP with QoS 0 is only meaningless in 3.1, accepted by default", in::v3_1, {},
   "\x38\x05" "\x00\x03" "a/b"sv, packet{publish{.dup = true, .topic = "a/b"}}, noncanonical},
  {"spec §3.3: DUP with QoS 0 rejected by strict 3.1", in::v3_1, strict_31,
   "\x38\x05" "\x00\x03" "a/b"sv, fails(errc::dup_with_qos0, 0)},
  {"[MQTT-2.3.1-5] QoS 0 PUBLISH: bytes after the topic are payload, not a packet id", in::both,
   {}, "\x30\x07" "\x00\x03" "a/b" "\x00\x0a"sv,
   packet{publish{.topic = "a/b", .payload = "\x00\x0a"sv}}},

  // ---------------------------------------------------------------- spec §7.6 SUBSCRIBE
  {"[MQTT-3.8.3-3] spec §7 row 62: SUBSCRIBE with no topic filters", in::v3_1_1, {},
   "\x82\x02" "\x00\x01"sv, fails(errc::empty_subscription_list, 1)},
  {"spec §7 row 62: SUBSCRIBE with no topic filters, 3.1 tolerant", in::v3_1, {},
   "\x82\x02" "\x00\x01"sv, packet{subscribe{.packet_id = 1}}, noncanonical},
  {"spec §7 row 62: SUBSCRIBE with no topic filters, 3.1 strict", in::v3_1, strict_31,
   "\x82\x02" "\x00\x01"sv, fails(errc::empty_subscription_list, 1)},
  {"[MQTT-3-8.3-4] spec §7 row 63: requested QoS 3", in::both, {},
   "\x82\x06" "\x00\x01" "\x00\x01" "a" "\x03"sv, fails(errc::invalid_requested_qos, 7)},
  {"[MQTT-3-8.3-4] spec §7 row 64: reserved bit in requested QoS", in::v3_1_1, {},
   "\x82\x06" "\x00\x01" "\x00\x01" "a" "\x81"sv, fails(errc::requested_qos_reserved_bits, 7)},
  {"spec §7 row 64: reserved bit in requested QoS, 3.1 tolerant", in::v3_1, {},
   "\x82\x06" "\x00\x01" "\x00\x01" "a" "\x81"sv,
   packet{subscribe{.packet_id = 1, .subscriptions = subs_a1}}, noncanonical},
  {"spec §7 row 64: reserved bit in requested QoS, 3.1 strict", in::v3_1, strict_31,
   "\x82\x06" "\x00\x01" "\x00\x01" "a" "\x81"sv, fails(errc::requested_qos_reserved_bits, 7)},
  {"[MQTT-2.3.1-1] spec §7 row 65: SUBSCRIBE with packet id 0", in::both, {},
   "\x82\x06" "\x00\x00" "\x00\x01" "a" "\x00"sv, fails(errc::packet_id_zero, 2)},
  {"[MQTT-4.7.1-2] spec §7 row 66: '#' not last", in::both, {},
   "\x82\x0a" "\x00\x01" "\x00\x05" "a/#/b" "\x00"sv,
   fails(errc::misplaced_multi_level_wildcard, 8)},
  {"[MQTT-4.7.1-3] spec §7 row 67: '+' not a whole level", in::both, {},
   "\x82\x07" "\x00\x01" "\x00\x02" "a+" "\x00"sv,
   fails(errc::misplaced_single_level_wildcard, 7)},
  {"[MQTT-4.7.3-1] spec §7 row 68: empty topic filter", in::both, {},
   "\x82\x06" "\x00\x01" "\x00\x00" "\x00" "\x00"sv, fails(errc::empty_topic_filter, 6)},
  {"[MQTT-3.10.3-2] spec §7 row 69: UNSUBSCRIBE with no filters", in::v3_1_1, {},
   "\xa2\x02" "\x00\x01"sv, fails(errc::empty_unsubscribe_list, 1)},
  {"spec §7 row 69: UNSUBSCRIBE with no filters, 3.1 tolerant", in::v3_1, {},
   "\xa2\x02" "\x00\x01"sv, packet{unsubscribe{.packet_id = 1}}, noncanonical},
  {"spec §7 row 69: UNSUBSCRIBE with no filters, 3.1 strict", in::v3_1, strict_31,
   "\xa2\x02" "\x00\x01"sv, fails(errc::empty_unsubscribe_list, 1)},
  {"[MQTT-2.3.1-1] spec §7 row 70: UNSUBSCRIBE with packet id 0", in::both, {},
   "\xa2\x05" "\x00\x00" "\x00\x01" "a"sv, fails(errc::packet_id_zero, 2)},
  {"[MQTT-4.7.1-3] UNSUBSCRIBE filter with '+' inside a level", in::both, {},
   "\xa2\x06" "\x00\x01" "\x00\x02" "+a"sv, fails(errc::misplaced_single_level_wildcard, 6)},

  // ---------------------------------------------------------------- spec §7.7 acknowledgements
  {"spec §7 row 71: PUBACK with packet id 0", in::both, {}, "\x40\x02" "\x00\x00"sv,
   fails(errc::packet_id_zero, 2)},
  {"spec §7 row 71: PUBREC with packet id 0", in::both, {}, "\x50\x02" "\x00\x00"sv,
   fails(errc::packet_id_zero, 2)},
  {"spec §7 row 71: PUBREL with packet id 0", in::both, {}, "\x62\x02" "\x00\x00"sv,
   fails(errc::packet_id_zero, 2)},
  {"spec §7 row 71: PUBCOMP with packet id 0", in::both, {}, "\x70\x02" "\x00\x00"sv,
   fails(errc::packet_id_zero, 2)},
  {"spec §7 row 71: SUBACK with packet id 0", in::both, {}, "\x90\x03" "\x00\x00" "\x00"sv,
   fails(errc::packet_id_zero, 2)},
  {"spec §7 row 71: UNSUBACK with packet id 0", in::both, {}, "\xb0\x02" "\x00\x00"sv,
   fails(errc::packet_id_zero, 2)},
  {"spec §7 row 72: CONNACK return code 6", in::both, {}, "\x20\x02" "\x00" "\x06"sv,
   fails(errc::invalid_connack_return_code, 3)},
  {"spec §7 row 72: CONNACK return code 255", in::both, {}, "\x20\x02" "\x00" "\xff"sv,
   fails(errc::invalid_connack_return_code, 3)},
  {"spec §7 row 73: CONNACK reserved ack-flag bits rejected by default", in::v3_1_1, {},
   "\x20\x02" "\x02" "\x00"sv, fails(errc::connack_reserved_flags, 2)},
  {"spec §7 row 73: CONNACK reserved ack-flag bits accepted when tolerated", in::v3_1_1,
   tolerant, "\x20\x02" "\x02" "\x00"sv, packet{connack{}}, noncanonical},
  {"spec §7 row 73: CONNACK byte 1 ignored in 3.1, even by the strictest rules", in::v3_1,
   options::strictest(), "\x20\x02" "\x02" "\x00"sv, packet{connack{}}, noncanonical},
  {"[MQTT-3.2.2-4] spec §7 row 74: CONNACK Session Present with an error code rejected",
   in::v3_1_1, {}, "\x20\x02" "\x01" "\x05"sv, fails(errc::session_present_with_error, 2)},
  {"spec §7 row 74: CONNACK Session Present with an error code accepted when tolerated",
   in::v3_1_1, tolerant, "\x20\x02" "\x01" "\x05"sv,
   packet{connack{.session_present = true, .return_code = rc::not_authorized}}, noncanonical},
  {"spec §7 row 74: CONNACK byte 1 with an error code ignored in 3.1", in::v3_1,
   options::strictest(), "\x20\x02" "\x01" "\x05"sv,
   packet{connack{.return_code = rc::not_authorized}}, noncanonical},
  {"[MQTT-3.9.3-2] spec §7 row 75: SUBACK with a reserved return code", in::both, {},
   "\x90\x03" "\x00\x01" "\x03"sv, fails(errc::invalid_suback_return_code, 4)},
  {"spec §7 row 76: SUBACK 0x80 is a failure in 3.1.1", in::v3_1_1, {},
   "\x90\x03" "\x00\x01" "\x80"sv, packet{suback{.packet_id = 1, .return_codes = codes_80}}},
  {"spec §7 row 76: SUBACK 0x80 on a 3.1 session", in::v3_1, {},
   "\x90\x03" "\x00\x01" "\x80"sv, fails(errc::invalid_suback_return_code, 4)},
  {"spec §7 row 76: SUBACK 0x80 in 3.1 after a valid code", in::v3_1, {},
   "\x90\x05" "\x00\x0a" "\x00\x02\x80"sv, fails(errc::invalid_suback_return_code, 6)},
};
// clang-format on

inline constexpr std::size_t vector_count = std::size(vectors);

// ---------------------------------------------------------------- run-time helpers

/// What encode and encode_to produced for one packet (run time only: std::string).
struct encoded_bytes {
  errc ec = errc::success;
  std::string bytes;
  friend bool operator==(const encoded_bytes&, const encoded_bytes&) = default;
};

/// Encodes `p` with encode (into an exact-size buffer) and encode_to (through a back_inserter),
/// and fails the enclosing test unless both agree. Returns the bytes or the error code.
template <class P>
encoded_bytes encode_both(const P& p, protocol_version v = protocol_version::v3_1_1,
                          const options& opts = {}) {
  encoded_bytes via_span;
  const errc valid = validate(p, v, opts);
  std::string buffer(valid == errc::success ? *encoded_size(p, v, opts) : 0, '\0');
  const auto written = encode(p, std::span<char>(buffer), v, opts);
  if (written) {
    buffer.resize(*written);
    via_span.bytes = buffer;
  } else {
    via_span.ec = written.code();
  }
  encoded_bytes via_iterator;
  const auto r = encode_to(p, std::back_inserter(via_iterator.bytes), v, opts);
  via_iterator.ec = r.ec;
  if (!(via_span == via_iterator)) return {errc::success, "encode and encode_to disagree"};
  return via_span;
}

// ---------------------------------------------------------------- checking one row

/// The outcome of checking a row; `what` says which expectation failed.
struct check_result {
  bool ok = true;
  const char* what = "";
};

/// A buffer of exactly `n` bytes on the heap. Decoding from it makes a read one past the end
/// undefined behaviour, which constant evaluation rejects and ASan reports at run time.
class exact_buffer {
 public:
  constexpr explicit exact_buffer(std::size_t n) : data_(new char[n]{}), size_(n) {}
  constexpr exact_buffer(std::string_view bytes) : exact_buffer(bytes.size()) {
    // No test row comes near 2^40 bytes; saying so keeps g++ 12 at -O3 from a false
    // -Wstringop-overflow about sizes past PTRDIFF_MAX on a path that cannot happen.
    if (bytes.size() > (std::size_t{1} << 40)) return;
    for (std::size_t i = 0; i < bytes.size(); ++i) data_[i] = bytes[i];
  }
  exact_buffer(const exact_buffer&) = delete;
  exact_buffer& operator=(const exact_buffer&) = delete;
  constexpr ~exact_buffer() { delete[] data_; }
  constexpr std::span<char> span() noexcept { return {data_, size_}; }
  constexpr bytes_view view() const noexcept { return {data_, size_}; }
  constexpr std::string_view str() const noexcept { return {data_, size_}; }
  constexpr char* data() noexcept { return data_; }

 private:
  char* data_;
  std::size_t size_;
};

constexpr check_result failed(const char* what) noexcept { return {false, what}; }

/// Re-encodes a decoded canonical packet every way the library offers and compares the bytes.
constexpr check_result check_canonical(const packet& p, std::string_view wire, protocol_version v,
                                       const options& opts) {
  const std::size_t n = wire.size();
  if (validate(p, v, opts) != errc::success) return failed("canonical packet does not validate");
  if (*encoded_size(p, v, opts) != n) return failed("encoded_size differs from the wire size");
  {
    exact_buffer out(n);
    const auto written = encode(p, out.span(), v, opts);
    if (!written || *written != n) return failed("encode into a span failed");
    if (out.str() != wire) return failed("encode(decode(wire)) != wire");
  }
  {
    exact_buffer out(n);
    const auto r = encode_to(p, out.data(), v, opts);
    if (r.ec != errc::success || r.out != out.data() + n) return failed("encode_to failed");
    if (out.str() != wire) return failed("encode_to(decode(wire)) != wire");
  }
  {
    // All or nothing: one byte short writes nothing at all.
    exact_buffer out(n - 1);
    for (char& c : out.span()) c = '\x5a';
    const auto r = encode(p, out.span(), v, opts);
    if (r || r.error() != error{errc::buffer_too_small, 0}) return failed("short buffer accepted");
    for (const char c : out.span()) {
      if (c != '\x5a') return failed("encode wrote into a buffer that was too small");
    }
  }
  return {};
}

/// Checks a non-canonical valid row: the claim that the encoder writes other bytes is true, and
/// the packet survives a round trip (decode(encode(p)) == p) whenever it can be encoded.
constexpr check_result check_noncanonical(const packet& p, std::string_view wire,
                                          protocol_version v, const options& opts) {
  if (validate(p, v, opts) != errc::success) return {};  // the encoder refuses it: fine
  exact_buffer out(*encoded_size(p, v, opts));
  const auto written = encode(p, out.span(), v, opts);
  if (!written) return failed("validated packet did not encode");
  if (out.str() == wire) return failed("row marked noncanonical re-encodes to the same bytes");
  const auto again = decode(out.view(), v, opts);
  if (!again || !(again->pkt == p)) return failed("decode(encode(p)) != p");
  return {};
}

/// Decodes row `row` under version `v` from an exact-size copy and compares the outcome with the
/// expectation; valid rows are also re-encoded.
constexpr check_result check_row(const vector_row& row, protocol_version v) {
  const exact_buffer in(row.wire);
  const auto got = decode(in.view(), v, row.opts);
  if (row.expected.index() == 1) {
    const error want = std::get<1>(row.expected);
    if (got) return failed("decoded a packet where an error was expected");
    if (got.error().code != want.code) return failed("wrong error code");
    if (got.error().offset != want.offset) return failed("wrong error offset");
    return {};
  }
  const packet& want = std::get<0>(row.expected);
  if (!got) return failed("decode failed on a valid row");
  if (got->size != row.wire.size()) return failed("decode consumed the wrong number of bytes");
  if (!(got->pkt == want)) return failed("decoded fields differ from the expected packet");
  if (row.canonical) return check_canonical(got->pkt, row.wire, v, row.opts);
  return check_noncanonical(got->pkt, row.wire, v, row.opts);
}

/// Checks rows [begin, end) in every version each applies to.
constexpr bool vectors_ok(std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end && i < vector_count; ++i) {
    for (const protocol_version v : {v311, v31}) {
      if (applies(vectors[i].versions, v) && !check_row(vectors[i], v).ok) return false;
    }
  }
  return true;
}

/// A check of rows [begin, end) as a constant: constant evaluation has a step budget (clang:
/// 1,048,576 per evaluation) that the whole table exceeds, so each chunk of `chunk` rows is its
/// own constant initialisation and the fold only reads the results. `check` stops at
/// vector_count itself (the last chunk may reach past it).
template <bool (*check)(std::size_t, std::size_t), std::size_t chunk, std::size_t first>
inline constexpr bool chunk_passes = check(first, first + chunk);
template <bool (*check)(std::size_t, std::size_t), std::size_t chunk, std::size_t... I>
constexpr bool chunks_pass(std::index_sequence<I...>) {
  return (chunk_passes<check, chunk, I * chunk> && ...);
}
template <bool (*check)(std::size_t, std::size_t), std::size_t chunk>
constexpr bool rows_pass_in_chunks() {
  return chunks_pass<check, chunk>(std::make_index_sequence<(vector_count + chunk - 1) / chunk>{});
}

}  // namespace mqttwire_test

#endif  // MQTTWIRE_TESTS_VECTORS_HPP
