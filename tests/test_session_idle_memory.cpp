// SPDX-License-Identifier: MIT
// What a server session holds on the heap while its connection is idle (a broker holds
// thousands): nothing before its first bytes, and after release_idle_memory() only what the
// session must keep (the accepted CONNECT). Counts live heap bytes through operator new.
#include "session_support.hpp"

#include <doctest/doctest.h>
#include <mqttwire/encode.hpp>

#include <cstdlib>
#include <iterator>
#include <new>
#include <string>

namespace {
// Live bytes allocated through operator new: each block carries its size in front.
long live_bytes = 0;
constexpr std::size_t header = alignof(std::max_align_t);

void* counted_alloc(std::size_t n) {
  auto* p = static_cast<char*>(std::malloc(n + header));
  if (p == nullptr) throw std::bad_alloc();
  *reinterpret_cast<std::size_t*>(p) = n;
  live_bytes += static_cast<long>(n);
  return p + header;
}
void counted_free(void* q) noexcept {
  if (q == nullptr) return;
  char* p = static_cast<char*>(q) - header;
  live_bytes -= static_cast<long>(*reinterpret_cast<std::size_t*>(p));
  std::free(p);
}
}  // namespace

// The plain forms only: nothing here allocates over-aligned memory.
void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }

using namespace session_test;

TEST_CASE("idle memory: a server session holds nothing until bytes come, little once idle") {
  std::string connect_bytes;
  REQUIRE(encode_to(connect{.keep_alive = 60, .client_id = "sensor-17"},
                    std::back_inserter(connect_bytes)).ec == errc::success);
  // doctest allocates as it reports, so the counts are taken in between and checked after.
  const long before = live_bytes;
  {
    server_session s(server_options{}, t0);
    CHECK(live_bytes - before == 0);  // no queue, buffer or table yet

    // The CONNECT read as a broker reads a socket: into 16 KiB of prepare().
    std::span<char> room = s.prepare(16 * 1024);
    std::copy(connect_bytes.begin(), connect_bytes.end(), room.begin());
    s.commit(connect_bytes.size(), t0);
    REQUIRE(poll_all(s).size() == 1);
    REQUIRE(s.accept(t0) == errc::success);
    CHECK(sent(s) == wire("20 02 00 00"));
    CHECK(poll_all(s).empty());
    const long busy = live_bytes - before;
    CHECK(busy > 16 * 1024);

    // Measured with nothing of doctest's in between (its messages allocate).
    const std::size_t freed = s.release_idle_memory();
    const long idle = live_bytes - before;
    const std::size_t freed_again = s.release_idle_memory();
    const long idle_again = live_bytes - before;
    CHECK(freed >= 16 * 1024);
    CHECK(freed_again == 0);
    CHECK(idle_again == idle);
    MESSAGE("held while idle: " << idle << " bytes (" << busy << " before release_idle_memory)");
    CHECK(idle <= 64);  // the kept CONNECT (23 bytes with g++ 12 and libstdc++)

    // And it works as before: a PUBLISH in, its PUBACK out.
    receive(s, "32 06 00 01 61 00 05 78", t0);
    const auto evs = poll_all(s);
    REQUIRE(evs.size() == 1);
    CHECK(std::get<events::message>(evs[0]).msg.payload == "x");
    CHECK(sent(s) == wire("40 02 00 05"));
  }
}
