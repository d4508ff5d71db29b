// SPDX-License-Identifier: MIT
// Counts heap allocations in every decode, encode and encode_to of the vector table, and in a
// subscription lookup: zero.
#include "test_subscription_support.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

namespace {
std::atomic<long> allocations{0};

void* counted_alloc(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* counted_alloc(std::size_t n, std::align_val_t al) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  const auto a = static_cast<std::size_t>(al);
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
}  // namespace

// Every replaceable form, so that no allocation goes around the counter.
void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try { return counted_alloc(n); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try { return counted_alloc(n); } catch (...) { return nullptr; }
}
void* operator new(std::size_t n, std::align_val_t al) { return counted_alloc(n, al); }
void* operator new[](std::size_t n, std::align_val_t al) { return counted_alloc(n, al); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace mqttwire_test {

TEST_CASE("alloc: the counter sees allocations (so a zero below means something)") {
  const long before = allocations.load();
  // A call of ::operator new itself, not a new-expression: [expr.new] lets a compiler omit the
  // allocation of a new-expression (clang -O2 removes a new/delete pair), never a function call.
  // The volatile pointer keeps the result in use as well.
  void* volatile p = ::operator new(sizeof(int));
  CHECK(allocations.load() == before + 1);
  ::operator delete(p);
}

TEST_CASE("alloc: decode, encode and encode_to of every vector allocate nothing") {
  std::size_t decodes = 0, encodes = 0;
  long during = 0;
  for (const vector_row& row : vectors) {
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      // The input lives in a fixed array, the outputs too: nothing here needs the heap.
      std::array<char, 512> input{};
      REQUIRE(row.wire.size() <= input.size());
      std::copy(row.wire.begin(), row.wire.end(), input.begin());
      const bytes_view in(input.data(), row.wire.size());
      std::array<char, 512> out{};
      std::array<char, 512> out_to{};

      const long before = allocations.load();
      const auto header = peek_header(in, v, row.opts);
      const auto got = decode(in, v, row.opts);
      ++decodes;
      bool encoded = false;
      std::size_t written = 0;
      char* end_to = nullptr;
      if (got) {
        const packet& p = got->pkt;
        const auto size = encoded_size(p, v, row.opts);
        if (size && *size <= out.size()) {
          const auto w = encode(p, std::span<char>(out), v, row.opts);
          const auto t = encode_to(p, out_to.data(), v, row.opts);
          written = w ? *w : 0;
          end_to = t.out;
          encoded = true;
          ++encodes;
        }
        // The expected packet (spans over caller arrays) encodes without the heap as well.
        const packet& want = std::get<0>(row.expected);
        if (validate(want, v, row.opts) == errc::success) {
          static_cast<void>(encode(want, std::span<char>(out), v, row.opts));
          static_cast<void>(encode_to(want, out_to.data(), v, row.opts));
        }
      }
      during += allocations.load() - before;

      INFO(row.name);
      static_cast<void>(header);
      if (encoded) {
        CHECK(written > 0);
        CHECK(end_to == out_to.data() + written);
      }
    }
  }
  CHECK(decodes > 200);
  CHECK(encodes > 60);
  CHECK(during == 0);
}

TEST_CASE("alloc: encode_publish_head and the error paths allocate nothing") {
  std::array<char, 64> out{};
  const publish p{.qos = q1, .topic = "a/b", .packet_id = 7, .payload = "payload"};
  const publish bad{.qos = q0, .topic = "a/+", .payload = "x"};
  const long before = allocations.load();
  const auto head = encode_publish_head(p, std::span<char>(out));
  const auto refused = encode(bad, std::span<char>(out));
  const auto too_small = encode(p, std::span<char>(out).first(3));
  const auto code = to_string(refused.code());
  const auto rule = rule_of(refused.code());
  const long after = allocations.load();
  CHECK(after == before);
  REQUIRE(head);
  CHECK(head->head_size == 9);
  CHECK(head->packet_size == 16);
  CHECK(refused.error() == error{errc::wildcard_in_topic_name, 0});
  CHECK(too_small.error() == error{errc::buffer_too_small, 0});
  CHECK(code == "wildcard_in_topic_name");
  CHECK(rule == "[MQTT-3.3.2-2] [MQTT-4.7.1-1]");
}

TEST_CASE("alloc: a subscription lookup allocates nothing for ordinary topics") {
  subscription_index<> subs;  // building it allocates, of course
  REQUIRE(subs.add("sport/tennis/+", 1, q1));
  REQUIRE(subs.add("sport/#", 1, q2));
  REQUIRE(subs.add("sport/tennis/player1", 2, q0));
  REQUIRE(subs.add("#", 3, q0));
  REQUIRE(subs.add("+/+/+", 4, q1));
  for (std::uint64_t i = 0; i < 1000; ++i) {
    REQUIRE(subs.add("devices/" + std::to_string(i) + "/temperature", 1000 + i, q1));
  }
  struct tally {
    std::size_t calls = 0;
    unsigned qos_sum = 0;
  };
  std::array<tally, 3> pairs{}, subscribers{};
  constexpr std::string_view topics[] = {"sport/tennis/player1", "devices/42/temperature",
                                         "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p"};
  const long before = allocations.load();
  for (std::size_t i = 0; i < std::size(topics); ++i) {
    subs.match(topics[i], [&](std::uint64_t, std::string_view, qos_level q) {
      ++pairs[i].calls;
      pairs[i].qos_sum += static_cast<unsigned>(q);
    });
    subs.match_subscribers(topics[i], [&](std::uint64_t, qos_level q) {
      ++subscribers[i].calls;
      subscribers[i].qos_sum += static_cast<unsigned>(q);
    });
  }
  const long during = allocations.load() - before;
  CHECK(during == 0);
  // sport/tennis/player1: client 1 twice (QoS 1 and 2), 2 (QoS 0), 3 (QoS 0), 4 (QoS 1).
  CHECK(pairs[0].calls == 5);
  CHECK(pairs[0].qos_sum == 4);
  CHECK(subscribers[0].calls == 4);
  CHECK(subscribers[0].qos_sum == 3);
  // devices/42/temperature: client 1042 (QoS 1), 3 (QoS 0), 4 (QoS 1).
  CHECK(pairs[1].calls == 3);
  CHECK(subscribers[1].calls == 3);
  CHECK(subscribers[1].qos_sum == 2);
  // 16 levels: "#" only.
  CHECK(pairs[2].calls == 1);
  CHECK(subscribers[2].calls == 1);

  // Past the inline work lists (a topic of 40 levels with 41 matching filters) the lookup does
  // allocate, and still reports each subscriber once.
  const std::string deep_topic = subscription_test::wide_topic(40);
  for (int i = 0; i <= 40; ++i) REQUIRE(subs.add(subscription_test::wide_filter(i, 40), 7, q0));
  std::size_t deep_calls = 0;
  const long deep_before = allocations.load();
  subs.match_subscribers(deep_topic, [&](std::uint64_t, qos_level) { ++deep_calls; });
  CHECK(allocations.load() > deep_before);
  CHECK(deep_calls == 2);  // client 7, and client 3 through "#"
}

}  // namespace mqttwire_test
