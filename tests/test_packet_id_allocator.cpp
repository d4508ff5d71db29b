// SPDX-License-Identifier: MIT
// packet_id_allocator: non-zero ids, never one in use, wrap-around, exhaustion, release and reuse.
#include <doctest/doctest.h>
#include <mqttwire/packet_id_allocator.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <vector>

using mqttwire::packet_id_allocator;

namespace {
constexpr bool first_ids_rise_from_one() {
  packet_id_allocator ids;
  for (std::uint16_t want = 1; want <= 5; ++want) {
    if (ids.allocate() != want) return false;
  }
  return ids.in_flight() == 5 && ids.release(3) && !ids.in_use(3) && ids.allocate() == 6;
}
static_assert(first_ids_rise_from_one());
}  // namespace

TEST_CASE("packet ids: all 65,535 can be in flight, then allocate says none is free") {
  auto ids = std::make_unique<packet_id_allocator>();
  std::vector<bool> seen(65'536, false);
  for (std::size_t i = 0; i < 65'535; ++i) {
    const auto id = ids->allocate();
    REQUIRE(id.has_value());
    REQUIRE(*id != 0);
    REQUIRE_FALSE(seen[*id]);
    seen[*id] = true;
    REQUIRE(*id == i + 1);  // in order from 1
  }
  CHECK(ids->full());
  CHECK(ids->in_flight() == 65'535);
  CHECK(ids->allocate() == std::nullopt);
  CHECK(ids->allocate() == std::nullopt);
  CHECK_FALSE(ids->in_use(0));
  // Releasing one makes exactly that one available.
  CHECK(ids->release(40'000));
  CHECK_FALSE(ids->full());
  CHECK(ids->allocate() == std::optional<std::uint16_t>(40'000));
  CHECK(ids->allocate() == std::nullopt);
}

TEST_CASE("packet ids: release and reuse, never an id in use") {
  packet_id_allocator ids;
  CHECK(ids.allocate() == std::optional<std::uint16_t>(1));
  CHECK(ids.allocate() == std::optional<std::uint16_t>(2));
  CHECK(ids.release(1));
  CHECK_FALSE(ids.release(1));   // not in use any more
  CHECK_FALSE(ids.release(0));   // never valid
  CHECK_FALSE(ids.release(77));  // never handed out
  // A released id is not reused at once: the cursor moves on.
  CHECK(ids.allocate() == std::optional<std::uint16_t>(3));
  CHECK(ids.reserve(5));
  CHECK_FALSE(ids.reserve(5));
  CHECK_FALSE(ids.reserve(0));
  CHECK(ids.allocate() == std::optional<std::uint16_t>(4));
  CHECK(ids.allocate() == std::optional<std::uint16_t>(6));  // 5 is reserved
  CHECK(ids.in_flight() == 5);
  ids.clear();
  CHECK(ids.empty());
  CHECK(ids.allocate() == std::optional<std::uint16_t>(1));

  // Random flows: the allocator agrees with a set of ids in flight.
  packet_id_allocator r;
  std::set<std::uint16_t> flying;
  std::mt19937_64 g(42);
  for (int step = 0; step < 300'000; ++step) {
    // Mostly allocations while few are in flight, so the set fills up and the cursor wraps.
    const bool allocate = flying.size() < 1'000 ? g() % 4 != 0 : g() % 2 == 0;
    if (allocate || flying.empty()) {
      const auto id = r.allocate();
      REQUIRE(id.has_value());
      REQUIRE(*id != 0);
      REQUIRE(flying.insert(*id).second);  // never one in use
    } else {
      auto it = flying.begin();
      std::advance(it, static_cast<long>(g() % flying.size()));
      REQUIRE(r.release(*it));
      flying.erase(it);
    }
    REQUIRE(r.in_flight() == flying.size());
  }
}

TEST_CASE("packet ids: wrap around after 65,535 to the lowest free id") {
  auto ids = std::make_unique<packet_id_allocator>();
  // Keep 1, 2 and 65,534 in flight; cycle through everything else.
  for (std::uint32_t i = 1; i <= 65'535; ++i) {
    const auto id = ids->allocate();
    REQUIRE(id == std::optional<std::uint16_t>(static_cast<std::uint16_t>(i)));
    if (i != 1 && i != 2 && i != 65'534) REQUIRE(ids->release(*id));
  }
  CHECK(ids->in_flight() == 3);
  // The cursor is past 65,535: the next id wraps to 3 (0 is skipped; 1 and 2 are in use).
  CHECK(ids->allocate() == std::optional<std::uint16_t>(3));
  CHECK(ids->allocate() == std::optional<std::uint16_t>(4));
  // Right before the top: 65,533 then 65,535, skipping 65,534, then wrap again.
  for (std::uint32_t i = 5; i <= 65'533; ++i) REQUIRE(ids->allocate().has_value());
  for (std::uint16_t i = 3; i <= 65'533; ++i) REQUIRE(ids->release(i));
  CHECK(ids->allocate() == std::optional<std::uint16_t>(65'535));
  CHECK(ids->allocate() == std::optional<std::uint16_t>(3));
}
