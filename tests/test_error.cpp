// SPDX-License-Identifier: MIT
// Error codes: stable names that round-trip, the rule each enforces, std::error_code interop.
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <system_error>

namespace mqttwire_test {

TEST_CASE("error: to_string of every errc round-trips through errc_from_string") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < errc_count; ++i) {
    const auto e = static_cast<errc>(i);
    const std::string_view name = to_string(e);
    INFO(name);
    CHECK_FALSE(name.empty());
    CHECK(name != "unknown");
    // snake_case: lower-case letters, digits and underscores only.
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos);
    CHECK(errc_from_string(name) == std::optional<errc>(e));
    CHECK(names.insert(name).second);
    CHECK(info(e).code == e);
    CHECK_FALSE(message_of(e).empty());
  }
  CHECK(errc_count == static_cast<std::size_t>(errc::corrupt_session_state) + 1);
  CHECK(errc_from_string("no_such_error") == std::nullopt);
  CHECK(to_string(static_cast<errc>(250)) == "unknown");
  static_assert(to_string(errc::empty_subscription_list) == "empty_subscription_list");
  static_assert(errc_from_string("packet_id_zero") == errc::packet_id_zero);
}

TEST_CASE("error: every code except success, incomplete and buffer_too_small names its rule") {
  for (std::size_t i = 0; i < errc_count; ++i) {
    const auto e = static_cast<errc>(i);
    INFO(to_string(e));
    const bool ruleless = e == errc::success || e == errc::incomplete || e == errc::buffer_too_small;
    CHECK(rule_of(e).empty() == ruleless);
  }
  CHECK(rule_of(errc::empty_subscription_list) == "[MQTT-3.8.3-3]");
  CHECK(rule_of(errc::invalid_utf8) == "[MQTT-1.5.3-1]");
  CHECK(rule_of(errc::reserved_connect_flag) == "[MQTT-3.1.2-3]");
  CHECK(rule_of(errc::unsupported_protocol_level) == "[MQTT-3.1.2-2]");
}

TEST_CASE("error: only an unsupported protocol level is answered with a CONNACK (rows 42, 43)") {
  for (std::size_t i = 0; i < errc_count; ++i) {
    const auto e = static_cast<errc>(i);
    INFO(to_string(e));
    if (e == errc::unsupported_protocol_level) {
      CHECK(connack_for(e) == connect_return_code::unacceptable_protocol_version);
      CHECK(static_cast<int>(*connack_for(e)) == 1);
    } else {
      CHECK(connack_for(e) == std::nullopt);
    }
  }
  // Straight from the decoder: spec §7 rows 42 and 43.
  const auto row42 = decode(bytes_view(
      "\x10\x0e" "\x00\x04" "MQTT" "\x05" "\x02" "\x00\x3c" "\x00\x02" "c1"sv));
  const auto row43 = decode(bytes_view(
      "\x10\x10" "\x00\x06" "MQIsdp" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1"sv));
  REQUIRE_FALSE(row42);
  REQUIRE_FALSE(row43);
  CHECK(connack_for(row42.code()) == connect_return_code::unacceptable_protocol_version);
  CHECK(connack_for(row43.code()) == connect_return_code::unacceptable_protocol_version);
  // Row 41, an unknown protocol name, is closed without a CONNACK.
  const auto row41 = decode(bytes_view(
      "\x10\x0e" "\x00\x04" "MQTX" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1"sv));
  CHECK(connack_for(row41.code()) == std::nullopt);
}

TEST_CASE("error: std::error_code interop") {
  const std::error_code ec = errc::packet_id_zero;  // implicit, via is_error_code_enum
  CHECK(ec);
  CHECK(ec.value() == static_cast<int>(errc::packet_id_zero));
  CHECK(std::string(ec.category().name()) == "mqttwire");
  CHECK(ec.message() == std::string(message_of(errc::packet_id_zero)));
  CHECK(ec == make_error_code(errc::packet_id_zero));
  CHECK(ec != make_error_code(errc::packet_id_with_qos0));
  CHECK(ec.category() == error_category());
  CHECK(ec != std::make_error_code(std::errc::invalid_argument));
  const std::error_code ok = errc::success;
  CHECK(ok.value() == 0);
}

TEST_CASE("error: result<T> holds a value or an error with its offset") {
  const auto bad = decode(bytes_view("\x40\x02\x00\x00"sv));
  CHECK_FALSE(bad.has_value());
  CHECK(bad.code() == errc::packet_id_zero);
  CHECK(bad.error().offset == 2);
  const auto good = decode(bytes_view("\x40\x02\x00\x01"sv));
  REQUIRE(good);
  CHECK(good.error() == error{});
  CHECK(good.code() == errc::success);
  CHECK(good->size == 4);
}

}  // namespace mqttwire_test
