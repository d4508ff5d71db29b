// SPDX-License-Identifier: MIT
// Counts heap allocations of owned<P> and owned_packet: exactly one per copy_of, from_wire and
// copy, none per move, none on a refusal, for every vector that decodes.
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>
#include <variant>

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
namespace {

// Stores each kept object's byte pointer where the optimiser must assume it is read, so that no
// allocation measured below can be elided as unused (clang at -O2 removes unobserved new/delete
// pairs).
const char* volatile sink = nullptr;
void observe(bytes_view wire) { sink = wire.data(); }

// Allocations made by `f()`; `f` keeps what it builds alive until it returns.
template <class F>
long allocations_in(F&& f) {
  const long before = allocations.load();
  std::forward<F>(f)();
  return allocations.load() - before;
}

// For one object kind over every row: how many calls of each kind allocated exactly as expected
// (one block, or none), out of `calls` (`copies` for copy_of, `refusals` for refused copy_of).
struct counts {
  std::size_t copy_of = 0, from_wire = 0, copy = 0, copy_assign = 0, move = 0, move_assign = 0;
  std::size_t refused = 0;
  std::size_t calls = 0, copies = 0, refusals = 0;
};

template <class Owned, class View>
void count_one(const vector_row& row, protocol_version v, const View& view, counts& c) {
  const bytes_view in(row.wire);
  ++c.calls;
  c.from_wire += allocations_in([&] {
    const auto o = Owned::from_wire(in, v, row.opts);
    observe(o->wire());
  }) == 1;
  const bool valid = validate(view, v, row.opts) == errc::success;
  if (valid) {
    ++c.copies;
    c.copy_of += allocations_in([&] {
      const auto o = Owned::copy_of(view, v, row.opts);
      observe(o->wire());
    }) == 1;
  } else {
    ++c.refusals;
    c.refused += allocations_in([&] {
      const auto o = Owned::copy_of(view, v, row.opts);
      static_cast<void>(o);
    }) == 0;
  }
  auto kept = Owned::from_wire(in, v, row.opts);
  REQUIRE(kept);
  Owned& original = *kept;
  c.copy += allocations_in([&] {
    const Owned copy(original);
    observe(copy.wire());
  }) == 1;
  Owned target = original;
  c.copy_assign += allocations_in([&] {
    target = original;
    observe(target.wire());
  }) == 1;
  c.move += allocations_in([&] {
    Owned moved(std::move(original));
    observe(moved.wire());
    Owned back(std::move(moved));
    original = std::move(back);  // also a move assignment
    observe(original.wire());
  }) == 0;
  Owned other;
  c.move_assign += allocations_in([&] {
    other = std::move(target);
    observe(other.wire());
    target = std::move(other);
  }) == 0;
  CHECK(original == view);
  CHECK(target == view);
  CHECK(std::string_view(original.wire().data(), original.size()) == row.wire);
}

}  // namespace

TEST_CASE("owned alloc: the counter sees an allocation that is kept and read") {
  const long before = allocations.load();
  int* p = new int(7);
  const long after = allocations.load();
  sink = reinterpret_cast<const char*>(p);
  CHECK(*p == 7);
  delete p;
  CHECK(after == before + 1);
}

TEST_CASE("owned alloc: one allocation per copy_of, from_wire and copy; none per move") {
  counts typed, any;
  for (const vector_row& row : vectors) {
    for (const protocol_version v : {v311, v31}) {
      if (!applies(row.versions, v)) continue;
      const auto d = decode(bytes_view(row.wire), v, row.opts);
      if (!d) continue;
      INFO(row_title(row, v));
      std::visit(
          [&](const auto& p) {
            count_one<owned<std::remove_cvref_t<decltype(p)>>>(row, v, p, typed);
          },
          d->pkt);
      count_one<owned_packet>(row, v, d->pkt, any);
    }
  }
  for (const counts* c : {&typed, &any}) {
    CHECK(c->calls > 100);
    CHECK(c->copies > 90);
    CHECK(c->refusals >= 5);
    CHECK(c->copies + c->refusals == c->calls);
    CHECK(c->from_wire == c->calls);
    CHECK(c->copy_of == c->copies);
    CHECK(c->copy == c->calls);
    CHECK(c->copy_assign == c->calls);
    CHECK(c->move == c->calls);
    CHECK(c->move_assign == c->calls);
    CHECK(c->refused == c->refusals);
  }
}

TEST_CASE("owned alloc: each call on its own, and the refusals, the typed form and patches") {
  const publish p{.qos = q1, .topic = "a/b", .packet_id = 7, .payload = "payload"};
  const auto wire = "\x32\x0e" "\x00\x03" "a/b" "\x00\x07" "payload"sv;
  std::array<char, 32> longer{};
  std::copy(wire.begin(), wire.end(), longer.begin());
  const bytes_view with_extra(longer.data(), wire.size() + 1);

  CHECK(allocations_in([&] { observe(owned<publish>::copy_of(p)->wire()); }) == 1);
  CHECK(allocations_in([&] { observe(owned<publish>::from_wire(bytes_view(wire))->wire()); }) == 1);
  CHECK(allocations_in([&] { observe(owned_packet::copy_of(p)->wire()); }) == 1);
  CHECK(allocations_in([&] { observe(owned_packet::from_wire(bytes_view(wire))->wire()); }) == 1);

  // Refusals allocate nothing: validate fails first; from_wire checks before it copies.
  bool all_refused = true;
  const long refused = allocations_in([&] {
    all_refused = !owned<publish>::copy_of(publish{.topic = "a/+"}) &&
                  !owned<puback>::from_wire(bytes_view(wire)) &&
                  !owned<publish>::from_wire(with_extra) && !owned_packet::from_wire(with_extra) &&
                  !owned<publish>::from_wire(bytes_view(wire.substr(0, 5))) &&
                  !owned_packet::copy_of(pubrel{.packet_id = 1, .dup = true});
  });
  CHECK(all_refused);
  CHECK(refused == 0);

  // The typed form: a copy allocates once; taking it, and widening back, allocate nothing.
  auto any = owned_packet::from_wire(bytes_view(wire));
  REQUIRE(any);
  CHECK(allocations_in([&] { observe(any->as<publish>()->wire()); }) == 1);
  bool wrong_type_refused = false;
  CHECK(allocations_in([&] { wrong_type_refused = !any->as<pubrel>(); }) == 0);
  CHECK(wrong_type_refused);
  owned<publish> typed;
  CHECK(allocations_in([&] {
          auto taken = std::move(*any).as<publish>();
          typed = std::move(*taken);
          observe(typed.wire());
        }) == 0);
  CHECK(any->empty());
  owned_packet back;
  CHECK(allocations_in([&] {
          back = std::move(typed);  // owned<publish>&& -> owned_packet, then a move assignment
          observe(back.wire());
        }) == 0);
  CHECK(typed.empty());
  CHECK(back == p);

  // Patches are in place.
  auto kept = owned<publish>::copy_of(p);
  REQUIRE(kept);
  CHECK(allocations_in([&] {
          static_cast<void>(kept->set_dup(true));
          static_cast<void>(kept->set_retain(true));
          static_cast<void>(kept->set_packet_id(9));
          static_cast<void>(back.set_dup(true));
          observe(kept->wire());
        }) == 0);
  CHECK(std::string_view(kept->wire().data(), kept->size()) ==
        "\x3b\x0e" "\x00\x03" "a/b" "\x00\x09" "payload"sv);
}

}  // namespace mqttwire_test
