// SPDX-License-Identifier: MIT
// bench/ops: runs one benchmark case N times with nothing else in the loop, for instruction
// counts (valgrind --tool=callgrind, perf stat -e instructions). Usage: ops <op> <case> <N>,
// e.g. `ops decode P1 1000000`; `ops --list` prints every case, `ops --info` the stream sizes.
#include "mix.hpp"

#if __has_include(<mqttwire/framer.hpp>)
#include <mqttwire/framer.hpp>
#define MQTTWIRE_BENCH_HAVE_FRAMER 1
#include "bare_framer.hpp"
#include "floor_framer.hpp"
#endif

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace {

using namespace mqttwire_bench;

// Output buffer big enough for P3 (65,536 + 31 bytes).
char out_buffer[70'000];

template <class P>
int run_encode(const P& packet, unsigned long n) {
  P p = packet;
  const std::span<char> out(out_buffer);
  // One checked call outside the loop: a failing case must not be timed as if it worked.
  if (!mqttwire::encode(p, out)) return 2;
  for (unsigned long i = 0; i < n; ++i) {
    escape(&p);  // the fields are reloaded every time: nothing is hoisted out of the loop
    const auto r = mqttwire::encode(p, out);
    escape(&r);
    escape(out_buffer);
  }
  return 0;
}

template <class P>
int run_decode(const P& packet, unsigned long n) {
  const std::vector<char> wire = wire_of(packet);
  const mqttwire::bytes_view in(wire);
  if (!mqttwire::decode(in)) return 2;
  for (unsigned long i = 0; i < n; ++i) {
    clobber();  // the input bytes count as changed: the decode is redone every time
    const auto r = mqttwire::decode(in);
    escape(&r);
  }
  return 0;
}

// decode_into a packet the caller owns: the generic fast entry point ({errc, size} back).
template <class P>
int run_decode_into(const P& packet, unsigned long n) {
  const std::vector<char> wire = wire_of(packet);
  const mqttwire::bytes_view in(wire);
  mqttwire::packet out;
  if (!mqttwire::decode_into(in, out)) return 2;
  for (unsigned long i = 0; i < n; ++i) {
    clobber();
    const auto r = mqttwire::decode_into(in, out);
    escape(&r);
    escape(&out);
  }
  return 0;
}

// decode_into the packet struct itself: the typed entry point, for a caller that knows the type.
template <class P>
int run_decode_typed(const P& packet, unsigned long n) {
  const std::vector<char> wire = wire_of(packet);
  const mqttwire::bytes_view in(wire);
  P out{};
  if (!mqttwire::decode_into(in, out)) return 2;
  for (unsigned long i = 0; i < n; ++i) {
    clobber();
    const auto r = mqttwire::decode_into(in, out);
    escape(&r);
    escape(&out);
  }
  return 0;
}

template <class P>
int run_memcpy(const P& packet, unsigned long n) {
  const std::vector<char> wire = wire_of(packet);
  const char* src = wire.data();
  const std::size_t size = wire.size();
  for (unsigned long i = 0; i < n; ++i) {
    escape(src);
    std::memcpy(out_buffer, src, size);
    escape(out_buffer);
  }
  return 0;
}

int run_encode_sg(const mqttwire::publish& packet, unsigned long n) {
  mqttwire::publish p = packet;
  char head[128];
  if (!mqttwire::encode_publish_head(p, head)) return 2;
  for (unsigned long i = 0; i < n; ++i) {
    escape(&p);
    const auto r = mqttwire::encode_publish_head(p, head);
    escape(&r);
    escape(head);
  }
  return 0;
}

// The harness alone (an empty loop with the same barriers), to show what every count includes.
int run_loop(unsigned long n) {
  for (unsigned long i = 0; i < n; ++i) clobber();
  return 0;
}

#ifdef MQTTWIRE_BENCH_HAVE_FRAMER
// The framer cases are kept out of main(), each in a function of its own as a read loop is: how
// g++ allocates registers in a loop inlined into main() depends on every other case there (the
// stream row moved by 20 instructions per packet when a case was added).
#define MQTTWIRE_BENCH_OWN_FUNCTION [[gnu::noinline]]

// One op = the whole 16 MiB mix stream, written into the framer 4 KiB at a time (prepare, copy,
// commit: the copy stands for recv) and every packet taken out with next(). `framer stream` runs
// it with mqttwire::framer; `bare-framer stream` with bare_framer (buffer and decode, no checks),
// so that bench/report can show what the framer's checks cost; `floor-framer stream` with
// floor_framer (told every size, nothing to read, move or check), the least any framer of this
// shape costs. `args` are the framer's constructor arguments.
template <class Framer, class... Args>
MQTTWIRE_BENCH_OWN_FUNCTION int run_stream(unsigned long n, Args&... args) {
  std::size_t packets = 0;
  const std::vector<char> stream = make_stream(packets);
  for (unsigned long i = 0; i < n; ++i) {
    Framer f(args...);
    std::size_t got = 0;
    for (std::size_t at = 0; at < stream.size(); at += stream_chunk) {
      const std::size_t len = std::min(stream_chunk, stream.size() - at);
      const std::span<char> room = f.prepare(len);
      if (room.size() < len) return 3;  // both framers always make room
      std::memcpy(room.data(), stream.data() + at, len);
      f.commit(len);
      for (;;) {
        auto r = f.next();
        if (!r) {
          if (r.code() != mqttwire::errc::incomplete) return 3;
          break;
        }
        escape(&r);
        ++got;
      }
    }
    if (got != packets) return 3;
  }
  return 0;
}

// floor_framer's plan (the stream's packet sizes and a buffer for all of it) is made once, before
// the passes, as set-up.
MQTTWIRE_BENCH_OWN_FUNCTION int run_floor_stream(unsigned long n) {
  std::size_t packets = 0;
  floor_plan plan = floor_plan::of(make_stream(packets));
  if (plan.sizes.size() != packets) return 3;
  return run_stream<floor_framer>(n, plan);
}

// Plain decode of the same stream held whole in memory: decode_into each packet in turn, into
// the result the framer would hand out. What `framer stream` costs beyond this is framing.
MQTTWIRE_BENCH_OWN_FUNCTION int run_decode_stream(unsigned long n) {
  std::size_t packets = 0;
  const std::vector<char> stream = make_stream(packets);
  for (unsigned long i = 0; i < n; ++i) {
    std::size_t got = 0;
    for (std::size_t at = 0; at < stream.size(); ++got) {
      mqttwire::result<mqttwire::packet> r(std::in_place, std::in_place_type<mqttwire::puback>,
                                           mqttwire::puback{static_cast<std::uint16_t>(at)});
      const mqttwire::decode_result d =
          mqttwire::decode_into(mqttwire::bytes_view(stream.data() + at, stream.size() - at), *r);
      if (!d) return 3;
      at += d.size;
      escape(&r);
    }
    if (got != packets) return 3;
  }
  return 0;
}

// The recv stand-in of `framer stream` alone (the same 4 KiB copies, no framer), so that
// bench/report can show the framer's own cost per packet.
MQTTWIRE_BENCH_OWN_FUNCTION int run_recv_stream(unsigned long n) {
  std::size_t packets = 0;
  const std::vector<char> stream = make_stream(packets);
  static char room[stream_chunk];
  for (unsigned long i = 0; i < n; ++i) {
    for (std::size_t at = 0; at < stream.size(); at += stream_chunk) {
      const std::size_t len = std::min(stream_chunk, stream.size() - at);
      std::memcpy(room, stream.data() + at, len);
      escape(room);
    }
  }
  return 0;
}

// One op = one P1 arriving in a read of its own (prepare, copy, commit), taken out with next(),
// and the next() that says incomplete: request/response traffic, where reads end where packets
// do. A reference for `framer stream`, whose reads mostly end inside a packet.
MQTTWIRE_BENCH_OWN_FUNCTION int run_framer_reads(unsigned long n) {
  const std::vector<char> wire = wire_of(p1());
  mqttwire::framer f;
  for (unsigned long i = 0; i < n; ++i) {
    escape(wire.data());
    const std::span<char> room = f.prepare(wire.size());
    if (room.size() < wire.size()) return 3;
    std::memcpy(room.data(), wire.data(), wire.size());
    f.commit(wire.size());
    auto r = f.next();
    if (!r) return 3;
    escape(&r);
    if (f.next().code() != mqttwire::errc::incomplete) return 3;
  }
  return 0;
}

// One op = one P2 fed one byte at a time with feed(), then taken out with next().
MQTTWIRE_BENCH_OWN_FUNCTION int run_framer_bytewise(unsigned long n) {
  const std::vector<char> wire = wire_of(p2());
  for (unsigned long i = 0; i < n; ++i) {
    mqttwire::framer f;
    for (std::size_t k = 0; k < wire.size(); ++k) {
      f.feed(mqttwire::bytes_view(wire.data() + k, 1));
      auto r = f.next();
      escape(&r);
      if (!r && r.code() != mqttwire::errc::incomplete) return 3;
      if (r && k + 1 != wire.size()) return 3;
    }
  }
  return 0;
}
#endif

void list() {
  for (const char* op : {"encode", "decode", "decode-into", "decode-typed", "memcpy"}) {
    for (const auto name : case_names) std::printf("%s %.*s\n", op, int(name.size()), name.data());
  }
  for (const char* name : {"P1", "P2", "P3"}) std::printf("encode-sg %s\n", name);
#ifdef MQTTWIRE_BENCH_HAVE_FRAMER
  std::printf("framer stream\nframer bytewise\nframer p1-reads\nrecv stream\n");
  std::printf("bare-framer stream\nfloor-framer stream\ndecode stream\n");
#endif
  std::printf("loop -\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--list") {
    list();
    return 0;
  }
  if (argc == 2 && std::string_view(argv[1]) == "--info") {
    // What bench/report needs to turn per-op counts into per-packet and per-byte ones.
    std::size_t packets = 0;
    const std::size_t bytes = make_stream(packets).size();
    std::printf("stream_bytes %zu\nstream_packets %zu\np2_bytes %zu\n", bytes, packets,
                wire_of(p2()).size());
    return 0;
  }
  if (argc != 4) {
    std::fprintf(stderr, "usage: ops <op> <case> <N>   (ops --list prints the cases)\n");
    return 1;
  }
  const std::string_view op = argv[1];
  const std::string_view name = argv[2];
  char* end = nullptr;
  const unsigned long n = std::strtoul(argv[3], &end, 10);
  if (end == argv[3] || *end != '\0') {
    std::fprintf(stderr, "ops: N must be a number\n");
    return 1;
  }
  int rc = -1;
  if (op == "encode") {
    with_case(name, [&](const auto& p) { rc = run_encode(p, n); });
#ifdef MQTTWIRE_BENCH_HAVE_FRAMER
  } else if (op == "decode" && name == "stream") {
    rc = run_decode_stream(n);
  } else if (op == "bare-framer" && name == "stream") {
    rc = run_stream<bare_framer>(n);
  } else if (op == "floor-framer" && name == "stream") {
    rc = run_floor_stream(n);
#endif
  } else if (op == "decode") {
    with_case(name, [&](const auto& p) { rc = run_decode(p, n); });
  } else if (op == "decode-into") {
    with_case(name, [&](const auto& p) { rc = run_decode_into(p, n); });
  } else if (op == "decode-typed") {
    with_case(name, [&](const auto& p) { rc = run_decode_typed(p, n); });
  } else if (op == "memcpy") {
    with_case(name, [&](const auto& p) { rc = run_memcpy(p, n); });
  } else if (op == "encode-sg") {
    if (name == "P1") rc = run_encode_sg(p1(), n);
    if (name == "P2") rc = run_encode_sg(p2(), n);
    if (name == "P3") rc = run_encode_sg(p3(), n);
  } else if (op == "loop") {
    rc = run_loop(n);
#ifdef MQTTWIRE_BENCH_HAVE_FRAMER
  } else if (op == "framer" && name == "stream") {
    rc = run_stream<mqttwire::framer>(n);
  } else if (op == "recv" && name == "stream") {
    rc = run_recv_stream(n);
  } else if (op == "framer" && name == "p1-reads") {
    rc = run_framer_reads(n);
  } else if (op == "framer" && name == "bytewise") {
    rc = run_framer_bytewise(n);
#endif
  }
  if (rc < 0) {
    std::fprintf(stderr, "ops: no case '%s %s' (ops --list prints the cases)\n", argv[1], argv[2]);
    return 1;
  }
  if (rc != 0) std::fprintf(stderr, "ops: case '%s %s' failed\n", argv[1], argv[2]);
  return rc;
}
