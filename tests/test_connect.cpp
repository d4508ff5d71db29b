// SPDX-License-Identifier: MIT
// CONNECT in 3.1 and 3.1.1: exact bytes, exact fields, encoder refusals (spec §3.1).
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>

namespace mqttwire_test {

namespace {
static constexpr connect kMinimal311 = connect_a;
static constexpr connect kFull31 = connect_c;
}  // namespace

TEST_CASE("connect: 3.1.1 minimal encodes to spec §3.1 example (a) and decodes field by field") {
  const std::string wire("\x10\x0e" "\x00\x04" "MQTT" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1", 16);
  CHECK(encode_both(connect_a) == encoded_bytes{errc::success, wire});
  // Also at compile time, as a std::array wire constant.
  constexpr auto fixed = encode_array<kMinimal311>();
  static_assert(fixed.size() == 16 && fixed[0] == '\x10' && fixed[15] == '1');
  CHECK(std::string(fixed.begin(), fixed.end()) == wire);

  const auto d = decode(bytes_view(wire));
  REQUIRE(d);
  CHECK(d->size == 16);
  const auto& c = std::get<connect>(d->pkt);
  CHECK(c.protocol == protocol_version::v3_1_1);
  CHECK(c.clean_session);
  CHECK(c.keep_alive == 60);
  CHECK(c.client_id == "c1");
  CHECK_FALSE(c.will.has_value());
  CHECK_FALSE(c.username.has_value());
  CHECK_FALSE(c.password.has_value());
  // The string is a view into the input, not a copy.
  CHECK(c.client_id.data() == wire.data() + 14);
}

TEST_CASE("connect: [MQTT-3.1.3-1] every optional field, in order, spec §3.1 example (b)") {
  const std::string wire = std::string("\x10\x27" "\x00\x04" "MQTT" "\x04" "\xce" "\x00\x0a", 12) +
                           std::string("\x00\x04" "dev1" "\x00\x06" "a/will" "\x00\x03" "bye", 19) +
                           std::string("\x00\x04" "user" "\x00\x02" "pw", 10);
  REQUIRE(wire.size() == 41);
  CHECK(encode_both(connect_b) == encoded_bytes{errc::success, wire});
  const auto d = decode(bytes_view(wire));
  REQUIRE(d);
  const auto& c = std::get<connect>(d->pkt);
  CHECK(c.keep_alive == 10);
  CHECK(c.client_id == "dev1");
  REQUIRE(c.will.has_value());
  CHECK(c.will->topic == "a/will");
  CHECK(c.will->payload == "bye");
  CHECK(c.will->qos == qos_level::at_least_once);
  CHECK_FALSE(c.will->retain);
  CHECK(c.username == std::optional<std::string_view>("user"));
  CHECK(c.password == std::optional<std::string_view>("pw"));
}

TEST_CASE("connect: 3.1 with the same content differs only in the header, spec §3.1 example (c)") {
  constexpr auto fixed = encode_array<kFull31>();
  static_assert(fixed.size() == 43);
  const std::string wire(fixed.begin(), fixed.end());
  CHECK(wire.substr(0, 14) == std::string("\x10\x29" "\x00\x06" "MQIsdp" "\x03" "\xce" "\x00\x0a", 14));
  CHECK(wire.substr(14) == std::string("\x00\x04" "dev1" "\x00\x06" "a/will" "\x00\x03" "bye"
                                       "\x00\x04" "user" "\x00\x02" "pw", 29));
  // CONNECT names its own version: the connection's version does not change the result.
  for (const protocol_version v : {v311, v31}) {
    const auto d = decode(bytes_view(wire), v);
    REQUIRE(d);
    CHECK(std::get<connect>(d->pkt) == connect_c);
    CHECK(encode_both(std::get<connect>(d->pkt), v).bytes == wire);
  }
}

TEST_CASE("connect: will QoS 2 with retain, keep alive 65535, binary will message and password") {
  const connect c{.protocol = v311,
                  .clean_session = false,
                  .keep_alive = 65535,
                  .client_id = "id",
                  .will = last_will{.topic = "w", .payload = "\x00\xff"sv, .qos = q2, .retain = true},
                  .username = "",
                  .password = "\x00\x01\xfe"sv};
  const auto e = encode_both(c);
  REQUIRE(e.ec == errc::success);
  // flags 1011 0100: user, password, will retain, will QoS 10, will, clean session 0.
  CHECK(e.bytes == std::string("\x10\x1c" "\x00\x04" "MQTT" "\x04" "\xf4" "\xff\xff" "\x00\x02" "id"
                               "\x00\x01" "w" "\x00\x02" "\x00\xff" "\x00\x00" "\x00\x03" "\x00\x01\xfe",
                               30));
  const auto d = decode(bytes_view(e.bytes));
  REQUIRE(d);
  CHECK(std::get<connect>(d->pkt) == c);
}

TEST_CASE("connect: the encoder refuses what the decoder would reject") {
  const std::string long_string(65'536, 'x');
  const std::string max_string(65'535, 'x');
  connect c = connect_a;
  SUBCASE("client id of 65,536 bytes: string_too_long") {
    c.client_id = long_string;
    CHECK(encode_both(c).ec == errc::string_too_long);
  }
  SUBCASE("client id of 65,535 bytes encodes, with a three-byte Remaining Length") {
    c.client_id = max_string;
    const auto e = encode_both(c);
    REQUIRE(e.ec == errc::success);
    CHECK(e.bytes.size() == 1 + 3 + 10 + 2 + 65'535);
    CHECK(e.bytes.substr(0, 4) == std::string("\x10\x8b\x80\x04", 4));  // RL 65,547
  }
  SUBCASE("user name of 65,536 bytes: string_too_long") {
    c.username = long_string;
    CHECK(encode_both(c).ec == errc::string_too_long);
  }
  SUBCASE("password of 65,536 bytes: string_too_long") {
    c.username = "u";
    c.password = long_string;
    CHECK(encode_both(c).ec == errc::string_too_long);
  }
  SUBCASE("will message of 65,536 bytes: string_too_long") {
    c.will = last_will{.topic = "t", .payload = long_string};
    CHECK(encode_both(c).ec == errc::string_too_long);
  }
  SUBCASE("[MQTT-3.1.2-22] password without user name") {
    c.password = "pw";
    CHECK(encode_both(c).ec == errc::password_without_username);
  }
  SUBCASE("[MQTT-3.1.2-14] will QoS 3") {
    c.will = last_will{.topic = "t", .qos = static_cast<qos_level>(3)};
    CHECK(encode_both(c).ec == errc::invalid_will_qos);
  }
  SUBCASE("[MQTT-4.7.3-1] empty will topic") {
    c.will = last_will{.topic = ""};
    CHECK(encode_both(c).ec == errc::empty_topic_name);
  }
  SUBCASE("[MQTT-4.7.1-1] wildcard in the will topic") {
    c.will = last_will{.topic = "a/#"};
    CHECK(encode_both(c).ec == errc::wildcard_in_topic_name);
  }
  SUBCASE("[MQTT-1.5.3-1] ill-formed UTF-8 client id") {
    c.client_id = "\xc0\xaf";
    CHECK(encode_both(c).ec == errc::invalid_utf8);
  }
  SUBCASE("[MQTT-1.5.3-2] U+0000 in a user name") {
    c.username = "a\0b"sv;
    CHECK(encode_both(c).ec == errc::null_character);
  }
  SUBCASE("control character in the client id: only with reject_control_characters") {
    c.client_id = "a\x01";
    CHECK(encode_both(c).ec == errc::success);
    CHECK(encode_both(c, v311, strict_chars).ec == errc::control_character);
  }
  SUBCASE("a protocol version the library does not speak") {
    c.protocol = static_cast<protocol_version>(5);
    CHECK(encode_both(c).ec == errc::unsupported_protocol_level);
  }
  SUBCASE("refusals are not malformations: an empty 3.1 client id encodes") {
    c.protocol = v31;
    c.client_id = "";
    CHECK(encode_both(c).bytes ==
          std::string("\x10\x0e" "\x00\x06" "MQIsdp" "\x03" "\x02" "\x00\x3c" "\x00\x00", 16));
  }
}

TEST_CASE("connect: 3.1 strict mode holds the will topic to 32,767 bytes") {
  const std::string topic(32'768, 't');
  const connect c{.protocol = v31, .client_id = "c", .will = last_will{.topic = topic}};
  CHECK(encode_both(c, v31).ec == errc::success);
  CHECK(encode_both(c, v31, strict_31).ec == errc::topic_too_long);
  const auto e = encode_both(c, v31);
  const auto d = decode(bytes_view(e.bytes), v31, strict_31);
  CHECK(d.error() == error{errc::topic_too_long, 19});  // offset of the length prefix
}

}  // namespace mqttwire_test
