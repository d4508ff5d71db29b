// SPDX-License-Identifier: MIT
// Catch2 benchmarks of issue 6: encode/decode/memcpy of P1..P7, encode-sg P1..P3 and the framer,
// with the heap allocations of every encode and decode case counted and printed.
#if MQTTWIRE_BENCH_CATCH2_MAJOR >= 3
#include <catch2/benchmark/catch_benchmark.hpp>
#include <catch2/catch_test_macros.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include "alloc_counter.hpp"
#include "mix.hpp"

#if __has_include(<mqttwire/framer.hpp>)
#include <mqttwire/framer.hpp>
#define MQTTWIRE_BENCH_HAVE_FRAMER 1
#endif

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace mqttwire_bench;

constexpr int alloc_check_runs = 1'000;

// Runs op() alloc_check_runs times outside the timed loop, prints the allocations, checks none.
template <class Op>
void count_allocations(const std::string& name, Op&& op) {
  const std::size_t n = allocations_in([&] {
    for (int i = 0; i < alloc_check_runs; ++i) {
      auto r = op();
      escape(&r);
    }
  });
  std::printf("allocations: %-12s %zu in %d calls\n", name.c_str(), n, alloc_check_runs);
  std::fflush(stdout);
  CHECK(n == 0);
}

char out_buffer[70'000];

// "P1", "encode-sg P2": the prefix, then the number appended. Not `"P" + std::to_string(n)`: g++ 12
// at -O3 inlines that operator+ (const char*, string&&) into an insert at the front and reports a
// false -Wrestrict overlap for it (GCC bug 105329), which -Werror turns into a build failure.
std::string numbered(std::string_view prefix, std::size_t number) {
  std::string name(prefix);
  name += std::to_string(number);
  return name;
}

}  // namespace

TEST_CASE("allocations: every encode and decode case allocates nothing", "[bench]") {
  // The counter itself must see an allocation, or a zero below would prove nothing.
  REQUIRE(allocations_in([] {
            std::vector<int> v(16);
            escape(v.data());
          }) == 1);
  for_each_case([](std::string_view name, const auto& packet) {
    const std::string n(name);
    const std::vector<char> wire = wire_of(packet);
    const mqttwire::bytes_view in(wire);
    const std::span<char> out(out_buffer);
    count_allocations("encode " + n, [&] { return mqttwire::encode(packet, out); });
    count_allocations("decode " + n, [&] { return mqttwire::decode(in); });
  });
  const mqttwire::publish sg[] = {p1(), p2(), p3()};
  char head[128];
  for (std::size_t i = 0; i < 3; ++i) {
    count_allocations(numbered("encode-sg P", i + 1),
                      [&] { return mqttwire::encode_publish_head(sg[i], head); });
  }
}

TEST_CASE("codec: encode, decode and memcpy of P1..P7", "[bench]") {
  for_each_case([](std::string_view name, const auto& packet) {
    const std::string n(name);
    const std::vector<char> wire = wire_of(packet);
    const mqttwire::bytes_view in(wire);
    const std::span<char> out(out_buffer);
    REQUIRE(!wire.empty());
    // The cases must work before they are timed.
    const auto encoded = mqttwire::encode(packet, out);
    REQUIRE(encoded);
    REQUIRE(*encoded == wire.size());
    REQUIRE(std::equal(wire.begin(), wire.end(), out_buffer));
    const auto decoded = mqttwire::decode(in);
    REQUIRE(decoded);
    REQUIRE(decoded->size == wire.size());

    BENCHMARK("encode " + n) { return mqttwire::encode(packet, out); };
    BENCHMARK("decode " + n) { return mqttwire::decode(in); };
    BENCHMARK("memcpy " + n) {
      std::memcpy(out_buffer, wire.data(), wire.size());
      escape(out_buffer);
      return out_buffer[0];
    };
  });
}

TEST_CASE("codec: scatter/gather PUBLISH head without its payload", "[bench]") {
  const mqttwire::publish cases[] = {p1(), p2(), p3()};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string n = numbered("P", i + 1);
    const mqttwire::publish& p = cases[i];
    char head[128];
    const auto r = mqttwire::encode_publish_head(p, head);
    REQUIRE(r);
    REQUIRE(r->packet_size == mqttwire::encoded_size(p));
    REQUIRE(r->packet_size - r->head_size == p.payload.size());
    BENCHMARK("encode-sg " + n) { return mqttwire::encode_publish_head(p, head); };
  }
}

#ifdef MQTTWIRE_BENCH_HAVE_FRAMER
TEST_CASE("framer: 16 MiB stream in 4 KiB chunks, and one P2 byte by byte", "[bench]") {
  std::size_t packets = 0;
  const std::vector<char> stream = make_stream(packets);
  std::printf("framer stream: %zu bytes, %zu packets\n", stream.size(), packets);

  const auto run_stream = [&] {
    mqttwire::framer f;
    std::size_t got = 0;
    for (std::size_t at = 0; at < stream.size(); at += stream_chunk) {
      const std::size_t len = std::min(stream_chunk, stream.size() - at);
      const std::span<char> room = f.prepare(len);
      if (room.size() < len) return std::size_t{0};  // the growable framer always makes room
      std::memcpy(room.data(), stream.data() + at, len);
      f.commit(len);
      for (auto r = f.next(); r; r = f.next()) {
        escape(&r);
        ++got;
      }
    }
    return got;
  };
  REQUIRE(run_stream() == packets);
  BENCHMARK("framer stream") { return run_stream(); };

  const std::vector<char> wire = wire_of(p2());
  const auto run_bytewise = [&] {
    mqttwire::framer f;
    std::size_t got = 0;
    for (const char& c : wire) {
      f.feed(mqttwire::bytes_view(&c, 1));
      auto r = f.next();
      escape(&r);
      if (r) ++got;
    }
    return got;
  };
  REQUIRE(run_bytewise() == 1);
  BENCHMARK("framer bytewise") { return run_bytewise(); };
}
#endif
