// SPDX-License-Identifier: MIT
// The program every packaging consumer builds: encodes and decodes a real PUBLISH and checks both.
#include <mqttwire/mqttwire.hpp>

#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <variant>

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "packaging consumer: %s\n", what);
  return 1;
}

}  // namespace

int main() {
  using namespace std::literals;

  // The consumer's build passes the version it found (find_package, pkg-config); the installed
  // headers must agree with it.
#ifdef MQTTWIRE_EXPECTED_VERSION
  if (std::string_view(MQTTWIRE_VERSION_STRING) != MQTTWIRE_EXPECTED_VERSION)
    return fail("version.hpp disagrees with the package version");
#endif

  const mqttwire::publish sent{.qos = mqttwire::qos_level::at_least_once,
                               .topic = "a/b",
                               .packet_id = 10,
                               .payload = "hi"};
  // MQTT 3.1.1 §3.3: PUBLISH, QoS 1, remaining length 9, topic "a/b", packet id 10, payload "hi".
  constexpr auto expected = "\x32\x09" "\x00\x03" "a/b" "\x00\x0a" "hi"sv;

  std::array<char, 32> buffer{};
  const auto written = mqttwire::encode(sent, std::span<char>(buffer));
  if (!written) return fail("encode failed");
  if (*written != expected.size() || mqttwire::encoded_size(sent) != expected.size())
    return fail("encoded size is wrong");
  if (std::string_view(buffer.data(), *written) != expected) return fail("encoded bytes are wrong");

  const auto got = mqttwire::decode(mqttwire::bytes_view(buffer.data(), *written));
  if (!got) return fail("decode failed");
  if (got->size != expected.size()) return fail("decode consumed the wrong number of bytes");
  if (!std::holds_alternative<mqttwire::publish>(got->pkt))
    return fail("decoded packet is not a PUBLISH");
  const auto& received = std::get<mqttwire::publish>(got->pkt);
  if (received.topic != "a/b" || received.payload != "hi" ||
      received.packet_id != std::optional<std::uint16_t>(10) ||
      received.qos != mqttwire::qos_level::at_least_once)
    return fail("decoded fields are wrong");
  if (!(received == sent)) return fail("decode(encode(p)) != p");

  // A truncated frame is reported as incomplete, not as a packet.
  const auto truncated = mqttwire::decode(mqttwire::bytes_view(buffer.data(), *written - 1));
  if (truncated || truncated.code() != mqttwire::errc::incomplete)
    return fail("a truncated frame was not reported as incomplete");

  std::printf("packaging consumer: mqttwire %s encoded and decoded a PUBLISH\n",
              MQTTWIRE_VERSION_STRING);
  return 0;
}
