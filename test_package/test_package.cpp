// SPDX-License-Identifier: MIT
// Conan test_package: encodes a SUBSCRIBE, decodes it back and checks the bytes and the fields.
#include <mqttwire/mqttwire.hpp>

#include <array>
#include <cstdio>
#include <string_view>
#include <variant>

int main() {
  using namespace std::literals;
  const std::array filters{mqttwire::subscription{"a/+", mqttwire::qos_level::at_least_once}};
  const mqttwire::subscribe sent{.packet_id = 7, .subscriptions = filters};
  // [MQTT-3.8.1-1] fixed header 0x82, remaining length 8, packet id 7, "a/+", requested QoS 1.
  constexpr auto expected = "\x82\x08" "\x00\x07" "\x00\x03" "a/+" "\x01"sv;

  std::array<char, 16> buffer{};
  const auto written = mqttwire::encode(sent, std::span<char>(buffer));
  if (!written || std::string_view(buffer.data(), *written) != expected) {
    std::puts("test_package: encode gave the wrong bytes");
    return 1;
  }
  const auto got = mqttwire::decode(mqttwire::bytes_view(buffer.data(), *written));
  if (!got || !std::holds_alternative<mqttwire::subscribe>(got->pkt) ||
      !(std::get<mqttwire::subscribe>(got->pkt) == sent)) {
    std::puts("test_package: decode did not give the packet back");
    return 1;
  }
  std::printf("test_package: mqttwire %s round-tripped a SUBSCRIBE\n", MQTTWIRE_VERSION_STRING);
  return 0;
}
