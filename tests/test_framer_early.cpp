// SPDX-License-Identifier: MIT
// The framer refuses what a fixed header proves wrong at once, enforces the server's CONNECT
// rules when asked, and drains its packets for the caller.
#include "test_framer_support.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>
#include <mqttwire/framer.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

using namespace std::literals;
using namespace mqttwire;
using mqttwire_test::v31;
using mqttwire_test::v311;
using mqttwire_test::vector_row;
using framer_test::view;

namespace {

constexpr auto connect_311 =
    "\x10\x0e" "\x00\x04" "MQTT" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1"sv;  // 16 bytes
constexpr auto connect_31 =
    "\x10\x10" "\x00\x06" "MQIsdp" "\x03" "\x02" "\x00\x3c" "\x00\x02" "c1"sv;  // 18 bytes
constexpr auto pingreq_wire = "\xc0\x00"sv;

// Feeds `stream` one byte at a time and returns the first non-incomplete result of next(), with
// the number of bytes fed when it came.
struct first_answer {
  result<packet> got = error{errc::incomplete, 0};
  std::size_t fed = 0;
};
first_answer feed_until_answer(framer& f, std::string_view stream) {
  first_answer a;
  for (const char c : stream) {
    f.feed(bytes_view(&c, 1));
    ++a.fed;
    a.got = f.next();
    if (a.got || a.got.code() != errc::incomplete) return a;
  }
  return a;
}

}  // namespace

TEST_CASE("framer: garbage is refused as soon as the bytes that prove it arrive") {
  struct garbage {
    std::string_view name;
    protocol_version version;
    std::string_view stream;
    error want;          // as next() reports it: the stream offset of the packet's first byte
    std::size_t needed;  // bytes fed when the answer comes
    std::size_t fault;   // fault_offset(): the byte that proves it
  };
  const garbage cases[] = {
      {"HTTP request, 3.1.1", v311, "GET / HTTP/1.1\r\n", {errc::invalid_fixed_header_flags, 0}, 1, 0},
      {"HTTP request, tolerant 3.1", v31, "GET / HTTP/1.1\r\n",
       {errc::impossible_remaining_length, 0}, 2, 1},
      {"PINGREQ with 100 body bytes", v311, "\xc0\x64"sv, {errc::impossible_remaining_length, 0}, 2, 1},
      {"PUBCOMP flags 1001, 3.1.1", v311, "\x79\xa8\xb2\x13"sv,
       {errc::invalid_fixed_header_flags, 0}, 1, 0},
      {"PUBCOMP flags 1001, 3.1: 317,736 body bytes", v31, "\x79\xa8\xb2\x13"sv,
       {errc::impossible_remaining_length, 0}, 4, 1},
      {"a PINGREQ, then PUBACK with 3 body bytes", v311, "\xc0\x00\x40\x03\x00\x01\x00"sv,
       {errc::impossible_remaining_length, 2}, 4, 3},
  };
  for (const garbage& g : cases) {
    INFO(g.name);
    framer f(g.version);
    const auto stream = std::string(g.stream);
    // A good packet in front (last case) comes out first; skip it.
    first_answer a = feed_until_answer(f, stream);
    if (a.got) {
      CHECK(std::holds_alternative<pingreq>(*a.got));
      const first_answer b = feed_until_answer(f, stream.substr(a.fed));
      a = {b.got, a.fed + b.fed};
    }
    REQUIRE_FALSE(a.got);
    CHECK(a.got.error() == g.want);
    CHECK(a.fed == g.needed);
    CHECK(f.fault_offset() == g.fault);
    // The error is sticky.
    CHECK(f.next().error() == g.want);
  }
}

TEST_CASE("framer: a valid stream fed one byte at a time never fails early") {
  for (const vector_row& row : mqttwire_test::vectors) {
    if (row.expected.index() != 0) continue;
    for (const protocol_version v : {v311, v31}) {
      if (!mqttwire_test::applies(row.versions, v)) continue;
      INFO(mqttwire_test::row_title(row, v));
      framer f(v, framer_options{.rules = row.opts});
      const first_answer a = feed_until_answer(f, row.wire);
      REQUIRE(a.got);
      CHECK(a.fed == row.wire.size());
      CHECK(*a.got == std::get<0>(row.expected));
    }
  }
}

TEST_CASE("framer: [MQTT-3.1.0-1] with require_connect_first, the first packet must be CONNECT") {
  const framer_options server{.require_connect_first = true};
  // Not CONNECT: refused at its first byte, before the rest arrives.
  for (const std::string_view first : {"\xc0"sv, "\x30"sv, "\x82"sv, "G"sv, "\x20"sv}) {
    framer f(v311, server);
    f.feed(view(first));
    CHECK(f.next().error() == error{errc::first_packet_not_connect, 0});
    CHECK(f.fault_offset() == 0);
  }
  // CONNECT first: accepted, then the ordinary packets.
  framer f(v311, server);
  f.feed(view(connect_311));
  f.feed(view(pingreq_wire));
  const auto c = f.next();
  REQUIRE(c);
  CHECK(std::get<connect>(*c).client_id == "c1");
  CHECK(std::holds_alternative<pingreq>(*f.next()));
  CHECK(f.next().code() == errc::incomplete);
  // Without the option a PINGREQ first is just a PINGREQ (a client's framer, an inspector).
  framer plain(v311);
  plain.feed(view(pingreq_wire));
  CHECK(std::holds_alternative<pingreq>(*plain.next()));
}

TEST_CASE("framer: [MQTT-3.1.0-2] with require_connect_first, a second CONNECT is an error") {
  framer f(v311, framer_options{.require_connect_first = true});
  f.feed(view(connect_311));
  REQUIRE(f.next());
  f.feed(view(pingreq_wire));
  f.feed(view("\x10"sv));  // the first byte of another CONNECT is enough
  CHECK(std::holds_alternative<pingreq>(*f.next()));
  CHECK(f.next().error() == error{errc::second_connect, 18});
  CHECK(f.fault_offset() == 18);
  // Two CONNECTs in one read: the first is returned, then the error.
  framer g(v311, framer_options{.require_connect_first = true});
  g.feed(view(std::string(connect_311) + std::string(connect_311)));
  REQUIRE(g.next());
  CHECK(g.next().error() == error{errc::second_connect, 16});
}

TEST_CASE("framer: require_connect_first takes the CONNECT's protocol version") {
  // A 3.1 retransmitted PUBREL (0x6A) is valid only under 3.1 rules; the framer was built for 3.1.1.
  framer f(v311, framer_options{.require_connect_first = true});
  f.feed(view(connect_31));
  f.feed(view("\x6a\x02\x00\x07"sv));
  const auto c = f.next();
  REQUIRE(c);
  CHECK(f.version() == v31);
  const auto r = f.next();
  REQUIRE(r);
  CHECK(*r == packet{pubrel{.packet_id = 7, .dup = true}});
  // And a 3.1.1 CONNECT gives 3.1.1 rules to a framer built for 3.1.
  framer g(v31, framer_options{.require_connect_first = true});
  g.feed(view(connect_311));
  g.feed(view("\x6a\x02\x00\x07"sv));
  REQUIRE(g.next());
  CHECK(g.version() == v311);
  CHECK(g.next().error() == error{errc::invalid_fixed_header_flags, 16});
}

// The header of the packet left incomplete at the end of a read is read by next() (the packets
// in front of it were taken first), not by commit(): the same checks, codes and offsets.
TEST_CASE("framer: the header of a packet left incomplete behind another is checked at once") {
  struct behind {
    std::string_view name;
    framer_options options;
    std::string_view read;  // a PINGREQ, then the start of the packet being checked
    error want;             // next()'s answer after the PINGREQ
    std::uint64_t fault;    // fault_offset() when `want` is an error
  };
  framer_options limit_100;
  limit_100.max_packet_size = 100;
  framer_options limit_20000;
  limit_20000.max_packet_size = 20'000;
  framer_options minimal_only;
  minimal_only.rules.reject_non_minimal_length = true;
  const behind cases[] = {
      {"PUBLISH of 101 bytes, limit 100", limit_100, "\xc0\x00\x30\x63\x00\x01t"sv,
       {errc::packet_too_large, 2}, 3},
      {"PUBLISH of 100 bytes, limit 100", limit_100, "\xc0\x00\x30\x62\x00\x01t"sv,
       {errc::incomplete, 7}, 0},
      {"PUBLISH of 20,001 bytes (3-byte length), limit 20,000", limit_20000,
       "\xc0\x00\x30\x9d\x9c\x01\x00\x01t"sv, {errc::packet_too_large, 2}, 3},
      {"PUBLISH of 20,000 bytes (3-byte length), limit 20,000", limit_20000,
       "\xc0\x00\x30\x9c\x9c\x01\x00\x01t"sv, {errc::incomplete, 9}, 0},
      {"PUBACK with flags 0001", {}, "\xc0\x00\x41\x02\x00"sv,
       {errc::invalid_fixed_header_flags, 2}, 2},
      {"PUBACK with a 3-byte body", {}, "\xc0\x00\x40\x03\x00"sv,
       {errc::impossible_remaining_length, 2}, 3},
      {"PUBACK with a non-minimal length, refused", minimal_only, "\xc0\x00\x40\x82\x00\x00"sv,
       {errc::non_minimal_remaining_length, 2}, 3},
      {"PUBACK with a non-minimal length, allowed", {}, "\xc0\x00\x40\x82\x00\x00"sv,
       {errc::incomplete, 6}, 0},
      {"PUBLISH with QoS 3", {}, "\xc0\x00\x36\x05\x00"sv, {errc::invalid_qos, 2}, 2},
      {"a Remaining Length that is not complete yet", limit_100, "\xc0\x00\x30\xe8"sv,
       {errc::incomplete, 4}, 0},
  };
  for (const behind& c : cases) {
    INFO(c.name);
    framer f(v311, c.options);
    f.feed(view(c.read));
    CHECK(std::holds_alternative<pingreq>(*f.next()));
    const auto r = f.next();
    REQUIRE_FALSE(r);
    CHECK(r.error() == c.want);
    if (c.want.code != errc::incomplete) {
      CHECK(f.fault_offset() == c.fault);
      CHECK(f.failure() == c.want);
    } else {
      CHECK_FALSE(f.failure());
    }
  }

  // The packets accepted behind another arrive whole once the rest of them is read.
  framer f(v311, limit_100);
  f.feed(view("\xc0\x00\x30\x62\x00\x01t"sv));
  REQUIRE(f.next());
  CHECK(f.next().code() == errc::incomplete);
  const std::string rest(95, 'p');
  f.feed(view(rest));
  const auto p = f.next();
  REQUIRE(p);
  CHECK(std::get<publish>(*p).topic == "t");
  CHECK(std::get<publish>(*p).payload == rest);
  CHECK(f.packet_offset() == 2);
  CHECK(f.idle());
  // A length still incomplete behind another is read once its last byte comes: too large here.
  framer g(v311, limit_100);
  g.feed(view("\xc0\x00\x30\xe8"sv));
  REQUIRE(g.next());
  CHECK(g.next().code() == errc::incomplete);
  g.feed(view("\x07"sv));
  CHECK(g.next().error() == error{errc::packet_too_large, 2});
  CHECK(g.fault_offset() == 3);

  // skip_oversized: reported at once, its body discarded, and the next packet comes out.
  framer_options skipping = limit_100;
  skipping.skip_oversized = true;
  framer s(v311, skipping);
  s.feed(view("\xc0\x00\x30\x63\x00\x01t"sv));
  REQUIRE(s.next());
  CHECK(s.next().error() == error{errc::packet_too_large, 2});
  s.feed(view(std::string(96, 'x') + std::string("\x40\x02\x00\x05"sv)));
  const auto ack = s.next();
  REQUIRE(ack);
  CHECK(*ack == packet{puback{5}});
  CHECK(s.packet_offset() == 103);
  CHECK(s.stats().discarded_bytes == 101);

  // A server's framer: a second CONNECT behind the first is refused at its first bytes, and
  // another packet behind the CONNECT is read as usual.
  framer server(v311, framer_options{.require_connect_first = true});
  server.feed(view(std::string(connect_311) + std::string("\x10\x0e\x00"sv)));
  REQUIRE(server.next());
  CHECK(server.next().error() == error{errc::second_connect, 16});
  CHECK(server.fault_offset() == 16);
  framer server2(v311, framer_options{.require_connect_first = true});
  server2.feed(view(std::string(connect_311) + std::string("\x30\x06\x00\x01t"sv)));
  REQUIRE(server2.next());
  CHECK(server2.next().code() == errc::incomplete);
  server2.feed(view("abc"sv));
  const auto pub = server2.next();
  REQUIRE(pub);
  CHECK(std::get<publish>(*pub).payload == "abc");
}

TEST_CASE("framer: drain hands over every buffered packet and says why it stopped") {
  framer f;
  f.feed(view("\xc0\x00" "\x40\x02\x00\x05" "\xd0\x00" "\x30"sv));  // three packets and a byte
  std::vector<packet_type> seen;
  const error stop = f.drain([&](const packet& p) { seen.push_back(type_of(p)); });
  CHECK(stop == error{});
  CHECK(seen == std::vector{packet_type::pingreq, packet_type::puback, packet_type::pingresp});
  // The partial PUBLISH completes with the next bytes.
  f.feed(view("\x05\x00\x03" "a/b"sv));
  seen.clear();
  CHECK(f.drain([&](const packet& p) { seen.push_back(type_of(p)); }) == error{});
  CHECK(seen == std::vector{packet_type::publish});

  // A callback returning false stops after that packet; the rest stays buffered.
  framer g;
  g.feed(view("\xc0\x00\xc0\x00\xc0\x00"sv));
  std::size_t calls = 0;
  CHECK(g.drain([&](const packet&) { return ++calls < 2; }) == error{});
  CHECK(calls == 2);
  CHECK(g.buffered() == 2);

  // An error ends the drain after the good packets before it, and is returned again after.
  framer h;
  h.feed(view("\xc0\x00" "\xc0\x01\x00"sv));
  calls = 0;
  CHECK(h.drain([&](const packet&) { ++calls; }) == error{errc::impossible_remaining_length, 2});
  CHECK(calls == 1);
  CHECK(h.drain([&](const packet&) { ++calls; }) == error{errc::impossible_remaining_length, 2});
  CHECK(calls == 1);
}
