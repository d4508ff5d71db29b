// SPDX-License-Identifier: MIT
// Round trips both ways: decode(encode(p)) == p for every packet type in each version, and
// encode(decode(b)) == b for every canonical vector (packets compared for non-canonical ones).
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>

namespace mqttwire_test {

namespace {
inline constexpr std::string_view filters_mixed[] = {"a/+/c", "#", "/"};
inline constexpr subscription subs_mixed[] = {{"$SYS/#", q0}, {"+/+", q1}, {"x", q2}};
inline constexpr std::uint8_t codes_31[] = {0, 1, 2, 2, 1, 0};

// One or more samples of every packet type, valid in the version given beside it.
struct sample {
  const char* name;
  in versions;
  packet pkt;
};
const sample samples[] = {
    {"connect 3.1.1 minimal", in::both, connect_a},
    {"connect 3.1.1 full", in::both, connect_b},
    {"connect 3.1 full", in::both, connect_c},
    {"connect 3.1 no clean session, will QoS 2 retained",
     in::both,
     connect{.protocol = v31, .clean_session = false, .keep_alive = 1, .client_id = "x",
             .will = last_will{.topic = "w/t", .payload = "", .qos = q2, .retain = true}}},
    {"connack accepted", in::both, connack{}},
    {"connack session present", in::v3_1_1, connack{.session_present = true}},
    {"connack bad credentials", in::both, connack{.return_code = rc::bad_username_or_password}},
    {"publish QoS 0", in::both, publish{.topic = "a", .payload = "p"}},
    {"publish QoS 1 retained", in::both,
     publish{.qos = q1, .retain = true, .topic = "x/y", .packet_id = 65535}},
    {"publish QoS 2 dup", in::both,
     publish{.dup = true, .qos = q2, .topic = "\xe2\x82\xac", .packet_id = 2, .payload = "\0"sv}},
    {"puback", in::both, puback{.packet_id = 1}},
    {"pubrec", in::both, pubrec{.packet_id = 2}},
    {"pubrel", in::both, pubrel{.packet_id = 3}},
    {"pubrel dup", in::v3_1, pubrel{.packet_id = 3, .dup = true}},
    {"pubcomp", in::both, pubcomp{.packet_id = 4}},
    {"subscribe", in::both, subscribe{.packet_id = 5, .subscriptions = subs_mixed}},
    {"subscribe dup", in::v3_1, subscribe{.packet_id = 5, .dup = true, .subscriptions = subs_a0}},
    {"suback with failure", in::v3_1_1, suback{.packet_id = 6, .return_codes = codes_0_2_80}},
    {"suback granted", in::both, suback{.packet_id = 6, .return_codes = codes_31}},
    {"unsubscribe", in::both, unsubscribe{.packet_id = 7, .topic_filters = filters_mixed}},
    {"unsubscribe dup", in::v3_1, unsubscribe{.packet_id = 7, .dup = true, .topic_filters = filters_a}},
    {"unsuback", in::both, unsuback{.packet_id = 8}},
    {"pingreq", in::both, pingreq{}},
    {"pingresp", in::both, pingresp{}},
    {"disconnect", in::both, disconnect{}},
};
}  // namespace

TEST_CASE("roundtrip: decode(encode(p)) == p for every packet type in each version") {
  bool seen[14] = {};
  for (const sample& s : samples) {
    for (const protocol_version v : {v311, v31}) {
      if (!applies(s.versions, v)) continue;
      INFO(s.name << " / " << to_string(v));
      seen[s.pkt.index()] = true;
      const auto e = encode_both(s.pkt, v);
      REQUIRE(e.ec == errc::success);
      CHECK(e.bytes.size() == *encoded_size(s.pkt, v));
      const auto d = decode(bytes_view(e.bytes), v);
      REQUIRE(d);
      CHECK(d->size == e.bytes.size());
      CHECK(d->pkt == s.pkt);
      // And back again: the decoded packet re-encodes to the same bytes.
      CHECK(encode_both(d->pkt, v).bytes == e.bytes);
    }
  }
  for (const bool s : seen) CHECK(s);
}

TEST_CASE("roundtrip: encode(decode(b)) == b for every canonical vector") {
  std::size_t canonical = 0;
  for (const vector_row& row : vectors) {
    if (row.expected.index() != 0 || !row.canonical) continue;
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      INFO(row.name << " / " << to_string(v));
      const auto d = decode(bytes_view(row.wire), v, row.opts);
      REQUIRE(d);
      CHECK(encode_both(d->pkt, v, row.opts).bytes == row.wire);
      ++canonical;
    }
  }
  CHECK(canonical > 60);
}

TEST_CASE("roundtrip: non-canonical vectors keep their meaning through encode and decode") {
  std::size_t checked = 0;
  for (const vector_row& row : vectors) {
    if (row.expected.index() != 0 || row.canonical) continue;
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      INFO(row.name << " / " << to_string(v));
      const auto first = decode(bytes_view(row.wire), v, row.opts);
      REQUIRE(first);
      const auto e = encode_both(first->pkt, v, row.opts);
      if (e.ec != errc::success) continue;  // e.g. DUP on QoS 0: the encoder never writes it
      CHECK(e.bytes != row.wire);
      const auto second = decode(bytes_view(e.bytes), v, row.opts);
      REQUIRE(second);
      CHECK(second->pkt == first->pkt);
      ++checked;
    }
  }
  CHECK(checked > 15);
}

TEST_CASE("encoded_size: takes the version and reports what encode would refuse") {
  static constexpr std::uint8_t failure[] = {suback_code::failure};
  const suback refused{.packet_id = 1, .return_codes = failure};
  CHECK(*encoded_size(refused, v311) == 5);
  CHECK(encoded_size(refused, v31).error() == error{errc::invalid_suback_return_code, 0});
  CHECK(encoded_size(publish{.topic = "a/+"}).error() == error{errc::wildcard_in_topic_name, 0});
  CHECK(encoded_size(packet{pubrel{.packet_id = 1, .dup = true}}, v311).error() ==
        error{errc::dup_not_allowed, 0});
  CHECK(*encoded_size(packet{pubrel{.packet_id = 1, .dup = true}}, v31) == 4);
  // Options count too: a control character is refused only when asked.
  const publish bell{.topic = "a\x07"};
  CHECK(*encoded_size(bell) == 6);
  CHECK(encoded_size(bell, v311, strict_chars).error() == error{errc::control_character, 0});
  // Usable in constant expressions.
  static_assert(*encoded_size(pingreq{}) == 2);
}

}  // namespace mqttwire_test
