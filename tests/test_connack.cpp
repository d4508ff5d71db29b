// SPDX-License-Identifier: MIT
// CONNACK in 3.1 and 3.1.1: exact bytes, fields and refusals (spec §3.2).
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>

namespace mqttwire_test {

namespace {
static constexpr connack kResumed{.session_present = true, .return_code = rc::accepted};
}

TEST_CASE("connack: every return code 0..5 encodes and decodes in both versions") {
  for (const protocol_version v : {v311, v31}) {
    for (std::uint8_t code = 0; code <= 5; ++code) {
      const connack c{.return_code = static_cast<connect_return_code>(code)};
      const std::string wire{'\x20', '\x02', '\x00', static_cast<char>(code)};
      CHECK(encode_both(c, v) == encoded_bytes{errc::success, wire});
      const auto d = decode(bytes_view(wire), v);
      REQUIRE(d);
      CHECK(static_cast<unsigned>(std::get<connack>(d->pkt).return_code) == code);
      CHECK_FALSE(std::get<connack>(d->pkt).session_present);
    }
  }
}

TEST_CASE("connack: 3.1.1 Session Present is bit 0 of the acknowledge flags") {
  constexpr auto wire = encode_array<kResumed>();
  static_assert(wire == std::array<char, 4>{'\x20', '\x02', '\x01', '\x00'});
  const auto d = decode(bytes_view(wire));
  REQUIRE(d);
  CHECK(std::get<connack>(d->pkt).session_present);
  CHECK(std::get<connack>(d->pkt).return_code == rc::accepted);
}

TEST_CASE("connack: the encoder refuses invalid CONNACKs") {
  // Only a cast can make a code above 5; the encoder still refuses it.
  constexpr auto reserved = static_cast<connect_return_code>(6);
  CHECK(encode_both(connack{.return_code = reserved}).ec == errc::invalid_connack_return_code);
  CHECK(encode_both(connack{.return_code = reserved}, v31).ec == errc::invalid_connack_return_code);
  // [MQTT-3.2.2-4] Session Present must be 0 with a refusal.
  CHECK(encode_both(connack{.session_present = true, .return_code = rc::identifier_rejected}).ec ==
        errc::session_present_with_error);
  // MQTT 3.1 has no Session Present flag.
  CHECK(encode_both(kResumed, v31).ec == errc::session_present_in_3_1);
}

TEST_CASE("connack: a buffer one byte short is left untouched") {
  std::array<char, 3> out{'a', 'b', 'c'};
  const auto r = encode(connack{}, std::span<char>(out));
  CHECK(r.error() == error{errc::buffer_too_small, 0});
  CHECK(out == std::array<char, 3>{'a', 'b', 'c'});
}

}  // namespace mqttwire_test
