// SPDX-License-Identifier: MIT
// Unit tests for what fuzzing taught us: each input in fuzz/regressions/ has a test here, and the
// decoder tolerances the fuzz oracles allow for are pinned down so they cannot drift silently.
#include <doctest/doctest.h>
#include <mqttwire/mqttwire.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using namespace std::literals;
using mqttwire::bytes_view;
using mqttwire::errc;
using mqttwire::options;
using mqttwire::protocol_version;

namespace {

mqttwire::result<mqttwire::decoded> decode(std::string_view wire, protocol_version v,
                                           const options& o = {}) {
  return mqttwire::decode(bytes_view(wire.data(), wire.size()), v, o);
}

}  // namespace

// ---- the documented decode-but-not-encode cases (fuzz/fuzz_decode.cpp, allowed_refusal) ----

TEST_CASE("fuzz oracle: a QoS 0 PUBLISH with DUP decodes only when tolerated, never encoded") {
  constexpr auto wire = "\x38\x05" "\x00\x03" "a/b"sv;  // DUP, QoS 0; topic "a/b"
  for (const protocol_version v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    // 3.1 tolerates it by default, 3.1.1 only when told to.
    const auto d = decode(wire, v, v == protocol_version::v3_1 ? options{} : options::tolerant());
    REQUIRE(d);
    CHECK(mqttwire::validate(d->pkt, v) == errc::dup_with_qos0);
    CHECK(decode(wire, v, options::strictest()).code() == errc::dup_with_qos0);
  }
  CHECK(decode(wire, protocol_version::v3_1_1).code() == errc::dup_with_qos0);
}

TEST_CASE("fuzz oracle: an empty 3.1 SUBSCRIBE / UNSUBSCRIBE decodes tolerantly only") {
  constexpr auto sub = "\x82\x02" "\x00\x01"sv;    // packet id 1, no filters
  constexpr auto unsub = "\xa2\x02" "\x00\x01"sv;  // packet id 1, no filters
  for (const auto wire : {sub, unsub}) {
    const auto d = decode(wire, protocol_version::v3_1);
    REQUIRE(d);
    const errc refused = mqttwire::validate(d->pkt, protocol_version::v3_1);
    CHECK((refused == errc::empty_subscription_list || refused == errc::empty_unsubscribe_list));
    CHECK_FALSE(decode(wire, protocol_version::v3_1, options::strictest()));
    CHECK_FALSE(decode(wire, protocol_version::v3_1_1));
  }
}

TEST_CASE("fuzz oracle: CONNACK with Session Present and a refusal decodes only when tolerated") {
  constexpr auto wire = "\x20\x02" "\x01" "\x05"sv;  // SP=1, return code 5
  CHECK(decode(wire, protocol_version::v3_1_1).code() == errc::session_present_with_error);
  const auto d = decode(wire, protocol_version::v3_1_1, options::tolerant());
  REQUIRE(d);
  CHECK(mqttwire::validate(d->pkt) == errc::session_present_with_error);
  CHECK(decode(wire, protocol_version::v3_1_1, options::strictest()).code() ==
        errc::session_present_with_error);
}

TEST_CASE("fuzz oracle: a 3.1 CONNECT missing its flagged user name re-encodes without it") {
  // MQIsdp 3, flags: user name + clean session, keep alive 60, client id "c1", no user name.
  constexpr auto wire = "\x10\x10" "\x00\x06" "MQIsdp" "\x03" "\x82" "\x00\x3c" "\x00\x02" "c1"sv;
  const auto d = decode(wire, protocol_version::v3_1);
  REQUIRE(d);
  const auto& c = std::get<mqttwire::connect>(d->pkt);
  CHECK_FALSE(c.username);
  std::array<char, 64> buf{};
  const auto n = mqttwire::encode(d->pkt, std::span<char>(buf), protocol_version::v3_1);
  REQUIRE(n);
  const auto again = decode(std::string_view(buf.data(), *n), protocol_version::v3_1);
  REQUIRE(again);
  CHECK(again->pkt == d->pkt);
  CHECK(std::string_view(buf.data(), *n) != wire);  // non-canonical input: packets compared
}

// fuzz/regressions/fuzz_decode/connect-reserved-flag-with-will: the fast form's table of connect
// flags took a will before the reserved bit, so a 3.1.1 CONNECT with both (flags 0xF5) decoded
// although [MQTT-3.1.2-3] refuses it.
TEST_CASE("fuzz regression: the reserved connect flag is refused with a will too (3.1.1)") {
  constexpr auto wire =
      "\x10\x20" "\x00\x04" "MQTT" "\x04" "\xf5" "\x00\x3c" "\x00\x02" "c1" "\x00\x01" "t"
      "\x00\x01" "m" "\x00\x04" "user" "\x00\x04" "pass"sv;
  static_assert(wire.size() == 34);
  for (const protocol_version v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    const auto d = decode(wire, v);
    REQUIRE_FALSE(d);
    CHECK(d.error() == mqttwire::error{errc::reserved_connect_flag, 9});
    mqttwire::packet out;
    CHECK(mqttwire::decode_into(bytes_view(wire.data(), wire.size()), out, v) ==
          mqttwire::decode_result{errc::reserved_connect_flag, 9});
  }
  // The same packet with the reserved bit clear is a valid CONNECT with will, user and password.
  std::string with_bit_clear(wire);
  with_bit_clear[9] = '\xf4';
  const auto ok = decode(std::string_view(with_bit_clear), protocol_version::v3_1_1);
  REQUIRE(ok);
  const auto& c = std::get<mqttwire::connect>(ok->pkt);
  CHECK(c.will == mqttwire::last_will{"t", "m", mqttwire::qos_level::exactly_once, true});
  CHECK(c.username == "user"sv);
  CHECK(c.password == "pass"sv);
}

// fuzz/regressions/fuzz_framer/starved-mark-outlives-a-whole-packet: a header found incomplete
// (one byte of a DISCONNECT) was marked so, and when the rest of its packet and the first byte
// of the next came in one read, commit() left the mark; after the DISCONNECT, next() took the
// mark for the next packet's and never read its header, so the reserved type was not reported.
TEST_CASE("fuzz regression: the framer reads the header behind a packet completed in one read") {
  for (const bool use_feed : {true, false}) {
    CAPTURE(use_feed);
    const auto give = [&](mqttwire::framer& f, std::string_view bytes) {
      if (use_feed) {
        f.feed(bytes_view(bytes.data(), bytes.size()));
      } else {
        const auto room = f.prepare(bytes.size());
        std::copy(bytes.begin(), bytes.end(), room.begin());
        f.commit(bytes.size());
      }
    };
    mqttwire::framer f;
    give(f, "\xe0"sv);
    CHECK(f.next().code() == errc::incomplete);
    give(f, "\x00\x01"sv);  // the rest of the DISCONNECT, then a reserved type 0
    const auto d = f.next();
    REQUIRE(d);
    CHECK(std::holds_alternative<mqttwire::disconnect>(*d));
    CHECK(f.next().error() == mqttwire::error{errc::reserved_packet_type, 2});
    CHECK(f.fault_offset() == 2);
    // And a valid packet behind it comes out at once.
    mqttwire::framer g;
    give(g, "\xe0"sv);
    CHECK(g.next().code() == errc::incomplete);
    give(g, "\x00\xc0\x00"sv);
    REQUIRE(g.next());
    const auto ping = g.next();
    REQUIRE(ping);
    CHECK(std::holds_alternative<mqttwire::pingreq>(*ping));
    CHECK(g.idle());
  }
}
