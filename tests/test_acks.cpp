// SPDX-License-Identifier: MIT
// PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: exact bytes, fields, refusals (spec §3.4-3.7, §3.11).
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>

namespace mqttwire_test {

namespace {
static constexpr pubrel kRetry{.packet_id = 10, .dup = true};

template <class Ack>
void check_ack(char first_byte) {
  for (const protocol_version v : {v311, v31}) {
    for (const std::uint16_t id : {std::uint16_t{1}, std::uint16_t{10}, std::uint16_t{0x1234},
                                   std::uint16_t{0xffff}}) {
      INFO("id " << id << " in " << to_string(v));
      const std::string wire{first_byte, '\x02', static_cast<char>(id >> 8),
                             static_cast<char>(id & 0xff)};
      CHECK(encode_both(Ack{.packet_id = id}, v) == encoded_bytes{errc::success, wire});
      const auto d = decode(bytes_view(wire), v);
      REQUIRE(d);
      CHECK(d->size == 4);
      CHECK(std::get<Ack>(d->pkt).packet_id == id);
    }
    // [MQTT-2.3.1-1]; spec §2.6 [lib]: identifier 0 is never valid.
    CHECK(encode_both(Ack{.packet_id = 0}, v).ec == errc::packet_id_zero);
  }
}
}  // namespace

TEST_CASE("acks: PUBACK is 40 02 id") { check_ack<puback>('\x40'); }
TEST_CASE("acks: PUBREC is 50 02 id") { check_ack<pubrec>('\x50'); }
TEST_CASE("acks: PUBREL is 62 02 id") { check_ack<pubrel>('\x62'); }
TEST_CASE("acks: PUBCOMP is 70 02 id") { check_ack<pubcomp>('\x70'); }
TEST_CASE("acks: UNSUBACK is B0 02 id") { check_ack<unsuback>('\xb0'); }

TEST_CASE("acks: PUBREL with DUP exists only in 3.1 (6A), spec §2.4") {
  static_assert(encode_array<kRetry, protocol_version::v3_1>() ==
                std::array<char, 4>{'\x6a', '\x02', '\x00', '\x0a'});
  CHECK(encode_both(kRetry, v31).bytes == std::string("\x6a\x02\x00\x0a", 4));
  CHECK(encode_both(kRetry, v311).ec == errc::dup_not_allowed);
  const auto d = decode(bytes_view(std::string_view("\x6a\x02\x00\x0a", 4)), v31);
  REQUIRE(d);
  CHECK(std::get<pubrel>(d->pkt) == kRetry);
}

TEST_CASE("acks: a buffer too small is left untouched, a larger one is written only in front") {
  std::array<char, 8> out{};
  out.fill('\x5a');
  CHECK(encode(puback{.packet_id = 7}, std::span<char>(out).first(3)).error() ==
        error{errc::buffer_too_small, 0});
  CHECK(out[0] == '\x5a');
  const auto n = encode(puback{.packet_id = 7}, std::span<char>(out));
  REQUIRE(n);
  CHECK(*n == 4);
  CHECK(std::string(out.data(), 8) == std::string("\x40\x02\x00\x07\x5a\x5a\x5a\x5a", 8));
}

}  // namespace mqttwire_test
