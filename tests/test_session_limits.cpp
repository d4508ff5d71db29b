// SPDX-License-Identifier: MIT
// The sessions' output bound (found by fuzz_session): every packet is begun while fewer than
// max_output bytes wait; past that, received packets, messages, acks and SUBACKs wait and go
// out, in order, as the output is written.
#include "session_support.hpp"

#include <doctest/doctest.h>
#include <mqttwire/encode.hpp>

#include <iterator>
#include <string>
#include <vector>

using namespace session_test;

namespace {

template <class P>
std::string wire(const P& p, protocol_version v = protocol_version::v3_1_1) {
  std::string s;
  REQUIRE(encode_to(p, std::back_inserter(s), v).ec == errc::success);
  return s;
}

void feed(server_session& s, const std::string& b) {
  REQUIRE(s.feed(bytes_view(b.data(), b.size()), t0) == b.size());
}

// Every event until none is left; returns how many.
template <class Session>
std::size_t count_events(Session& s) {
  std::size_t n = 0;
  while (s.poll_event()) ++n;
  return n;
}

// A server session with max_output `limit`, its CONNECT accepted (CONNACK still in output()).
server_session accepted_server(std::size_t limit, bool clean = true,
                               std::optional<session_state> resume = std::nullopt,
                               bool manual = false) {
  server_options o;
  o.max_output = limit;
  o.manual_acks = manual;
  server_session s(o, t0);
  feed(s, wire(connect{.clean_session = clean, .client_id = "c"}));
  REQUIRE(count_events(s) == 1);
  REQUIRE(s.accept(t0, std::move(resume)) == errc::success);
  return s;
}

const std::string connack_ok("\x20\x02\x00\x00", 4);

std::string h(const std::string& b) { return hex(std::string_view(b)); }
std::string h(bytes_view b) { return hex(b); }

}  // namespace

TEST_CASE("server output bound: PINGREQs are not answered while max_output bytes wait") {
  server_session s = accepted_server(16);
  std::string pings;
  for (int i = 0; i < 20; ++i) pings += std::string("\xc0\x00", 2);  // PINGREQ
  feed(s, pings);
  CHECK(count_events(s) == 0);
  // CONNACK (4) and six PINGRESPs reach 16 bytes; the other 14 PINGREQs wait.
  const std::string six_pingresps("\xd0\x00\xd0\x00\xd0\x00\xd0\x00\xd0\x00\xd0\x00", 12);
  CHECK(h(drain_output(s)) == h(connack_ok + six_pingresps));
  CHECK(s.wants_read());
  CHECK(count_events(s) == 0);
  CHECK(s.output().size() == 16);  // eight more
  CHECK_FALSE(s.wants_read());
  std::vector<char> taken;
  s.take_output(taken);
  CHECK(taken.size() == 16);
  CHECK(count_events(s) == 0);
  CHECK(h(drain_output(s)) == h(six_pingresps));
  CHECK(count_events(s) == 0);
  CHECK(s.output().empty());
}

TEST_CASE("server output bound: QoS 1 deliveries wait in the queue until the output is written") {
  server_session s = accepted_server(8);
  auto m = make_shared_message(publish{.qos = qos_level::at_least_once, .topic = "t",
                                       .packet_id = 1, .payload = "p"});
  REQUIRE(m);
  // CONNACK (4 bytes) leaves room for one PUBLISH (8 bytes); the other two wait.
  for (int i = 0; i < 3; ++i) CHECK(s.deliver(*m, qos_level::at_least_once, false, t0) == errc::success);
  CHECK(s.in_flight() == 1);
  CHECK(s.queued() == 2);
  const std::string publish1("\x32\x06\x00\x01t\x00\x01p", 8);  // QoS 1, topic "t", id 1, "p"
  CHECK(h(s.output()) == h(connack_ok + publish1));
  s.consume_output(6);  // part of it: 6 bytes still wait, so one more goes out
  CHECK(s.in_flight() == 2);
  CHECK(s.output().size() == 6 + 8);
  s.consume_output(14);
  CHECK(s.in_flight() == 3);
  CHECK(h(drain_output(s)) == h(std::string("\x32\x06\x00\x01t\x00\x03p", 8)));
}

TEST_CASE("server output bound: a resumed session's messages are resent as room is made") {
  auto m = make_shared_message(publish{.qos = qos_level::at_least_once, .topic = "t",
                                       .packet_id = 1, .payload = "p"});
  REQUIRE(m);
  session_state kept;
  kept.client_id = "c";
  kept.outgoing = {{5, out_stage::awaiting_puback, qos_level::at_least_once, false, *m},
                   {6, out_stage::awaiting_pubcomp, qos_level::exactly_once, false, nullptr},
                   {7, out_stage::awaiting_puback, qos_level::at_least_once, false, *m}};
  server_session s = accepted_server(8, false, kept);
  // CONNACK with Session Present, then the first resend (DUP); the PUBREL and the third wait.
  CHECK(h(drain_output(s)) == h(std::string("\x20\x02\x01\x00", 4) +
                                    std::string("\x3a\x06\x00\x01t\x00\x05p", 8)));
  s.consume_output(0);
  CHECK(h(drain_output(s)) == h(std::string("\x62\x02\x00\x06" "\x3a\x06\x00\x01t\x00\x07p", 12)));
  CHECK(s.in_flight() == 3);
}

TEST_CASE("server output bound: SUBACKs and manual acks wait in order while the output is full") {
  server_session s = accepted_server(4, true, std::nullopt, true);
  const subscription subs[] = {{"a", qos_level::at_least_once}};
  feed(s, wire(subscribe{.packet_id = 9, .subscriptions = subs}) +
              wire(publish{.qos = qos_level::at_least_once, .topic = "t", .packet_id = 3, .payload = "x"}));
  // The CONNACK fills the output: nothing is read yet.
  CHECK(count_events(s) == 0);
  CHECK(h(drain_output(s)) == h(connack_ok));
  CHECK(count_events(s) == 2);  // subscribe_requested, message
  CHECK(s.grant(9, std::vector<std::uint8_t>{1}, t0) == errc::success);
  s.acknowledge(3, t0);
  CHECK(h(drain_output(s)) == h(std::string("\x90\x03\x00\x09\x01", 5)));  // SUBACK
  s.consume_output(0);
  CHECK(h(drain_output(s)) == h(std::string("\x40\x02\x00\x03", 4)));  // PUBACK
  CHECK(s.pending_acks() == 0);
}

TEST_CASE("server output bound: a lost connection still ends while the output is full") {
  server_session s = accepted_server(4);
  feed(s, std::string("\xc0\x00\xc0\x00", 4));
  s.connection_lost(t0);
  const auto e = s.poll_event();
  REQUIRE(e);
  REQUIRE(std::holds_alternative<events::closed>(*e));
  // At the stream offset of the first PINGREQ, the first byte not handled.
  const std::size_t connect_size = wire(connect{.clean_session = true, .client_id = "c"}).size();
  CHECK(std::get<events::closed>(*e).reason.code == errc::connection_lost);
  CHECK(std::get<events::closed>(*e).reason.offset == connect_size);
  CHECK(s.output().size() == 4);  // the CONNACK only
}

TEST_CASE("client output bound: messages and requests wait while max_output bytes wait") {
  client_options o;
  o.max_output = 4;
  client_session c(o);
  REQUIRE(c.open(connect{.clean_session = true, .client_id = "c"}, t0) == errc::success);
  drain_output(c);
  const std::string connack = connack_ok;
  c.feed(bytes_view(connack.data(), connack.size()), t0);
  CHECK(count_events(c) == 1);
  const auto id1 = c.publish(publish{.qos = qos_level::at_least_once, .topic = "t", .payload = "p"}, t0);
  const auto id2 = c.publish(publish{.qos = qos_level::at_least_once, .topic = "t", .payload = "q"}, t0);
  const std::string_view filters[] = {"a"};
  const auto id3 = c.unsubscribe(filters, t0);
  REQUIRE(id1);
  REQUIRE(id2);
  REQUIRE(id3);
  CHECK(c.in_flight() == 1);
  CHECK(h(drain_output(c)) == h(std::string("\x32\x06\x00\x01t\x00\x01p", 8)));
  c.consume_output(0);
  CHECK(h(drain_output(c)) == h(std::string("\x32\x06\x00\x01t\x00\x02q", 8)));
  c.consume_output(0);
  CHECK(h(drain_output(c)) == h(std::string("\xa2\x05\x00\x03\x00\x01" "a", 7)));
}

TEST_CASE("limits: with manual acks, reading waits at max_unacknowledged instead of holding more") {
  using namespace session_test;
  server_session s(server_options{.max_unacknowledged = 2, .manual_acks = true}, t0);
  receive(s, "10 0e 00 04 4d 51 54 54 04 02 00 0a 00 02 63 31", t0);
  REQUIRE(poll_all(s).size() == 1);
  REQUIRE(s.accept(t0) == errc::success);
  static_cast<void>(sent(s));
  receive(s, "32 05 00 01 61 00 01  32 05 00 01 61 00 02  32 05 00 01 61 00 03", t0);
  CHECK(poll_all(s).size() == 2);  // the third waits
  CHECK(s.pending_acks() == 2);
  s.acknowledge(1, t0);
  CHECK(sent(s) == session_test::wire("40 02 00 01"));
  CHECK(poll_all(s).size() == 1);  // room again: the third is read
  s.acknowledge(2, t0);
  s.acknowledge(3, t0);
  CHECK(sent(s) == session_test::wire("40 02 00 02  40 02 00 03"));
}

TEST_CASE("limits: reading waits at max_pending_grants SUBSCRIBEs not yet granted") {
  using namespace session_test;
  server_session s(server_options{.max_pending_grants = 1}, t0);
  receive(s, "10 0e 00 04 4d 51 54 54 04 02 00 0a 00 02 63 31", t0);
  REQUIRE(poll_all(s).size() == 1);
  REQUIRE(s.accept(t0) == errc::success);
  static_cast<void>(sent(s));
  receive(s, "82 06 00 01 00 01 61 00  82 06 00 02 00 01 62 00", t0);
  auto evs = poll_all(s);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::subscribe_requested>(evs[0]).packet_id == 1);
  REQUIRE(s.grant_up_to(1, qos_level::at_most_once, t0) == errc::success);
  evs = poll_all(s);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::subscribe_requested>(evs[0]).packet_id == 2);
}

TEST_CASE("limits: a PUBREC held for acknowledge() stays held over a client's reconnect") {
  using namespace session_test;
  client_session c(client_options{.manual_acks = true});
  const connect hello{.clean_session = false, .keep_alive = 10, .client_id = "c1"};
  REQUIRE(c.open(hello, t0) == errc::success);
  receive(c, "20 02 00 00  34 05 00 01 61 00 07  32 05 00 01 62 00 08", t0);
  CHECK(poll_all(c).size() == 3);  // connected, two messages
  static_cast<void>(sent(c));
  c.connection_lost(t0);
  static_cast<void>(poll_all(c));
  REQUIRE(c.open(hello, t0) == errc::success);
  static_cast<void>(sent(c));
  // Session Present; the server sends both again.
  receive(c, "20 02 01 00  3c 05 00 01 61 00 07  3a 05 00 01 62 00 08", t0);
  const auto evs = poll_all(c);
  CHECK(evs.size() == 2);  // connected, and the QoS 1 message again (not the QoS 2 one)
  CHECK(sent(c).empty());  // nothing acknowledged before the application says so
  c.acknowledge(7, t0);
  c.acknowledge(8, t0);
  CHECK(sent(c) == session_test::wire("50 02 00 07  40 02 00 08"));
}

TEST_CASE("limits: an idle server session frees its read buffer and reads again after") {
  server_session s = accepted_server(1u << 20);
  drain_output(s);
  // The CONNECT was read with a 16 KiB prepare(), as a broker reads a socket.
  std::span<char> room = s.prepare(16 * 1024);
  const std::string pub = wire(publish{.topic = "a", .payload = "1"});
  std::copy(pub.begin(), pub.end() - 1, room.begin());
  s.commit(pub.size() - 1, t0);
  CHECK(count_events(s) == 0);
  CHECK(s.release_idle_memory() == 0);  // one byte of the PUBLISH still to come: kept
  room = s.prepare(1);
  room[0] = pub.back();
  s.commit(1, t0);
  auto evs = poll_all(s);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::message>(evs[0]).msg.payload == "1");
  CHECK(s.release_idle_memory() >= 16 * 1024);  // between packets: all of it
  CHECK(s.release_idle_memory() == 0);
  feed(s, wire(publish{.topic = "a", .payload = "2"}));
  evs = poll_all(s);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::message>(evs[0]).msg.payload == "2");
}
