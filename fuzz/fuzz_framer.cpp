// SPDX-License-Identifier: MIT
// Fuzz target: the incremental framer against a plain decode loop over the whole input.
//
// Input: [config] stream [chunk bytes...] [n], where n = the last byte % 32 is how many chunk
// bytes precede it (taken from the end, so the stream stays raw wire bytes for the dictionary and
// the seeds). config: bit 0 = MQTT 3.1, bits 1-6 = the six options (bit 6 shared with the next
// switch), bit 6 = a small max_packet_size (16 bytes), bit 7 = skip_oversized. Each chunk byte gives a chunk size
// (bits 0-6; an empty chunk is followed by a one-byte one) and the API (bit 7: prepare/commit, else feed); they are used in a cycle.
// Oracle: the framer yields exactly what the reference loop below yields from the whole input,
// in order: the same packets, the same reports of skipped oversized packets, and the same first
// sticky error with the same stream offset and fault offset; at the end, idle()/end_of_stream()
// and stream_offset() agree with where the reference stopped. Bits 5-6 of the last byte pick
// `framer`, `static_framer<200>` or a 64-byte `span_framer`; fixed buffers may take part of a
// chunk (the rest is offered again after draining) and cap the packet size at their capacity.
// Bit 7 of the last byte turns on require_connect_first (a server's stream).
#include "fuzz_common.hpp"

#include <mqttwire/decode.hpp>
#include <mqttwire/framer.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <string_view>
#include <vector>

namespace {

using namespace mqttwire;

struct event {
  std::optional<packet> pkt;  // a packet, or else an error
  error err{};                // code and stream offset of the packet's first byte
  std::uint64_t fault = 0;    // stream offset of the faulty byte (sticky errors)
};

struct reference {
  std::vector<event> events;
  bool sticky = false;          // ended with a sticky error
  std::uint64_t stopped = 0;    // where the last packet (or skipped packet) starts, if partial
  bool partial = false;         // the input ends inside a packet
  bool skipping = false;        // ... inside an oversized packet being skipped
};

// What a reader that holds the whole input and calls decode() in a loop sees, with the framer's
// size limit applied as soon as a fixed header is readable.
reference decode_loop(std::string_view s, protocol_version v, const framer_options& fo) {
  reference ref;
  std::size_t pos = 0;
  bool connected = false;  // a CONNECT was decoded (require_connect_first)
  while (pos < s.size()) {
    const bytes_view rest(s.data() + pos, s.size() - pos);
    if (fo.require_connect_first) {
      // [MQTT-3.1.0-1] and [MQTT-3.1.0-2], from the first byte alone.
      const bool is_connect = (static_cast<std::uint8_t>(rest[0]) >> 4) == 1;
      if (connected == is_connect) {
        const errc e = connected ? errc::second_connect : errc::first_packet_not_connect;
        ref.events.push_back({std::nullopt, {e, pos}, pos});
        ref.sticky = true;
        return ref;
      }
    }
    const auto h = peek_header(rest, v, fo.rules);
    if (!h) {
      if (h.code() == errc::incomplete) break;
      ref.events.push_back({std::nullopt, {h.code(), pos}, pos + h.error().offset});
      ref.sticky = true;
      return ref;
    }
    if (h->size() > fo.max_packet_size) {
      if (!fo.skip_oversized) {
        ref.events.push_back({std::nullopt, {errc::packet_too_large, pos}, pos + 1});
        ref.sticky = true;
        return ref;
      }
      ref.events.push_back({std::nullopt, {errc::packet_too_large, pos}, 0});
      if (h->size() > rest.size()) {
        ref.partial = ref.skipping = true;
        ref.stopped = pos;
        return ref;
      }
      pos += h->size();
      continue;
    }
    const auto d = decode(rest, v, fo.rules);
    if (!d) {
      if (d.code() == errc::incomplete) break;
      ref.events.push_back({std::nullopt, {d.code(), pos}, pos + d.error().offset});
      ref.sticky = true;
      return ref;
    }
    ref.events.push_back({d->pkt, {}, 0});
    pos += d->size;
    if (fo.require_connect_first && std::holds_alternative<connect>(d->pkt)) {
      connected = true;
      v = std::get<connect>(d->pkt).protocol;  // the server speaks the client's version from now
    }
  }
  ref.partial = pos < s.size();
  ref.stopped = pos;
  return ref;
}

// Runs one framer over the stream and compares everything it yields with `ref`.
template <class Framer>
void check(Framer& f, const reference& ref, std::string_view stream, std::string_view chunks,
           const framer_options& fo, std::string_view whole) {
  constexpr bool growable = std::is_same_v<Framer, framer>;
  std::size_t seen = 0;  // events of the reference matched so far
  bool dead = false;     // the framer reported its sticky error
  std::size_t pos = 0;
  std::size_t turn = 0;

  // Takes everything next() has now; each result is compared at once, because a packet's views
  // live only until the framer is handed more bytes.
  const auto drain = [&] {
    for (;;) {
      const result<packet> r = f.next();
      if (r.code() == errc::incomplete) {
        fuzz::expect(!dead, "a sticky error turned into incomplete", whole);
        return;
      }
      if (dead) {
        fuzz::expect(r.error() == ref.events.back().err, "the sticky error changed", whole);
        return;
      }
      fuzz::expect(seen < ref.events.size(), "the framer yields more than the decode loop", whole);
      const event& want = ref.events[seen++];
      if (r) {
        fuzz::expect(want.pkt && *r == *want.pkt, "the framer yields another packet", whole);
        continue;
      }
      fuzz::expect(!want.pkt && r.error() == want.err,
                   "the framer reports another error or offset than the decode loop", whole);
      const bool report = r.code() == errc::packet_too_large && fo.skip_oversized;
      if (!report) {
        fuzz::expect(f.fault_offset() == want.fault, "the framer's fault offset differs", whole);
        dead = true;
        return;
      }
    }
  };

  // Hands over the next n bytes (n may be 0). A fixed-storage framer may take fewer; the rest is
  // offered again after draining, which must always make room.
  const auto give = [&](std::size_t n, bool use_prepare) {
    int stalls = 0;
    do {
      std::size_t took = 0;
      if (use_prepare) {
        const std::span<char> space = f.prepare(n);
        fuzz::expect(space.size() <= n, "prepare gave more than asked", whole);
        took = space.size();
        std::copy_n(stream.data() + pos, took, space.data());
        f.commit(took);
      } else {
        took = f.feed(bytes_view(stream.data() + pos, n));
        fuzz::expect(took <= n, "feed took more than offered", whole);
      }
      if (growable) fuzz::expect(took == n, "the growable framer did not take it all", whole);
      pos += took;
      n -= took;
      drain();
      if (took == 0 && n > 0) fuzz::expect(++stalls < 3, "the framer stalls after draining", whole);
    } while (n > 0);
  };

  while (pos < stream.size()) {
    const auto c = chunks.empty() ? std::uint8_t{0x7F}
                                  : static_cast<std::uint8_t>(chunks[turn % chunks.size()]);
    ++turn;
    const std::size_t asked = std::min<std::size_t>(c & 0x7Fu, stream.size() - pos);
    give(asked, (c & 0x80u) != 0);
    // An empty chunk is legal; follow it with one byte so that the loop always progresses.
    if (asked == 0) give(1, (c & 0x80u) != 0);
  }
  drain();

  fuzz::expect(seen == ref.events.size(), "the framer yields fewer results than the decode loop",
               whole);
  fuzz::expect(dead == ref.sticky, "the framer's error state differs at the end", whole);
  const error end = f.end_of_stream();
  if (ref.sticky) {
    fuzz::expect(end == ref.events.back().err, "end_of_stream does not give the sticky error",
                 whole);
  } else if (ref.partial) {
    fuzz::expect(!f.idle() && end == error{errc::incomplete, ref.stopped},
                 "end_of_stream does not point at the left-over packet", whole);
    if (!ref.skipping) {
      fuzz::expect(f.stream_offset() == ref.stopped, "stream_offset is not the partial packet",
                   whole);
    }
  } else {
    fuzz::expect(f.idle() && end == error{} && f.stream_offset() == stream.size(),
                 "the framer is not idle after a whole stream", whole);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The library's own view of an unsigned-byte buffer, as a network reader would use it.
  const bytes_view raw = as_chars(std::span<const std::uint8_t>(data, size));
  const std::string_view whole(raw.data(), raw.size());
  if (size < 2) return 0;
  const std::uint8_t config = data[0];
  const std::uint8_t last = data[size - 1];
  const std::size_t n_chunks = std::min<std::size_t>(last % 32u, size - 2);
  const std::string_view chunks = whole.substr(size - 1 - n_chunks, n_chunks);
  const std::string_view stream = whole.substr(1, size - 2 - n_chunks);

  const protocol_version v = fuzz::version_from(config);
  framer_options fo;
  fo.rules = fuzz::options_from(static_cast<std::uint8_t>(config >> 1));
  if (config & 0x40u) fo.max_packet_size = 16;
  fo.skip_oversized = (config & 0x80u) != 0;
  fo.require_connect_first = (last & 0x80u) != 0;

  // Bits 5-7 of the last byte pick the framer: the growable one, or a fixed buffer, which also
  // caps the packet size at its capacity.
  switch ((last >> 5) & 0x03u) {
    case 1:
    case 2: {
      constexpr std::size_t n = 200;
      framer_options capped = fo;
      capped.max_packet_size = std::min(fo.max_packet_size, n);
      static_framer<n> f(v, fo);
      check(f, decode_loop(stream, v, capped), stream, chunks, fo, whole);
      break;
    }
    case 3: {
      // Exactly-sized heap buffer, so ASan sees a write past its end.
      std::vector<char> buffer(64);
      framer_options capped = fo;
      capped.max_packet_size = std::min(fo.max_packet_size, buffer.size());
      span_framer f(std::span<char>(buffer), v, fo);
      check(f, decode_loop(stream, v, capped), stream, chunks, fo, whole);
      break;
    }
    default: {
      framer f(v, fo);
      check(f, decode_loop(stream, v, fo), stream, chunks, fo, whole);
      break;
    }
  }
  return 0;
}
