// SPDX-License-Identifier: MIT
// PINGREQ, PINGRESP and DISCONNECT: two bytes each, in both versions (spec §3.12-3.14).
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>

namespace mqttwire_test {

namespace {
static constexpr pingreq kPing{};
static constexpr pingresp kPong{};
static constexpr disconnect kBye{};
static_assert(encode_array<kPing>() == std::array<char, 2>{'\xc0', '\x00'});
static_assert(encode_array<kPong>() == std::array<char, 2>{'\xd0', '\x00'});
static_assert(encode_array<kBye>() == std::array<char, 2>{'\xe0', '\x00'});
}  // namespace

TEST_CASE("ping/disconnect: exact bytes and decoded types in both versions") {
  for (const protocol_version v : {v311, v31}) {
    CHECK(encode_both(pingreq{}, v).bytes == std::string("\xc0\x00", 2));
    CHECK(encode_both(pingresp{}, v).bytes == std::string("\xd0\x00", 2));
    CHECK(encode_both(disconnect{}, v).bytes == std::string("\xe0\x00", 2));
    CHECK(validate(pingreq{}, v) == errc::success);
    CHECK(*encoded_size(disconnect{}, v) == 2);
    const std::string stream("\xc0\x00\xd0\x00\xe0\x00", 6);
    const auto a = decode(bytes_view(stream), v);
    REQUIRE(a);
    CHECK(std::holds_alternative<pingreq>(a->pkt));
    CHECK(type_of(a->pkt) == packet_type::pingreq);
    const auto b = decode(bytes_view(stream).subspan(2), v);
    REQUIRE(b);
    CHECK(std::holds_alternative<pingresp>(b->pkt));
    const auto c = decode(bytes_view(stream).subspan(4), v);
    REQUIRE(c);
    CHECK(std::holds_alternative<disconnect>(c->pkt));
    CHECK(a->size + b->size + c->size == 6);
  }
}

TEST_CASE("ping/disconnect: encoding through the packet variant picks the right type") {
  const packet ps[] = {pingreq{}, pingresp{}, disconnect{}};
  std::string all;
  for (const packet& p : ps) all += encode_both(p).bytes;
  CHECK(all == std::string("\xc0\x00\xd0\x00\xe0\x00", 6));
}

}  // namespace mqttwire_test
