// SPDX-License-Identifier: MIT
// PUBLISH in 3.1 and 3.1.1: exact bytes, fields, size limits and encoder refusals (spec §3.3).
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>

namespace mqttwire_test {

namespace {
static constexpr publish kHello{.qos = q1, .topic = "a/b", .packet_id = 10, .payload = "hi"};
static constexpr publish kQos0{.topic = "a/b", .payload = "hi"};

// A payload view whose bytes are never read: validate, encoded_size and encode_publish_head
// look only at its size, and encode refuses before writing. It makes the 268,435,455-byte
// limit testable without allocating 256 MiB.
constexpr std::string_view unread_payload(std::size_t size) { return {"", size}; }
}  // namespace

TEST_CASE("publish: the spec §3.3 examples encode to their exact bytes in both versions") {
  static_assert(encode_array<kHello>() ==
                std::array<char, 11>{'\x32', '\x09', '\x00', '\x03', 'a', '/', 'b', '\x00', '\x0a',
                                     'h', 'i'});
  static_assert(encode_array<kHello, protocol_version::v3_1>() == encode_array<kHello>());
  static_assert(encode_array<kQos0>().size() == 9);
  for (const protocol_version v : {v311, v31}) {
    CHECK(encode_both(kQos0, v).bytes == std::string("\x30\x07" "\x00\x03" "a/b" "hi", 9));
    CHECK(encode_both(kHello, v).bytes ==
          std::string("\x32\x09" "\x00\x03" "a/b" "\x00\x0a" "hi", 11));
    const publish p{.dup = true, .qos = q2, .retain = true, .topic = "a/b", .packet_id = 0x1234};
    CHECK(encode_both(p, v).bytes == std::string("\x3d\x07" "\x00\x03" "a/b" "\x12\x34", 9));
    CHECK(encode_both(publish{.retain = true, .topic = "a/b"}, v).bytes ==
          std::string("\x31\x05" "\x00\x03" "a/b", 7));
  }
}

TEST_CASE("publish: decoded fields are views into the input") {
  const std::string wire("\x33\x0b" "\x00\x03" "a/b" "\xff\xfe" "\x00\x01\x02\x03", 13);
  const auto d = decode(bytes_view(wire));
  REQUIRE(d);
  const auto& p = std::get<publish>(d->pkt);
  CHECK_FALSE(p.dup);
  CHECK(p.qos == qos_level::at_least_once);
  CHECK(p.retain);
  CHECK(p.topic == "a/b");
  CHECK(p.packet_id == std::optional<std::uint16_t>(0xfffe));
  CHECK(p.payload == "\x00\x01\x02\x03"sv);
  CHECK(p.topic.data() == wire.data() + 4);
  CHECK(p.payload.data() == wire.data() + 9);
}

TEST_CASE("publish: the encoder refuses invalid packets") {
  SUBCASE("[MQTT-2.3.1-5] QoS 0 with a packet id") {
    CHECK(encode_both(publish{.topic = "t", .packet_id = 1}).ec == errc::packet_id_with_qos0);
  }
  SUBCASE("[MQTT-2.3.1-1] QoS 1 and 2 without a packet id") {
    CHECK(encode_both(publish{.qos = q1, .topic = "t"}).ec == errc::missing_packet_id);
    CHECK(encode_both(publish{.qos = q2, .topic = "t"}, v31).ec == errc::missing_packet_id);
  }
  SUBCASE("[MQTT-2.3.1-1] packet id 0") {
    CHECK(encode_both(publish{.qos = q1, .topic = "t", .packet_id = 0}).ec == errc::packet_id_zero);
  }
  SUBCASE("[MQTT-3.3.1-2] DUP with QoS 0") {
    CHECK(encode_both(publish{.dup = true, .topic = "t"}).ec == errc::dup_with_qos0);
    CHECK(encode_both(publish{.dup = true, .topic = "t"}, v31).ec == errc::dup_with_qos0);
  }
  SUBCASE("[MQTT-3.3.1-4] QoS 3") {
    CHECK(encode_both(publish{.qos = static_cast<qos_level>(3), .topic = "t", .packet_id = 1}).ec ==
          errc::invalid_qos);
  }
  SUBCASE("[MQTT-3.3.2-2] [MQTT-4.7.1-1] wildcards in the topic name") {
    CHECK(encode_both(publish{.topic = "a/+"}).ec == errc::wildcard_in_topic_name);
    CHECK(encode_both(publish{.topic = "#"}).ec == errc::wildcard_in_topic_name);
  }
  SUBCASE("[MQTT-4.7.3-1] empty topic") {
    CHECK(encode_both(publish{.topic = ""}).ec == errc::empty_topic_name);
  }
  SUBCASE("[MQTT-4.7.3-3] topic of 65,536 bytes, while 65,535 encode") {
    const std::string too_long(65'536, 't');
    const std::string longest(65'535, 't');
    CHECK(encode_both(publish{.topic = too_long}).ec == errc::string_too_long);
    const auto e = encode_both(publish{.topic = longest});
    REQUIRE(e.ec == errc::success);
    const auto d = decode(bytes_view(e.bytes));
    REQUIRE(d);
    CHECK(std::get<publish>(d->pkt).topic.size() == 65'535);
  }
}

TEST_CASE("publish: a payload that makes the packet exceed 268,435,455 bytes is refused") {
  // Remaining Length = 2 + 1 (topic "t") + 2 (packet id) + payload.
  const std::size_t largest_payload = max_remaining_length - 5;
  const publish at_limit{.qos = q1, .topic = "t", .packet_id = 1,
                         .payload = unread_payload(largest_payload)};
  const publish over_limit{.qos = q1, .topic = "t", .packet_id = 1,
                           .payload = unread_payload(largest_payload + 1)};
  CHECK(validate(at_limit) == errc::success);
  CHECK(*encoded_size(at_limit) == max_packet_size);
  CHECK(validate(over_limit) == errc::packet_too_large);

  // encode refuses before touching the (too small) buffer.
  std::array<char, 16> out{};
  out.fill('\x5a');
  const auto r = encode(over_limit, std::span<char>(out));
  CHECK(r.error() == error{errc::packet_too_large, 0});
  CHECK(std::all_of(out.begin(), out.end(), [](char c) { return c == '\x5a'; }));
  const auto small = encode(at_limit, std::span<char>(out));
  CHECK(small.error() == error{errc::buffer_too_small, 0});
  CHECK(std::all_of(out.begin(), out.end(), [](char c) { return c == '\x5a'; }));
  CHECK(encode_publish_head(over_limit, std::span<char>(out)).error() ==
        error{errc::packet_too_large, 0});

  // Scatter/gather: the head of the largest PUBLISH is 10 bytes, and packet_size counts the payload.
  const auto head = encode_publish_head(at_limit, std::span<char>(out));
  REQUIRE(head);
  CHECK(*head == publish_head{10, max_packet_size});
  CHECK(std::string(out.data(), 10) == std::string("\x32\xff\xff\xff\x7f" "\x00\x01" "t" "\x00\x01", 10));
}

TEST_CASE("publish: encode_publish_head writes exactly the bytes before the payload") {
  const publish p{.qos = q2, .topic = "sensors/1", .packet_id = 300, .payload = "23.5"};
  const auto whole = encode_both(p);
  REQUIRE(whole.ec == errc::success);
  std::array<char, 32> out{};
  const auto head = encode_publish_head(p, std::span<char>(out));
  REQUIRE(head);
  CHECK(head->head_size == whole.bytes.size() - 4);
  CHECK(head->packet_size == whole.bytes.size());
  CHECK(std::string(out.data(), head->head_size) + "23.5" == whole.bytes);
  // Too small for the head: nothing written.
  std::array<char, 4> tiny{'w', 'x', 'y', 'z'};
  CHECK(encode_publish_head(p, std::span<char>(tiny)).error() == error{errc::buffer_too_small, 0});
  CHECK(tiny == std::array<char, 4>{'w', 'x', 'y', 'z'});
}

TEST_CASE("publish: 3.1 strict mode holds topics to 32,767 bytes") {
  const std::string ok(32'767, 't');
  const std::string too_long(32'768, 't');
  CHECK(encode_both(publish{.topic = too_long}, v31).ec == errc::success);
  CHECK(encode_both(publish{.topic = too_long}, v311, strict_31).ec == errc::success);
  CHECK(encode_both(publish{.topic = too_long}, v31, strict_31).ec == errc::topic_too_long);
  CHECK(encode_both(publish{.topic = ok}, v31, strict_31).ec == errc::success);
  const auto e = encode_both(publish{.topic = too_long}, v31);
  CHECK(decode(bytes_view(e.bytes), v31, strict_31).error() == error{errc::topic_too_long, 4});
  CHECK(decode(bytes_view(e.bytes), v31));
}

}  // namespace mqttwire_test
