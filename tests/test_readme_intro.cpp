// SPDX-License-Identifier: MIT
// The first example of README.md, compiled and checked, and the check that the README shows
// exactly it and the client loop of test_readme_session.cpp.
#include "doc_snippets.hpp"

#include <doctest/doctest.h>

#include <ostream>
#include <sstream>
#include <string_view>

using namespace std::literals;

// snippet: first-example
#include <mqttwire/mqttwire.hpp>

// A PUBLISH built at compile time: the bytes are a constant, checked by the compiler.
static constexpr mqttwire::publish kPosition{
    .qos = mqttwire::qos_level::at_least_once,
    .topic = "vehicles/1234/position",
    .packet_id = 7,
    .payload = R"({"lat":48.137,"lon":11.575})",
};
constexpr auto kPositionBytes = mqttwire::encode_array<kPosition>();  // std::array<char, 55>
static_assert(kPositionBytes[0] == '\x32');  // PUBLISH, QoS 1

// Decoding at run time: one packet from the front of a buffer; the fields are views into it.
bool print_publish(mqttwire::bytes_view wire, std::ostream& out) {
  const auto decoded = mqttwire::decode(wire);
  if (!decoded) {  // e.g. "wildcard_in_topic_name at byte 6 [MQTT-3.3.2-2] [MQTT-4.7.1-1]"
    out << to_string(decoded.code()) << " at byte " << decoded.error().offset << ' '
        << rule_of(decoded.code()) << '\n';
    return false;
  }
  const auto& pub = std::get<mqttwire::publish>(decoded->pkt);
  out << "topic " << pub.topic << ", payload " << pub.payload << '\n';
  return true;
}
// end snippet

TEST_CASE("README: the compile-time PUBLISH has the exact bytes of spec §3.3 with our fields") {
  constexpr auto expected =
      "\x32\x35"                      // PUBLISH QoS 1, Remaining Length 53
      "\x00\x16" "vehicles/1234/position"  // topic, 22 bytes
      "\x00\x07"                      // packet id 7
      R"({"lat":48.137,"lon":11.575})"sv;
  CHECK(std::string_view(kPositionBytes.data(), kPositionBytes.size()) == expected);
}

TEST_CASE("README: decoding prints a publish, and a wildcard topic is refused with its offset") {
  std::ostringstream out;
  CHECK(print_publish(mqttwire::bytes_view("\x30\x07\x00\x03" "a/b" "hi"sv), out));
  CHECK(out.str() == "topic a/b, payload hi\n");
  out.str("");
  constexpr auto bad = "\x30\x05\x00\x03" "a/+"sv;
  CHECK_FALSE(print_publish(mqttwire::bytes_view(bad), out));
  CHECK(out.str() == "wildcard_in_topic_name at byte 6 [MQTT-3.3.2-2] [MQTT-4.7.1-1]\n");
  const auto decoded = mqttwire::decode(mqttwire::bytes_view(bad));
  CHECK(decoded.error() == mqttwire::error{mqttwire::errc::wildcard_in_topic_name, 6});
}

TEST_CASE("README: the document shows exactly the snippets compiled here and in test_readme_session") {
  const auto blocks = doc_snippets::check_document(
      "README.md", {"tests/test_readme_intro.cpp", "tests/test_readme_session.cpp"});
  CHECK(blocks.size() == 2);
}
