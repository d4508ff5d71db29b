// SPDX-License-Identifier: MIT
// What a server session holds on the heap while its connection is idle (a broker holds
// thousands): nothing before its first bytes, and after release_idle_memory() only what the
// session must keep of its CONNECT (a long client id, a will). Counts live heap bytes through
// operator new.
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
  // A broker's sessions share their options (made once, before the count starts).
  const auto shared = std::make_shared<const server_options>();
  // doctest allocates as it reports, so the counts are taken in between and checked after.
  const long before = live_bytes;
  {
    server_session s = server_session::with_shared_options(shared, t0);
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
    CHECK(idle == 0);  // the CONNECT dropped; its client id fits in the std::string itself
    CHECK(s.request().empty());
    CHECK(s.connect_received());
    CHECK(s.client_id() == "sensor-17");
    CHECK(s.clean_session());
    CHECK_FALSE(s.will_message());

    // And it works as before: a PUBLISH in, its PUBACK out.
    receive(s, "32 06 00 01 61 00 05 78", t0);
    const auto evs = poll_all(s);
    REQUIRE(evs.size() == 1);
    CHECK(std::get<events::message>(evs[0]).msg.payload == "x");
    CHECK(sent(s) == wire("40 02 00 05"));
  }
}

TEST_CASE("idle memory: an idle server session keeps a long client id and its will, not the CONNECT") {
  const connect c{.clean_session = false,
                  .keep_alive = 10,
                  .client_id = "a-client-id-longer-than-fifteen-bytes",
                  .will = last_will{.topic = "status/gone", .payload = "bye", .qos = qos_level::at_least_once},
                  .username = "user",
                  .password = "a password"};
  std::string connect_bytes;
  REQUIRE(encode_to(c, std::back_inserter(connect_bytes)).ec == errc::success);
  const auto shared = std::make_shared<const server_options>();
  const long before = live_bytes;
  {
    server_session s = server_session::with_shared_options(shared, t0);
    receive(s, hex(connect_bytes), t0);
    REQUIRE(poll_all(s).size() == 1);
    CHECK(s.request().view().username == std::optional<std::string_view>("user"));
    REQUIRE(s.accept(t0) == errc::success);
    static_cast<void>(sent(s));
    const long kept_connect = live_bytes - before;  // the CONNECT, and what is copied apart
    static_cast<void>(s.release_idle_memory());
    const long idle = live_bytes - before;
    MESSAGE("held while idle: " << idle << " bytes (" << kept_connect << " before)");
    CHECK(idle < kept_connect);
    CHECK(s.request().empty());
    CHECK(s.client_id() == "a-client-id-longer-than-fifteen-bytes");
    CHECK_FALSE(s.clean_session());

    // The will outlives the CONNECT: 1.5 x the keep-alive of silence publishes it.
    s.on_timeout(t0 + std::chrono::milliseconds(15'000));
    const auto evs = poll_all(s);
    REQUIRE(evs.size() == 1);
    REQUIRE(std::holds_alternative<events::closed>(evs[0]));
    CHECK(std::get<events::closed>(evs[0]).reason.code == errc::keep_alive_timeout);
    CHECK(std::get<events::closed>(evs[0]).publish_will);
    const auto will = s.will_message();
    REQUIRE(will);
    CHECK(will->topic == "status/gone");
    CHECK(will->payload == "bye");
    CHECK(will->qos == qos_level::at_least_once);
    CHECK(will->packet_id == std::optional<std::uint16_t>(1));
    CHECK(s.take_state().client_id == "a-client-id-longer-than-fifteen-bytes");
  }
}

TEST_CASE("idle memory: a server session with its own options allocates them, and only them") {
  const long before = live_bytes;
  {
    server_session s(server_options{}, t0);
    const long own = live_bytes - before;
    CHECK(own > 0);
    CHECK(own <= static_cast<long>(sizeof(server_options) + 64));  // one shared_ptr block
  }
  CHECK(live_bytes == before);
}

TEST_CASE("idle memory: a subscriber after a QoS 1 delivery keeps its subscription, not its queues") {
  std::string connect_bytes;
  REQUIRE(encode_to(connect{.keep_alive = 60, .client_id = "sub-1"},
                    std::back_inserter(connect_bytes)).ec == errc::success);
  const auto shared = std::make_shared<const server_options>();
  const shared_message m = *make_shared_message(
      publish{.qos = qos_level::at_least_once, .topic = "a/b", .packet_id = 9, .payload = "x"});
  const long before = live_bytes;
  {
    server_session s = server_session::with_shared_options(shared, t0);
    receive(s, hex(connect_bytes), t0);
    REQUIRE(poll_all(s).size() == 1);
    REQUIRE(s.accept(t0) == errc::success);
    CHECK(sent(s) == wire("20 02 00 00"));
    receive(s, "82 08 00 01 00 03 61 2f 62 01", t0);  // SUBSCRIBE 1: a/b at QoS 1
    REQUIRE(poll_all(s).size() == 1);
    REQUIRE(s.grant_up_to(1, qos_level::at_least_once, t0) == errc::success);
    CHECK(sent(s) == wire("90 03 00 01 01"));
    REQUIRE(s.deliver(m, qos_level::at_least_once, false, t0) == errc::success);
    CHECK(sent(s) == wire("32 08 00 03 61 2f 62 00 01 78"));
    receive(s, "40 02 00 01", t0);  // its PUBACK
    REQUIRE(poll_all(s).size() == 1);
    const long busy = live_bytes - before;  // the queues' blocks, the 8 KiB packet-id table
    static_cast<void>(s.release_idle_memory());
    const long idle = live_bytes - before;
    MESSAGE("held while idle: " << idle << " bytes (" << busy << " before release_idle_memory)");
    CHECK(busy > 8 * 1024);
    CHECK(idle <= 64);  // the subscription: one stored_subscription in its vector

    // And it works as before: the next delivery takes a packet id again.
    REQUIRE(s.deliver(m, qos_level::at_least_once, false, t0) == errc::success);
    CHECK(sent(s) == wire("32 08 00 03 61 2f 62 00 01 78"));
    CHECK(s.in_flight() == 1);
  }
}

TEST_CASE("idle memory: a session whose framer was dropped while idle reads on from the same place") {
  // CONNECT (3.1, so that its rules are seen to outlive the framer), then PUBREL with DUP set,
  // which 3.1 allows and 3.1.1 refuses.
  const std::string connect_bytes = "10 10 00 06 4d 51 49 73 64 70 03 02 00 0a 00 02 63 31";
  const auto shared = std::make_shared<const server_options>();
  const long before = live_bytes;
  server_session s = server_session::with_shared_options(shared, t0);
  receive(s, connect_bytes, t0);
  REQUIRE(poll_all(s).size() == 1);
  REQUIRE(s.accept(t0) == errc::success);
  CHECK(sent(s) == wire("20 02 00 00"));
  CHECK(s.release_idle_memory() > 0);
  CHECK(live_bytes - before == 0);  // no framer, no buffer
  receive(s, "6a 02 00 05", t0);
  CHECK(poll_all(s).empty());
  CHECK(sent(s) == wire("70 02 00 05"));  // PUBCOMP: read by 3.1's rules
  static_cast<void>(s.release_idle_memory());
  CHECK(live_bytes - before == 0);
  // A second CONNECT is still refused, at its offset in the stream (18 + 4).
  receive(s, connect_bytes, t0);
  const auto evs = poll_all(s);
  REQUIRE(evs.size() == 1);
  REQUIRE(std::holds_alternative<events::closed>(evs[0]));
  CHECK(std::get<events::closed>(evs[0]).reason == error{errc::second_connect, 22});

  // The keep-alive timeout of an idle session gives the offset of the end of what it read.
  server_session k = server_session::with_shared_options(shared, t0);
  receive(k, connect_bytes, t0);
  REQUIRE(poll_all(k).size() == 1);
  REQUIRE(k.accept(t0) == errc::success);
  static_cast<void>(sent(k));
  receive(k, "c0 00", t0);  // PINGREQ
  CHECK(poll_all(k).empty());
  CHECK(sent(k) == wire("d0 00"));
  static_cast<void>(k.release_idle_memory());
  k.on_timeout(t0 + std::chrono::milliseconds(15'000));
  const auto ends = poll_all(k);
  REQUIRE(ends.size() == 1);
  REQUIRE(std::holds_alternative<events::closed>(ends[0]));
  CHECK(std::get<events::closed>(ends[0]).reason == error{errc::keep_alive_timeout, 20});

  // And so does the end of the stream.
  server_session l = server_session::with_shared_options(shared, t0);
  receive(l, connect_bytes, t0);
  REQUIRE(poll_all(l).size() == 1);
  REQUIRE(l.accept(t0) == errc::success);
  static_cast<void>(sent(l));
  static_cast<void>(l.release_idle_memory());
  l.connection_lost(t0);
  const auto lost = poll_all(l);
  REQUIRE(lost.size() == 1);
  REQUIRE(std::holds_alternative<events::closed>(lost[0]));
  CHECK(std::get<events::closed>(lost[0]).reason == error{errc::connection_lost, 18});
}

TEST_CASE("idle memory: release_idle_memory() keeps a message in flight and a QoS 2 id not released") {
  std::string connect_bytes;
  REQUIRE(encode_to(connect{.keep_alive = 60, .client_id = "pub-2"},
                    std::back_inserter(connect_bytes)).ec == errc::success);
  const auto shared = std::make_shared<const server_options>();
  const shared_message m = *make_shared_message(
      publish{.qos = qos_level::at_least_once, .topic = "a/b", .packet_id = 9, .payload = "x"});
  server_session s = server_session::with_shared_options(shared, t0);
  receive(s, hex(connect_bytes), t0);
  REQUIRE(poll_all(s).size() == 1);
  REQUIRE(s.accept(t0) == errc::success);
  CHECK(sent(s) == wire("20 02 00 00"));
  // Out: a QoS 1 message not yet acknowledged. In: a QoS 2 message not yet released.
  REQUIRE(s.deliver(m, qos_level::at_least_once, false, t0) == errc::success);
  CHECK(sent(s) == wire("32 08 00 03 61 2f 62 00 01 78"));
  receive(s, "34 08 00 03 61 2f 62 00 05 79", t0);
  CHECK(poll_all(s).size() == 1);  // the message, handed on once
  CHECK(sent(s) == wire("50 02 00 05"));
  static_cast<void>(s.release_idle_memory());  // the busy block holds both: it stays
  CHECK(s.in_flight() == 1);
  // The same QoS 2 message again (DUP): its id is still held, so it is not handed on twice.
  receive(s, "3c 08 00 03 61 2f 62 00 05 79", t0);
  CHECK(poll_all(s).empty());
  CHECK(sent(s) == wire("50 02 00 05"));
  receive(s, "62 02 00 05", t0);  // PUBREL
  CHECK(poll_all(s).empty());
  CHECK(sent(s) == wire("70 02 00 05"));
  receive(s, "40 02 00 01", t0);  // the PUBACK of the QoS 1 message
  CHECK(poll_all(s).size() == 1);
  CHECK(s.in_flight() == 0);
  static_cast<void>(s.release_idle_memory());
  // Rebuilt on the next delivery, which takes packet id 1 again.
  REQUIRE(s.deliver(m, qos_level::at_least_once, false, t0) == errc::success);
  CHECK(sent(s) == wire("32 08 00 03 61 2f 62 00 01 78"));
  CHECK(s.in_flight() == 1);
}
