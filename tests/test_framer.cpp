// SPDX-License-Identifier: MIT
// The incremental framer: same packets as decode for any chunking, limits, sticky errors, cost.
#include "test_framer_support.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>
#include <mqttwire/framer.hpp>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

using namespace std::literals;
using namespace mqttwire;
using framer_test::decode_loop;
using framer_test::drive;
using framer_test::rng;
using framer_test::stream_builder;
using framer_test::view;

namespace {

// Canonical packets from the spec reference, one per family (3.1.1).
constexpr std::string_view kVectors[] = {
    "\x10\x0e" "\x00\x04" "MQTT" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1"sv,  // CONNECT §3.1
    "\x20\x02" "\x01\x00"sv,                                                 // CONNACK, session
    "\x32\x09" "\x00\x03" "a/b" "\x00\x0a" "hi"sv,                           // PUBLISH QoS 1
    "\x30\x05" "\x00\x03" "a/b"sv,                                           // PUBLISH QoS 0, empty
    "\x40\x02" "\x00\x01"sv,                                                 // PUBACK
    "\x50\x02" "\x00\x02"sv,                                                 // PUBREC
    "\x62\x02" "\x00\x03"sv,                                                 // PUBREL
    "\x70\x02" "\x00\x04"sv,                                                 // PUBCOMP
    "\x82\x0c" "\x00\x05" "\x00\x03" "a/+" "\x01" "\x00\x01" "#" "\x02"sv,   // SUBSCRIBE, two
    "\x90\x04" "\x00\x05" "\x01\x80"sv,                                      // SUBACK
    "\xa2\x07" "\x00\x06" "\x00\x03" "a/#"sv,                                // UNSUBSCRIBE
    "\xb0\x02" "\x00\x06"sv,                                                 // UNSUBACK
    "\xc0\x00"sv, "\xd0\x00"sv, "\xe0\x00"sv,                                // PINGREQ/RESP, DISC
};

std::string all_vectors() {
  std::string s;
  for (const auto v : kVectors) s += v;
  return s;
}

}  // namespace

TEST_CASE("framer: every vector, whole, byte by byte and split at every position") {
  for (const std::string_view wire : kVectors) {
    const auto ref = decode(view(wire));
    REQUIRE(ref);
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
      framer f;
      f.feed(view(wire.substr(0, cut)));
      auto first = f.next();
      if (cut < wire.size()) {
        CHECK(first.code() == errc::incomplete);
        CHECK(first.error().offset == cut);
        CHECK(f.idle() == (cut == 0));
        f.feed(view(wire.substr(cut)));
        first = f.next();
      }
      REQUIRE(first);
      CHECK(*first == ref->pkt);
      CHECK(f.idle());
      CHECK(f.stream_offset() == wire.size());
      CHECK(f.next().code() == errc::incomplete);
    }
    framer bytewise;
    std::size_t packets = 0;
    for (std::size_t i = 0; i < wire.size(); ++i) {
      const auto space = bytewise.prepare(1);
      REQUIRE(space.size() == 1);
      space[0] = wire[i];
      bytewise.commit(1);
      const auto p = bytewise.next();
      if (i + 1 < wire.size()) {
        CHECK(p.code() == errc::incomplete);
      } else {
        REQUIRE(p);
        CHECK(*p == ref->pkt);
        ++packets;
      }
    }
    CHECK(packets == 1);
  }
}

TEST_CASE("framer: every row of tests/vectors.hpp, whole, byte by byte and in random splits") {
  std::size_t runs = 0;
  for (const auto& row : mqttwire_test::vectors) {
    for (const auto v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
      if (!mqttwire_test::applies(row.versions, v)) continue;
      CAPTURE(row.name);
      const auto ref = decode_loop(view(row.wire), v, row.opts);
      framer_options o;
      o.rules = row.opts;
      rng r(runs + 1);
      for (const std::size_t max_chunk : {row.wire.size() + 1, std::size_t{1}, std::size_t{3},
                                          row.wire.size() / 2 + 1}) {
        framer f(v, o);
        CHECK(drive(f, view(row.wire), ref, r, max_chunk) == "");
        // The fixed-storage framer caps packets at its size; compare where decode's view agrees.
        static_framer<1024> s(v, o);
        const auto h = peek_header(view(row.wire), v, row.opts);
        if (row.wire.size() <= 512 && (!h || h->size() <= 512)) {
          CHECK(drive(s, view(row.wire), ref, r, max_chunk) == "");
        }
        ++runs;
      }
    }
  }
  CHECK(runs > 100);
}

TEST_CASE("framer: views stay valid while every buffered packet is drained") {
  const std::string all = all_vectors();
  framer f;
  f.feed(view(all));
  std::vector<packet> out;  // held across next() calls: next() must not move the bytes
  for (auto p = f.next(); p; p = f.next()) out.push_back(*p);
  REQUIRE(out.size() == std::size(kVectors));
  std::size_t pos = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto d = decode(view(all).subspan(pos));
    REQUIRE(d);
    CHECK(out[i] == d->pkt);
    pos += d->size;
  }
  CHECK(std::get<publish>(out[2]).payload == "hi");
  CHECK(f.idle());
}

TEST_CASE("framer: random streams of valid packets in random chunks give decode's packets") {
  for (const auto v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
      CAPTURE(seed);
      CAPTURE(to_string(v));
      stream_builder b(seed, v);
      const std::vector<char> stream = b.stream(150);
      const auto ref = decode_loop(view(stream), v);
      REQUIRE(ref.end.code == errc::success);
      REQUIRE(ref.packets.size() == 150);
      rng r(seed * 7919);
      for (const std::size_t max_chunk : {1u, 7u, 300u, 70'000u}) {
        framer f(v);
        CHECK(drive(f, view(stream), ref, r, max_chunk) == "");
        CHECK(f.stream_offset() == stream.size());
        CHECK(f.buffered() == 0);
      }
    }
  }
}

TEST_CASE("framer: corrupted and truncated streams stop where decode stops, sticky") {
  std::size_t errors = 0, partial = 0;
  for (const auto v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    for (std::uint64_t seed = 100; seed < 400; ++seed) {
      CAPTURE(seed);
      stream_builder b(seed, v);
      std::vector<char> stream = b.stream(20);
      rng& r = b.random();
      // Flip one byte, or cut the stream short.
      if (r.coin()) {
        stream[r(stream.size())] ^= static_cast<char>(1u << r(8));
      } else {
        stream.resize(r(stream.size()));
      }
      const auto ref = decode_loop(view(stream), v);
      errors += ref.end.code != errc::success && ref.end.code != errc::incomplete;
      partial += ref.end.code == errc::incomplete;
      framer f(v);
      CHECK(drive(f, view(stream), ref, r, 1 + r(200)) == "");
      if (ref.end.code != errc::success && ref.end.code != errc::incomplete) {
        // Still dead after more valid bytes arrive, and those bytes are not kept.
        f.feed(view("\xc0\x00"sv));
        CHECK(f.next().error() == ref.end);
        CHECK(f.buffered() == 0);
        CHECK_FALSE(f.idle());
      }
    }
  }
  // The corpus must exercise both outcomes.
  CHECK(errors > 25);  // most flipped bits land in payloads, which take any byte
  CHECK(partial > 50);
}

TEST_CASE("framer: a bad packet's error carries the stream offset of its first byte") {
  // PINGREQ, PUBACK, then a PUBACK with packet id 0 at stream offset 6.
  const auto wire = "\xc0\x00" "\x40\x02\x00\x01" "\x40\x02\x00\x00" "\xc0\x00"sv;
  framer f;
  f.feed(view(wire.substr(0, 7)));
  CHECK(f.next());
  CHECK(f.next());
  CHECK(f.next().code() == errc::incomplete);
  f.feed(view(wire.substr(7)));
  const auto bad = f.next();
  CHECK(bad.error() == error{errc::packet_id_zero, 6});
  CHECK(f.fault_offset() == 8);  // the id field
  CHECK(f.packet_offset() == 6);
  CHECK(f.failure() == error{errc::packet_id_zero, 6});
  CHECK(f.next().error() == error{errc::packet_id_zero, 6});
  CHECK(f.end_of_stream() == error{errc::packet_id_zero, 6});

  // A reserved type is caught from its first byte, before the rest of the header.
  framer g;
  g.feed(view("\xc0\x00\xf0"sv));
  CHECK(g.next());
  CHECK(g.next().error() == error{errc::reserved_packet_type, 2});
  CHECK(g.fault_offset() == 2);

  // A fifth Remaining Length byte is not waited for.
  framer h;
  h.feed(view("\x30\xff\xff\xff\xff"sv));
  CHECK(h.next().error() == error{errc::malformed_remaining_length, 0});
  CHECK(h.fault_offset() == 4);
}

TEST_CASE("framer: end of stream tells a partial packet from a clean end") {
  const auto wire = "\xc0\x00" "\x32\x09\x00\x03" "a/b" "\x00\x0a" "h"sv;  // PUBLISH short by 1
  framer f;
  CHECK(f.idle());
  CHECK(f.end_of_stream() == error{});
  f.feed(view(wire));
  CHECK(f.next());
  CHECK(f.next().error() == error{errc::incomplete, wire.size()});
  CHECK_FALSE(f.idle());
  CHECK(f.buffered() == wire.size() - 2);
  CHECK(f.end_of_stream() == error{errc::incomplete, 2});
  f.feed(view("i"sv));
  CHECK(f.next());
  CHECK(f.idle());
  CHECK(f.end_of_stream() == error{});
  // One lone byte is a partial packet too.
  f.feed(view("\xc0"sv));
  CHECK(f.next().code() == errc::incomplete);
  CHECK_FALSE(f.idle());
  CHECK(f.end_of_stream() == error{errc::incomplete, wire.size() + 1});
}

TEST_CASE("framer: an oversized packet is refused as soon as its fixed header is readable") {
  framer_options o;
  o.max_packet_size = 100;
  // PUBLISH with Remaining Length 1000 (e8 07): 1003 bytes in all.
  const auto header = "\x30\xe8"sv;
  framer f(protocol_version::v3_1_1, o);
  f.feed(view(header));
  CHECK(f.next().code() == errc::incomplete);  // the length is not known yet
  CHECK_FALSE(f.failure());
  const auto space = f.prepare(1);
  space[0] = '\x07';
  f.commit(1);
  // Known at commit, before next() and before any body byte.
  CHECK(f.failure() == error{errc::packet_too_large, 0});
  CHECK(f.next().error() == error{errc::packet_too_large, 0});
  CHECK(f.fault_offset() == 1);
  // The body that follows is never kept.
  const std::string body(1000, 'x');
  for (std::size_t i = 0; i < body.size(); i += 50) {
    f.feed(view(std::string_view(body).substr(i, 50)));
    CHECK(f.buffered() == 0);
  }
  CHECK(f.capacity() <= 256);
  CHECK(f.next().error() == error{errc::packet_too_large, 0});
  CHECK(f.received() == 1003);

  // Exactly the limit is fine: a 100-byte PUBLISH (2 + 98).
  std::string exact = "\x30\x62\x00\x01t"s + std::string(95, 'p');
  REQUIRE(exact.size() == 100);
  framer g(protocol_version::v3_1_1, o);
  g.feed(view(exact));
  CHECK(g.next());
  exact[1] = '\x63';  // 101 bytes announced
  framer h(protocol_version::v3_1_1, o);
  h.feed(view(exact));
  CHECK(h.next().error() == error{errc::packet_too_large, 0});
}

TEST_CASE("framer: skip_oversized reports once, discards the body unbuffered, and goes on") {
  framer_options o;
  o.max_packet_size = 64;
  o.skip_oversized = true;
  std::vector<char> stream;
  const auto append = [&](std::string_view s) { stream.insert(stream.end(), s.begin(), s.end()); };
  append("\x40\x02\x00\x01"sv);                          // PUBACK at 0
  append("\x30\xe8\x07\x00\x01t"sv);                     // PUBLISH of 1003 bytes at 4
  append(std::string(997, 'x'));
  append("\xc0\x00"sv);                                  // PINGREQ at 1007
  append("\x30\x41\x00\x01t"sv);                         // PUBLISH of 67 bytes at 1009
  append(std::string(62, 'y'));
  append("\x50\x02\x00\x07"sv);                          // PUBREC at 1076
  REQUIRE(stream.size() == 1080);
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    CAPTURE(seed);
    rng r(seed);
    framer f(protocol_version::v3_1_1, o);
    std::vector<std::string> seen;
    std::size_t pos = 0;
    std::size_t largest_chunk = 0;
    while (pos < stream.size()) {
      const std::size_t n = std::min<std::size_t>(1 + r(40), stream.size() - pos);
      largest_chunk = std::max(largest_chunk, n);
      if (r.coin()) {
        pos += f.feed(view(stream).subspan(pos, n));
      } else {
        const auto space = f.prepare(n);
        std::copy(stream.data() + pos, stream.data() + pos + n, space.data());
        f.commit(n);
        pos += n;
      }
      // Never more than one packet of the limit plus this read.
      CHECK(f.buffered() <= o.max_packet_size + n);
      CHECK(f.capacity() <= std::max<std::size_t>(256, o.max_packet_size + largest_chunk));
      for (auto p = f.next();; p = f.next()) {
        if (p) {
          seen.push_back(std::string(to_string(type_of(*p))) + "@" +
                         std::to_string(f.packet_offset()));
        } else if (p.code() == errc::packet_too_large) {
          seen.push_back("too_large@" + std::to_string(p.error().offset));
        } else {
          CHECK(p.code() == errc::incomplete);
          break;
        }
      }
    }
    const std::vector<std::string> expected = {"puback@0",         "too_large@4", "pingreq@1007",
                                               "too_large@1009", "pubrec@1076"};
    CHECK(seen == expected);
    CHECK(f.idle());
    CHECK(f.stream_offset() == 1080);
    CHECK(f.stats().discarded_bytes == 1003 + 67);
    CHECK_FALSE(f.failure());
  }
}

TEST_CASE("framer: a skipped packet left unfinished at end of stream is reported as partial") {
  framer_options o;
  o.max_packet_size = 10;
  o.skip_oversized = true;
  framer f(protocol_version::v3_1_1, o);
  f.feed(view("\xc0\x00" "\x30\x20\x00\x01t"sv));  // PINGREQ, then 34 bytes announced
  CHECK(f.next());
  CHECK(f.next().error() == error{errc::packet_too_large, 2});
  CHECK(f.next().code() == errc::incomplete);
  CHECK_FALSE(f.idle());
  CHECK(f.end_of_stream() == error{errc::incomplete, 2});
}

TEST_CASE("framer: a 1 MB PUBLISH fed one byte at a time costs linear work") {
  std::string payload(1 << 20, 'p');
  publish big{};
  big.topic = "big/one";
  big.payload = payload;
  std::vector<char> wire;
  REQUIRE(encode_to(big, std::back_inserter(wire)).ec == errc::success);
  wire.push_back('\xc0');  // and a PINGREQ behind it
  wire.push_back('\x00');
  const std::uint64_t size = wire.size();

  for (const bool use_feed : {true, false}) {
    framer f;
    std::uint64_t next_calls = 0, packets = 0;
    for (std::size_t i = 0; i < wire.size(); ++i) {
      if (use_feed) {
        f.feed(view(wire).subspan(i, 1));
      } else {
        f.prepare(1)[0] = wire[i];
        f.commit(1);
      }
      for (auto p = f.next(); p; p = f.next()) {
        ++packets;
        ++next_calls;
      }
      ++next_calls;
    }
    CHECK(packets == 2);
    const framer_stats& s = f.stats();
    CHECK(s.decode_calls == 2);                // decode runs once per packet
    CHECK(s.decoded_bytes == size);            // and sees each byte once
    CHECK(s.header_bytes <= 1 + 2 + 3 + 4 + 1 + 2);  // headers parsed as their bytes arrive
    CHECK(s.copied_bytes == (use_feed ? size : 0));
    CHECK(s.moved_bytes <= 2 * size);          // geometric growth: each byte moved ~once
    const std::uint64_t work = s.header_bytes + s.decoded_bytes + s.copied_bytes + s.moved_bytes;
    CHECK(work <= 5 * size);  // a rescan per byte would be ~5.5e11
    CHECK(next_calls == size + 2);
  }
}

TEST_CASE("framer: a 64 KiB PUBLISH in 4 KiB reads is received in place, not moved per read") {
  // Small packets first, so the big one starts at an arbitrary point of the buffer.
  std::vector<char> wire;
  for (std::uint16_t id = 1; id <= 100; ++id) {
    REQUIRE(encode_to(puback{.packet_id = id}, std::back_inserter(wire)).ec == errc::success);
  }
  const std::string payload(65'536, 'p');
  const publish big{.qos = qos_level::at_least_once, .topic = "vehicles/1234/position",
                    .packet_id = 7, .payload = payload};
  REQUIRE(encode_to(big, std::back_inserter(wire)).ec == errc::success);
  constexpr std::size_t chunk = 4096;
  framer f;
  std::size_t packets = 0;
  for (std::size_t at = 0; at < wire.size(); at += chunk) {
    f.feed(view(wire).subspan(at, std::min(chunk, wire.size() - at)));
    for (auto p = f.next(); p; p = f.next()) ++packets;
  }
  CHECK(packets == 101);
  CHECK(f.idle());
  // Room for the whole packet is made when its header arrives, while at most one read of it
  // is buffered: the bytes moved stay under two reads, not a multiple of the packet.
  CHECK(f.stats().moved_bytes < 2 * chunk);
  CHECK(f.capacity() <= f.max_packet_size() + chunk);
}

TEST_CASE("framer: a stream of large packets in reads is compacted at most every other one") {
  // 64 KiB PUBLISHes with a few small packets between them, in 4 KiB reads that end anywhere:
  // a buffer of just one packet plus a read would move the start of every large packet to the
  // front. The buffer grows to twice that instead, so the moves happen at most every other one.
  const std::string payload(65'536, 'p');
  const publish big{.qos = qos_level::at_least_once, .topic = "vehicles/1234/position",
                    .packet_id = 7, .payload = payload};
  std::vector<char> wire;
  constexpr int rounds = 40;
  for (int i = 0; i < rounds; ++i) {
    REQUIRE(encode_to(big, std::back_inserter(wire)).ec == errc::success);
    for (std::uint16_t id = 1; id <= 30; ++id) {
      REQUIRE(encode_to(puback{.packet_id = id}, std::back_inserter(wire)).ec == errc::success);
    }
  }
  constexpr std::size_t chunk = 4096;
  framer f;
  std::size_t packets = 0;
  for (std::size_t at = 0; at < wire.size(); at += chunk) {
    const std::size_t len = std::min(chunk, wire.size() - at);
    const std::span<char> room = f.prepare(len);
    REQUIRE(room.size() == len);
    std::copy_n(wire.data() + at, len, room.data());
    f.commit(len);
    for (auto p = f.next(); p; p = f.next()) ++packets;
  }
  CHECK(packets == rounds * 31);
  CHECK(f.idle());
  const std::size_t big_size = *encoded_size(big);
  CHECK(f.capacity() <= 2 * (big_size + chunk));
  CHECK(f.stats().moved_bytes <= (rounds / 2 + 1) * chunk);
}

TEST_CASE("framer: reads that end at packet boundaries always land at the front of the buffer") {
  // Once every buffered packet is taken, the next bytes go to the front: nothing to compact.
  std::vector<char> wire;
  for (std::uint16_t id = 1; id <= 5'000; ++id) {
    const publish p{.qos = qos_level::at_least_once, .topic = "a/b", .packet_id = id,
                    .payload = "0123456789"};
    REQUIRE(encode_to(p, std::back_inserter(wire)).ec == errc::success);
  }
  const std::size_t read = 10 * (wire.size() / 5'000);  // ten whole packets
  framer f;
  const char* front = f.prepare(read).data();
  std::size_t packets = 0;
  std::size_t at_front = 0;
  for (std::size_t at = 0; at < wire.size(); at += read) {
    const std::span<char> room = f.prepare(read);
    at_front += room.data() == front;
    std::copy_n(wire.data() + at, read, room.data());
    f.commit(read);
    for (auto p = f.next(); p; p = f.next()) ++packets;
  }
  CHECK(packets == 5'000);
  CHECK(at_front == 500);
  CHECK(f.stats().moved_bytes == 0);
  CHECK(f.stats().decode_calls == 5'000);
  CHECK(f.capacity() == 2 * read);
}

TEST_CASE("framer: memory stays within one maximum packet plus one read chunk") {
  stream_builder b(77, protocol_version::v3_1_1);
  const std::vector<char> stream = b.stream(300);
  const auto ref = decode_loop(view(stream), protocol_version::v3_1_1);
  std::size_t largest = 0;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < ref.packets.size(); ++i) {
    const std::size_t end = i + 1 < ref.starts.size() ? ref.starts[i + 1] : stream.size();
    largest = std::max(largest, end - pos);
    pos = end;
  }
  framer_options o;
  o.max_packet_size = largest;
  framer f(protocol_version::v3_1_1, o);
  rng r(5);
  constexpr std::size_t chunk = 512;
  pos = 0;
  std::size_t count = 0;
  while (pos < stream.size()) {
    const std::size_t n = std::min<std::size_t>(1 + r(chunk), stream.size() - pos);
    pos += f.feed(view(stream).subspan(pos, n));
    CHECK(f.capacity() <= largest + chunk);
    for (auto p = f.next(); p; p = f.next()) ++count;
  }
  CHECK(count == ref.packets.size());
  CHECK(f.idle());
}

namespace {
// Everything a framer reports for a stream handed over in seeded random chunks, as text: each
// packet re-encoded with its stream offset, each error with its offsets, then the end state.
// After each drain: nothing (`keep`), release_buffer() as a server does before it waits for a
// socket to be readable, or `rebuild`: an idle framer is replaced by a new one resumed from
// its position() (made with the other protocol version, so that the version is seen to be
// carried over), as a session drops its framer while idle.
enum class between_reads { keep, release_buffer, rebuild };

void rebuild_if_idle(framer& f) {
  const std::optional<framer_position> at = f.position();
  if (!at) {
    CHECK_FALSE(f.idle());
    return;
  }
  CHECK(f.idle());
  CHECK(at->offset == f.stream_offset());
  CHECK(at->offset == f.received());
  const auto other =
      at->version == protocol_version::v3_1 ? protocol_version::v3_1_1 : protocol_version::v3_1;
  framer fresh(other, f.settings());
  fresh.resume(*at);
  CHECK(fresh.position() == at);
  f = std::move(fresh);
}

template <class Framer>
std::string transcript(Framer& f, bytes_view stream, std::uint64_t seed, std::size_t max_chunk,
                       between_reads then) {
  const bool release = then == between_reads::release_buffer;
  rng r(seed);
  std::string out;
  std::size_t pos = 0;
  bool dead = false;
  while (pos < stream.size() && !dead) {
    const std::size_t want = std::min<std::size_t>(1 + r(max_chunk), stream.size() - pos);
    pos += f.feed(stream.subspan(pos, want));
    for (auto p = f.next();; p = f.next()) {
      if (p) {
        out += "packet@" + std::to_string(f.packet_offset()) + ":";
        if (encode_to(*p, std::back_inserter(out), f.version()).ec != errc::success) out += "?";
        out += "\n";
        continue;
      }
      if (p.code() == errc::incomplete) break;
      out += std::string(to_string(p.code())) + "@" + std::to_string(p.error().offset) + "/" +
             std::to_string(f.fault_offset()) + "\n";
      dead = f.failure().has_value();
      if (!dead) continue;  // a skipped oversized packet
      break;
    }
    if constexpr (std::is_same_v<Framer, framer>) {  // the growable framer, as a session's
      if (then == between_reads::rebuild) rebuild_if_idle(f);
    }
    if (release) {
      const std::size_t had = f.capacity();
      const std::size_t freed = f.release_buffer();
      if (f.buffered() == 0) {
        CHECK(freed == had);
        CHECK(f.capacity() == 0);
      } else {
        CHECK(freed == 0);
        CHECK(f.capacity() == had);
      }
    }
  }
  const error end = f.end_of_stream();
  out += "end:" + std::string(to_string(end.code)) + "@" + std::to_string(end.offset) +
         " offset=" + std::to_string(f.stream_offset()) + " idle=" + std::to_string(f.idle());
  return out;
}
}  // namespace

namespace {
// A seeded stream of 60 packets, corrupted one time in three, and framer options to go with it
// (skip_oversized at random): the input of the framer-against-framer comparisons below.
struct random_case {
  std::vector<char> stream;
  bool corrupt = false;
  framer_options options;
};
random_case make_random_case(std::uint64_t seed, protocol_version v) {
  stream_builder b(seed, v);
  random_case c;
  c.stream = b.stream(60);
  rng& r = b.random();
  c.corrupt = r.coin(3);
  if (c.corrupt) c.stream[r(c.stream.size())] ^= '\x10';
  c.options.max_packet_size = 60'000;
  c.options.skip_oversized = r.coin();
  return c;
}
}  // namespace

TEST_CASE("framer: static_framer and span_framer give the same results as framer") {
  constexpr std::size_t storage = 128 * 1024;  // any packet of these streams plus a chunk
  std::size_t dead = 0;
  for (const auto v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    for (std::uint64_t seed = 500; seed < 540; ++seed) {
      CAPTURE(seed);
      const auto [stream, corrupt, o] = make_random_case(seed, v);
      const std::uint64_t chunking = seed * 31;
      framer f(v, o);
      auto s = std::make_unique<static_framer<storage>>(v, o);
      std::vector<char> buffer(storage);
      span_framer sf(buffer, v, o);
      const std::string expected =
          transcript(f, view(stream), chunking, 1000, between_reads::keep);
      CHECK(transcript(*s, view(stream), chunking, 1000, between_reads::keep) == expected);
      CHECK(transcript(sf, view(stream), chunking, 1000, between_reads::keep) == expected);
      dead += expected.find("end:success") == std::string::npos;
      if (!corrupt) {
        // And on clean streams all three agree with the decode loop, through prepare/commit too.
        const auto ref = decode_loop(view(stream), v);
        rng r1(chunking), r2(chunking), r3(chunking);
        framer f2(v);
        static_framer<storage>& s2 = *s;
        s2 = static_framer<storage>(v);
        span_framer sf2(buffer, v);
        CHECK(drive(f2, view(stream), ref, r1, 1000) == "");
        CHECK(drive(s2, view(stream), ref, r2, 1000) == "");
        CHECK(drive(sf2, view(stream), ref, r3, 1000) == "");
      }
    }
  }
  CHECK(dead > 2);  // the comparison covered error endings too
}

TEST_CASE("framer: release_buffer between reads changes nothing but the memory held") {
  std::size_t released = 0;
  for (const auto v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    for (std::uint64_t seed = 700; seed < 730; ++seed) {
      CAPTURE(seed);
      const auto [stream, corrupt, o] = make_random_case(seed, v);
      framer plain(v, o);
      framer releasing(v, o);
      const std::string expected =
          transcript(plain, view(stream), seed * 7, 300, between_reads::keep);
      CHECK(transcript(releasing, view(stream), seed * 7, 300, between_reads::release_buffer) ==
            expected);
      released += releasing.capacity() == 0;
    }
  }
  CHECK(released > 10);  // most streams ended between packets, their buffer freed

  // Exactly: a packet split across reads keeps its bytes; once it is taken the buffer goes.
  framer f;
  const auto ack = "\x40\x02\x00\x07"sv;
  CHECK(f.feed(view(ack.substr(0, 3))) == 3);
  CHECK(f.next().code() == errc::incomplete);
  const std::size_t cap = f.capacity();
  CHECK(cap >= 3);
  CHECK(f.release_buffer() == 0);
  CHECK(f.capacity() == cap);
  CHECK(f.feed(view(ack.substr(3))) == 1);
  auto p = f.next();
  REQUIRE(p);
  CHECK(std::get<puback>(*p).packet_id == 7);
  CHECK(f.release_buffer() == cap);
  CHECK(f.capacity() == 0);
  CHECK(f.release_buffer() == 0);  // nothing left to free
  CHECK(f.feed(view(ack)) == 4);
  p = f.next();
  REQUIRE(p);
  CHECK(f.packet_offset() == 4);
  CHECK(f.stream_offset() == 8);
  // Fixed storage is never freed.
  static_framer<64> s;
  s.feed(view(ack));
  REQUIRE(s.next());
  CHECK(s.release_buffer() == 0);
  CHECK(s.capacity() == 64);
}

TEST_CASE("framer: a framer resumed from position() between reads goes on as the one it replaces") {
  std::size_t rebuilt_streams = 0;
  for (const auto v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    for (std::uint64_t seed = 900; seed < 930; ++seed) {
      CAPTURE(seed);
      const auto [stream, corrupt, o] = make_random_case(seed, v);
      framer kept(v, o);
      framer rebuilt(v, o);
      const std::string expected =
          transcript(kept, view(stream), seed * 5, 300, between_reads::keep);
      CHECK(transcript(rebuilt, view(stream), seed * 5, 300, between_reads::rebuild) == expected);
      rebuilt_streams += rebuilt.stats().decode_calls < kept.stats().decode_calls;
    }
  }
  CHECK(rebuilt_streams > 10);  // most streams had idle moments, their framer made anew

  // Exactly: a server's framer after CONNECT keeps its CONNECT order and version (3.1 allows a
  // PUBREL with DUP set, 3.1.1 does not), and its offsets.
  framer_options server{.require_connect_first = true};
  framer f(protocol_version::v3_1_1, server);
  const auto connect31 =
      "\x10\x10" "\x00\x06" "MQIsdp" "\x03" "\x02" "\x00\x3c" "\x00\x02" "c1"sv;
  f.feed(view(connect31));
  REQUIRE(f.next());
  CHECK(f.next().code() == errc::incomplete);
  const std::optional<framer_position> at = f.position();
  REQUIRE(at);
  CHECK(*at == framer_position{18, protocol_version::v3_1, true});
  framer g(protocol_version::v3_1_1, server);
  g.resume(*at);
  CHECK(g.stream_offset() == 18);
  CHECK(g.received() == 18);
  g.feed(view("\x6a\x02\x00\x05"sv));
  const auto rel = g.next();
  REQUIRE(rel);
  CHECK(std::get<pubrel>(*rel) == pubrel{5, true});
  CHECK(g.packet_offset() == 18);
  g.feed(view(connect31));  // a second CONNECT, at its stream offset
  CHECK(g.next().error() == error{errc::second_connect, 22});

  // Nothing to carry over while a packet is part-way in, or after a sticky error.
  framer h;
  h.feed(view("\x40\x02\x00"sv));
  CHECK_FALSE(h.position());
  h.feed(view("\x07" "\xf0\x00"sv));
  REQUIRE(h.next());
  CHECK_FALSE(h.next());
  CHECK_FALSE(h.position());
}

TEST_CASE("framer: a full static_framer takes part of a chunk and the rest after next()") {
  // Two 10-byte PUBLISHes fed as one 20-byte chunk to a 16-byte framer.
  const auto two = "\x30\x08\x00\x01" "t12345" "\x30\x08\x00\x01" "t54321"sv;
  static_framer<16> f;
  CHECK(f.max_packet_size() == 16);
  std::size_t used = f.feed(view(two));
  CHECK(used == 16);
  auto p = f.next();
  REQUIRE(p);
  CHECK(std::get<publish>(*p).payload == "12345");
  CHECK(f.next().code() == errc::incomplete);
  used += f.feed(view(two).subspan(used));
  CHECK(used == 20);
  p = f.next();
  REQUIRE(p);
  CHECK(std::get<publish>(*p).payload == "54321");
  CHECK(f.idle());
  // A packet bigger than the storage is packet_too_large, not a stall.
  static_framer<16> g;
  g.feed(view("\x30\x20"sv));
  CHECK(g.next().error() == error{errc::packet_too_large, 0});
}

TEST_CASE("framer: set_version switches the rules after CONNECT") {
  // A 3.1 CONNECT, then a 3.1 PUBREL retransmission (6A), which 3.1.1 forbids.
  const auto wire =
      "\x10\x10" "\x00\x06" "MQIsdp" "\x03" "\x02" "\x00\x3c" "\x00\x02" "c1"
      "\x6a\x02\x00\x05"sv;
  framer f;  // the server does not know the version before CONNECT
  f.feed(view(wire));
  const auto c = f.next();
  REQUIRE(c);
  CHECK(std::get<connect>(*c).protocol == protocol_version::v3_1);
  f.set_version(std::get<connect>(*c).protocol);
  const auto rel = f.next();
  REQUIRE(rel);
  CHECK(std::get<pubrel>(*rel) == pubrel{5, true});

  framer strict;  // without the switch, 3.1.1 rules refuse 6A
  strict.feed(view(wire));
  CHECK(strict.next());
  CHECK(strict.next().error() == error{errc::invalid_fixed_header_flags, 18});
}

TEST_CASE("framer: decode options reach the framer") {
  framer_options o;
  o.rules.reject_non_minimal_length = true;
  framer f(protocol_version::v3_1_1, o);
  f.feed(view("\xc0\x00" "\xc0\x80\x00"sv));
  CHECK(f.next());
  CHECK(f.next().error() == error{errc::non_minimal_remaining_length, 2});
  framer lenient;
  lenient.feed(view("\xc0\x80\x00"sv));
  CHECK(lenient.next());
}

namespace {
// Feeds a small stream one byte at a time in a constant expression; returns packets seen.
template <class Framer>
constexpr int constexpr_bytewise() {
  constexpr std::string_view wire =
      "\x10\x0e" "\x00\x04" "MQTT" "\x04" "\x02" "\x00\x3c" "\x00\x02" "c1"
      "\x32\x09" "\x00\x03" "a/b" "\x00\x0a" "hi"
      "\x82\x06" "\x00\x05" "\x00\x01" "#" "\x01"
      "\xc0\x00"sv;
  Framer f;
  int seen = 0;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    f.prepare(1)[0] = wire[i];
    f.commit(1);
    for (auto p = f.next(); p; p = f.next()) {
      ++seen;
      if (p->index() == 2 && std::get<publish>(*p).payload != "hi") return -1;
    }
  }
  return f.idle() ? seen : -2;
}
}  // namespace

static_assert(constexpr_bytewise<static_framer<32>>() == 4);
static_assert(constexpr_bytewise<framer>() == 4);

TEST_CASE("framer: the constexpr byte-by-byte run also passes at run time") {
  CHECK(constexpr_bytewise<static_framer<32>>() == 4);
  CHECK(constexpr_bytewise<framer>() == 4);
}
