// SPDX-License-Identifier: MIT
// mqttwire: protocol-level vocabulary types shared by every other header.
#ifndef MQTTWIRE_TYPES_HPP
#define MQTTWIRE_TYPES_HPP

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace mqttwire {

/// The protocol spoken on a connection. The value is the protocol level byte of CONNECT.
enum class protocol_version : std::uint8_t {
  v3_1 = 3,    ///< MQTT 3.1: protocol name "MQIsdp", version 3
  v3_1_1 = 4,  ///< MQTT 3.1.1: protocol name "MQTT", level 4
};

/// The 14 control packet types; the value is bits 7-4 of the first byte. 0 and 15 are reserved.
enum class packet_type : std::uint8_t {
  connect = 1,
  connack,
  publish,
  puback,
  pubrec,
  pubrel,
  pubcomp,
  subscribe,
  suback,
  unsubscribe,
  unsuback,
  pingreq,
  pingresp,
  disconnect,
};

/// Quality of service of a PUBLISH, a will or a subscription. 3 is reserved and never valid.
enum class qos_level : std::uint8_t {
  at_most_once = 0,
  at_least_once = 1,
  exactly_once = 2,
};

/// CONNACK return codes, identical in 3.1 and 3.1.1. 6..255 are reserved.
enum class connect_return_code : std::uint8_t {
  accepted = 0,
  unacceptable_protocol_version = 1,
  identifier_rejected = 2,
  server_unavailable = 3,
  bad_username_or_password = 4,
  not_authorized = 5,
};

/// SUBACK return-code bytes. `failure` exists only in 3.1.1.
namespace suback_code {
inline constexpr std::uint8_t granted_qos0 = 0x00;
inline constexpr std::uint8_t granted_qos1 = 0x01;
inline constexpr std::uint8_t granted_qos2 = 0x02;
inline constexpr std::uint8_t failure = 0x80;
}  // namespace suback_code

/// Wire bytes. `char` so that decoded strings can be `std::string_view`s into the input even in
/// constant expressions (a reinterpret_cast from unsigned char would not be allowed there).
using bytes_view = std::span<const char>;

/// Largest Remaining Length a four-byte varint can carry.
inline constexpr std::uint32_t max_remaining_length = 268'435'455;
/// Largest whole packet: one type byte, four length bytes, and the largest body.
inline constexpr std::size_t max_packet_size = 1 + 4 + std::size_t{max_remaining_length};

constexpr std::string_view to_string(protocol_version v) noexcept {
  return v == protocol_version::v3_1 ? "3.1" : "3.1.1";
}

constexpr std::string_view to_string(packet_type t) noexcept {
  switch (t) {
    case packet_type::connect: return "connect";
    case packet_type::connack: return "connack";
    case packet_type::publish: return "publish";
    case packet_type::puback: return "puback";
    case packet_type::pubrec: return "pubrec";
    case packet_type::pubrel: return "pubrel";
    case packet_type::pubcomp: return "pubcomp";
    case packet_type::subscribe: return "subscribe";
    case packet_type::suback: return "suback";
    case packet_type::unsubscribe: return "unsubscribe";
    case packet_type::unsuback: return "unsuback";
    case packet_type::pingreq: return "pingreq";
    case packet_type::pingresp: return "pingresp";
    case packet_type::disconnect: return "disconnect";
  }
  return "reserved";
}

/// View a buffer of unsigned bytes as wire bytes. Run time only: a reinterpret_cast cannot
/// appear in a constant expression; constexpr callers build their input from `char` directly.
inline bytes_view as_chars(std::span<const std::uint8_t> bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
inline bytes_view as_chars(std::span<const std::byte> bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
/// The writable counterpart of as_chars, for encoding into unsigned-byte buffers at run time.
inline std::span<char> as_writable_chars(std::span<std::uint8_t> bytes) noexcept {
  return {reinterpret_cast<char*>(bytes.data()), bytes.size()};
}
inline std::span<char> as_writable_chars(std::span<std::byte> bytes) noexcept {
  return {reinterpret_cast<char*>(bytes.data()), bytes.size()};
}

}  // namespace mqttwire

#endif  // MQTTWIRE_TYPES_HPP
