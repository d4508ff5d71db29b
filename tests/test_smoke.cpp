// SPDX-License-Identifier: MIT
// A first check that the library decodes and encodes (replaced by the full vector tests).
#include <doctest/doctest.h>
#include <mqttwire/mqttwire.hpp>

using namespace std::literals;

TEST_CASE("smoke: spec §3.3 PUBLISH QoS 1 example decodes to its fields") {
  constexpr auto wire = "\x32\x09\x00\x03" "a/b" "\x00\x0a" "hi"sv;
  const auto d = mqttwire::decode(mqttwire::bytes_view(wire));
  REQUIRE(d);
  CHECK(d->size == wire.size());
  const auto& p = std::get<mqttwire::publish>(d->pkt);
  CHECK(p.topic == "a/b");
  CHECK(p.packet_id == std::optional<std::uint16_t>(10));
  CHECK(p.payload == "hi");
}
