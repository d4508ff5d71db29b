// SPDX-License-Identifier: MIT
// mqttwire: byte-level helpers shared by the decoder and the encoder (big-endian, varint).
#ifndef MQTTWIRE_DETAIL_WIRE_HPP
#define MQTTWIRE_DETAIL_WIRE_HPP

#include "mqttwire/detail/config.hpp"
#include "mqttwire/types.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace mqttwire::detail {

/// The byte value of a wire char (char may be signed; the conversion is defined).
constexpr std::uint8_t u8(char c) noexcept { return static_cast<std::uint8_t>(c); }
/// The wire char of a byte value (modulo 2^8, defined since C++20).
constexpr char ch(unsigned value) noexcept { return static_cast<char>(value & 0xFFu); }

constexpr std::uint16_t be16(char high, char low) noexcept {
  return static_cast<std::uint16_t>((unsigned{u8(high)} << 8) | u8(low));
}

/// The big-endian 16-bit value at p. At run time one load (and a rotate on little-endian
/// machines): g++ 12 does not merge the two byte loads of be16 by itself.
MQTTWIRE_ALWAYS_INLINE constexpr std::uint16_t read_be16(const char* p) noexcept {
  if (std::is_constant_evaluated()) return be16(p[0], p[1]);
  std::uint16_t v = 0;
  std::memcpy(&v, p, 2);
  if constexpr (std::endian::native == std::endian::little) {
    v = static_cast<std::uint16_t>((v << 8) | (v >> 8));
  }
  return v;
}

/// Bytes the Remaining Length field takes for `value` (1..4); precondition value <= 268,435,455.
constexpr std::size_t varint_size(std::size_t value) noexcept {
  return value < 128u ? 1 : value < 16'384u ? 2 : value < 2'097'152u ? 3 : 4;
}

/// The fixed first byte of every packet type but PUBLISH: type in bits 7-4, the required flags
/// in bits 3-0 ([MQTT-2.2.2-1]: 0010 for PUBREL, SUBSCRIBE and UNSUBSCRIBE, 0000 otherwise).
constexpr std::uint8_t canonical_flags(packet_type t) noexcept {
  return (t == packet_type::pubrel || t == packet_type::subscribe || t == packet_type::unsubscribe)
             ? 0x02
             : 0x00;
}
/// PUBREL, SUBSCRIBE and UNSUBSCRIBE may carry DUP (bit 3) in MQTT 3.1 (§2.4, retransmissions).
constexpr bool may_carry_dup_in_3_1(packet_type t) noexcept { return canonical_flags(t) == 0x02; }

inline constexpr std::size_t max_string_length = 65'535;

}  // namespace mqttwire::detail

#endif  // MQTTWIRE_DETAIL_WIRE_HPP
