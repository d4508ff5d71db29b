// SPDX-License-Identifier: MIT
// client_session, scripted byte for byte: every flow of MQTT 3.1.1 §4.3 to §4.6 from the
// client's side, keep-alive, acks matched to requests, redelivery on reconnect, both versions.
#include "session_support.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace session_test;
using mqttwire_test::operator<<;

namespace {

constexpr auto v311 = protocol_version::v3_1_1;
constexpr auto v31 = protocol_version::v3_1;
using mqttwire_test::q0;
using mqttwire_test::q1;
using mqttwire_test::q2;

// CONNECT "c1", keep alive 10 s; `clean` picks Clean Session.
connect hello(bool clean = true, protocol_version v = v311) {
  return connect{.protocol = v, .clean_session = clean, .keep_alive = 10, .client_id = "c1"};
}
// Its bytes: 3.1.1 and 3.1.
std::string hello_wire(bool clean = true, protocol_version v = v311) {
  const std::string flags = clean ? "02" : "00";
  if (v == v31) return wire("10 10  00 06 4d 51 49 73 64 70  03  " + flags + "  00 0a  00 02 63 31");
  return wire("10 0e  00 04 4d 51 54 54  04  " + flags + "  00 0a  00 02 63 31");
}

// A client connected with the CONNACK `connack_hex`.
client_session connected_client(client_options o = {}, bool clean = true,
                                protocol_version v = v311, std::string_view connack_hex = "20 02 00 00") {
  client_session c(o);
  REQUIRE(c.open(hello(clean, v), t0) == errc::success);
  CHECK(sent(c) == hello_wire(clean, v));
  receive(c, connack_hex, t0);
  const auto evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  REQUIRE(std::holds_alternative<events::connected>(evs[0]));
  return c;
}

events::closed only_close(const std::vector<client_event>& evs) {
  REQUIRE(evs.size() == 1);
  REQUIRE(std::holds_alternative<events::closed>(evs[0]));
  return std::get<events::closed>(evs[0]);
}

}  // namespace

TEST_CASE("client: CONNECT, then CONNACK 0 connects; packets before CONNACK are not allowed") {
  client_session c;
  CHECK(c.state() == link_state::disconnected);
  REQUIRE(c.open(hello(), t0) == errc::success);
  CHECK(c.state() == link_state::connecting);
  CHECK(sent(c) == hello_wire());
  CHECK(c.open(hello(), t0) == errc::second_connect);
  receive(c, "20 02 00 00", t0);
  const auto evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::connected>(evs[0]) == events::connected{false});
  CHECK(c.state() == link_state::connected);

  // [MQTT-3.2.0-1]: the server's first packet must be CONNACK.
  client_session early;
  REQUIRE(early.open(hello(), t0) == errc::success);
  static_cast<void>(sent(early));
  receive(early, "30 05 00 01 61 68 69", t0);  // PUBLISH "a" "hi"
  CHECK(only_close(poll_all(early)).reason == error{errc::unexpected_packet, 0});
  CHECK(early.state() == link_state::disconnected);
}

TEST_CASE("client: every CONNACK refusal code closes with connection_refused and the code") {
  for (unsigned code = 1; code <= 5; ++code) {
    INFO(code);
    client_session c;
    REQUIRE(c.open(hello(), t0) == errc::success);
    static_cast<void>(sent(c));
    receive(c, "20 02 00 0" + std::to_string(code), t0);
    const events::closed x = only_close(poll_all(c));
    CHECK(x.reason == error{errc::connection_refused, 0});
    CHECK(x.refusal == static_cast<connect_return_code>(code));
    CHECK(sent(c).empty());
    CHECK(c.state() == link_state::disconnected);
  }
}

TEST_CASE("client: no CONNACK within connect_timeout closes with connect_timeout") {
  client_session c(client_options{.connect_timeout = std::chrono::seconds(5)});
  REQUIRE(c.open(hello(), t0) == errc::success);
  CHECK(c.next_deadline() == t0 + 5s);
  c.on_timeout(t0 + 4s);  // early: nothing
  CHECK(poll_all(c).empty());
  c.on_timeout(t0 + 5s);
  CHECK(only_close(poll_all(c)).reason == error{errc::connect_timeout, 0});
}

TEST_CASE("client: [MQTT-4.3.1-1] QoS 0 goes out once with DUP 0 and needs no answer") {
  client_session c = connected_client();
  const auto id = c.publish(publish{.qos = q0, .topic = "a/b", .payload = "hi"}, t0);
  REQUIRE(id);
  CHECK(*id == 0);
  CHECK(sent(c) == wire("30 07  00 03 61 2f 62  68 69"));
  CHECK(c.in_flight() == 0);
  // Without a connection there is nowhere to send it.
  client_session off;
  CHECK(off.publish(publish{.topic = "a"}, t0).error() == error{errc::not_connected, 0});
}

TEST_CASE("client: [MQTT-4.3.2-1] QoS 1: a fresh id, DUP 0, kept until PUBACK") {
  client_session c = connected_client();
  const auto id = c.publish(publish{.qos = q1, .topic = "a/b", .payload = "hi"}, t0);
  REQUIRE(id);
  CHECK(*id == 1);
  CHECK(sent(c) == wire("32 09  00 03 61 2f 62  00 01  68 69"));
  CHECK(c.in_flight() == 1);
  receive(c, "40 02 00 07", t0);  // a PUBACK for an id not in flight: ignored
  CHECK(poll_all(c).empty());
  receive(c, "40 02 00 01", t0);
  const auto evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::delivered>(evs[0]) == events::delivered{1, q1});
  CHECK(c.in_flight() == 0);
  // [MQTT-2.3.1-2]: the next message gets an id not in use (the allocator moves on).
  CHECK(*c.publish(publish{.qos = q1, .topic = "a"}, t0) == 2);
}

TEST_CASE("client: [MQTT-4.3.3-1] QoS 2: PUBLISH, PUBREC, PUBREL, PUBCOMP") {
  client_session c = connected_client();
  REQUIRE(*c.publish(publish{.qos = q2, .topic = "a/b", .payload = "hi"}, t0) == 1);
  CHECK(sent(c) == wire("34 09  00 03 61 2f 62  00 01  68 69"));
  receive(c, "50 02 00 01", t0);
  CHECK(poll_all(c).empty());
  CHECK(sent(c) == wire("62 02 00 01"));  // [MQTT-2.3.1-6]: the same id
  CHECK(c.in_flight() == 1);
  receive(c, "70 02 00 01", t0);
  const auto evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::delivered>(evs[0]) == events::delivered{1, q2});
  CHECK(c.in_flight() == 0);
  // A PUBREC for an id we do not know is answered too (a server still holding it can finish).
  receive(c, "50 02 00 09", t0);
  CHECK(poll_all(c).empty());
  CHECK(sent(c) == wire("62 02 00 09"));
}

TEST_CASE("client: [MQTT-4.3.2-2] inbound QoS 1 is delivered and acknowledged with its id") {
  client_session c = connected_client();
  receive(c, "32 07  00 01 61  00 05  68 69", t0);  // PUBLISH QoS 1, id 5, "a" "hi"
  const auto evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  const publish& m = std::get<events::message>(evs[0]).msg;
  CHECK(m == publish{.qos = q1, .topic = "a", .packet_id = 5, .payload = "hi"});
  CHECK(sent(c) == wire("40 02 00 05"));
  // The same id again (DUP or not) is a new message for QoS 1: delivered again.
  receive(c, "3a 07  00 01 61  00 05  68 69", t0);
  CHECK(poll_all(c).size() == 1);
  CHECK(sent(c) == wire("40 02 00 05"));
}

TEST_CASE("client: [MQTT-4.3.3-2] inbound QoS 2 is delivered exactly once, the id held until PUBREL") {
  client_session c = connected_client();
  receive(c, "34 07  00 01 61  00 07  68 69", t0);
  auto evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::message>(evs[0]).msg.packet_id == 7);
  CHECK(sent(c) == wire("50 02 00 07"));
  // A resend before PUBREL: acknowledged again, not delivered again.
  receive(c, "3c 07  00 01 61  00 07  68 69", t0);
  CHECK(poll_all(c).empty());
  CHECK(sent(c) == wire("50 02 00 07"));
  CHECK(c.export_state().incoming_qos2 == std::vector<std::uint16_t>{7});
  receive(c, "62 02 00 07", t0);
  CHECK(poll_all(c).empty());
  CHECK(sent(c) == wire("70 02 00 07"));
  CHECK(c.export_state().incoming_qos2.empty());
  // After PUBCOMP the id names a new message.
  receive(c, "34 07  00 01 61  00 07  68 69", t0);
  CHECK(poll_all(c).size() == 1);
  CHECK(sent(c) == wire("50 02 00 07"));
  // A PUBREL for an id not held (our PUBCOMP was lost): PUBCOMP again.
  receive(c, "62 02 00 07  62 02 00 07", t0);
  CHECK(poll_all(c).empty());
  CHECK(sent(c) == wire("70 02 00 07  70 02 00 07"));
}

TEST_CASE("client: [MQTT-4.6.0-2] [MQTT-4.6.0-3] acks go out in arrival order, also held ones") {
  client_session c = connected_client();
  receive(c, "32 05 00 01 61 00 05  34 05 00 01 62 00 03  32 05 00 01 63 00 09", t0);
  CHECK(poll_all(c).size() == 3);
  CHECK(sent(c) == wire("40 02 00 05  50 02 00 03  40 02 00 09"));

  client_session m = connected_client(client_options{.manual_acks = true});
  receive(m, "32 05 00 01 61 00 05  34 05 00 01 62 00 03  32 05 00 01 63 00 09", t0);
  CHECK(poll_all(m).size() == 3);
  CHECK(sent(m).empty());
  CHECK(m.pending_acks() == 3);
  m.acknowledge(3, t0);  // the second: held behind the first
  CHECK(sent(m).empty());
  m.acknowledge(5, t0);
  CHECK(sent(m) == wire("40 02 00 05  50 02 00 03"));
  m.acknowledge(9, t0);
  CHECK(sent(m) == wire("40 02 00 09"));
  CHECK(m.pending_acks() == 0);
}

TEST_CASE("client: the in-flight window holds later messages back, in order") {
  client_session c = connected_client(client_options{.max_inflight = 2, .max_queued = 2});
  for (const char* t : {"a", "b", "c", "d"}) {
    REQUIRE(c.publish(publish{.qos = q1, .topic = t}, t0));
  }
  CHECK(sent(c) == wire("32 05 00 01 61 00 01  32 05 00 01 62 00 02"));
  CHECK(c.in_flight() == 2);
  CHECK(c.queued() == 2);
  // At max_queued the next one is refused, nothing kept or sent.
  CHECK(c.publish(publish{.qos = q1, .topic = "e"}, t0).error() == error{errc::queue_full, 0});
  receive(c, "40 02 00 02", t0);  // the second is acknowledged first: "c" goes out
  CHECK(poll_all(c).size() == 1);
  CHECK(sent(c) == wire("32 05 00 01 63 00 03"));
  receive(c, "40 02 00 01", t0);
  CHECK(poll_all(c).size() == 1);
  CHECK(sent(c) == wire("32 05 00 01 64 00 04"));
}

TEST_CASE("client: QoS 0 past max_output is refused, not buffered without bound") {
  client_session c = connected_client(client_options{.max_output = 16});
  CHECK(c.publish(publish{.topic = "a", .payload = "0123456789"}, t0));  // 15 bytes pending
  CHECK(c.publish(publish{.topic = "a", .payload = "x"}, t0));           // 15 < 16: one more
  CHECK(c.publish(publish{.topic = "a", .payload = "x"}, t0).error() == error{errc::queue_full, 0});
  CHECK(sent(c).size() == 3 * (15 + 6) - 1);  // 15 + 6 bytes as spaced hex
  CHECK(c.publish(publish{.topic = "a", .payload = "x"}, t0));  // taken: room again
}

TEST_CASE("client: SUBSCRIBE and UNSUBSCRIBE are matched to their acks (check_reply)") {
  client_session c = connected_client();
  constexpr subscription subs[] = {{"a/+", q1}, {"b/#", q2}};
  const auto id = c.subscribe(subs, t0);
  REQUIRE(id);
  CHECK(sent(c) == wire("82 0e  00 01  00 03 61 2f 2b 01  00 03 62 2f 23 02"));
  receive(c, "90 04 00 01 01 80", t0);
  auto evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  const auto& s = std::get<events::subscribed>(evs[0]);
  CHECK(s.packet_id == 1);
  CHECK(std::vector<std::uint8_t>(s.return_codes.begin(), s.return_codes.end()) ==
        std::vector<std::uint8_t>{0x01, 0x80});
  // Only the granted one is kept, at its granted QoS.
  CHECK(c.export_state().subscriptions == std::vector<stored_subscription>{{"a/+", q1}});
  constexpr std::string_view filters[] = {"a/+"};
  REQUIRE(*c.unsubscribe(filters, t0) == 2);
  CHECK(sent(c) == wire("a2 07  00 02  00 03 61 2f 2b"));
  receive(c, "b0 02 00 02", t0);
  evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::unsubscribed>(evs[0]).packet_id == 2);
  CHECK(c.export_state().subscriptions.empty());
}

TEST_CASE("client: [MQTT-3.8.4-5] a SUBACK with the wrong count or id closes the connection") {
  constexpr subscription subs[] = {{"a", q0}, {"b", q0}};
  client_session c = connected_client();
  REQUIRE(c.subscribe(subs, t0));
  static_cast<void>(sent(c));
  receive(c, "90 03 00 01 00", t0);
  CHECK(only_close(poll_all(c)).reason == error{errc::return_code_count_mismatch, 4});
  client_session d = connected_client();
  REQUIRE(d.subscribe(subs, t0));
  static_cast<void>(sent(d));
  receive(d, "90 04 00 09 00 00", t0);
  CHECK(only_close(poll_all(d)).reason == error{errc::packet_id_mismatch, 4});
  // An UNSUBACK nobody asked for too.
  client_session u = connected_client();
  receive(u, "b0 02 00 04", t0);
  CHECK(only_close(poll_all(u)).reason == error{errc::packet_id_mismatch, 4});  // after CONNACK
}

TEST_CASE("client: packets only a client sends close the connection when received") {
  for (const std::string_view bad : {"82 06 00 01 00 01 61 00", "a2 05 00 01 00 01 61", "c0 00", "e0 00"}) {
    INFO(bad);
    client_session d = connected_client();
    receive(d, bad, t0);
    CHECK(only_close(poll_all(d)).reason == error{errc::unexpected_packet, 4});  // after CONNACK
  }
}

TEST_CASE("client: [MQTT-3.1.2-23] PINGREQ after a quiet keep-alive; no PINGRESP: peer dead") {
  client_session c = connected_client(client_options{.ping_timeout = std::chrono::seconds(3)});
  CHECK(c.next_deadline() == t0 + 10s);
  // Sending resets the keep-alive: it counts from the last packet sent.
  REQUIRE(c.publish(publish{.topic = "a"}, t0 + 4s));
  static_cast<void>(sent(c));
  CHECK(c.next_deadline() == t0 + 14s);
  c.on_timeout(t0 + 13s);
  CHECK(sent(c).empty());
  c.on_timeout(t0 + 14s);
  CHECK(sent(c) == wire("c0 00"));
  auto evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  CHECK(std::holds_alternative<events::keep_alive>(evs[0]));
  CHECK(c.next_deadline() == t0 + 17s);
  receive(c, "d0 00", t0 + 15s);  // PINGRESP: alive
  CHECK(poll_all(c).empty());
  CHECK(c.next_deadline() == t0 + 24s);
  c.on_timeout(t0 + 24s);
  CHECK(sent(c) == wire("c0 00"));
  static_cast<void>(poll_all(c));
  c.on_timeout(t0 + 27s);  // no PINGRESP within ping_timeout
  const events::closed x = only_close(poll_all(c));
  CHECK(x.reason.code == errc::keep_alive_timeout);
  CHECK(c.next_deadline() == std::nullopt);
}

TEST_CASE("client: keep-alive 0 turns the timer off") {
  client_session c;
  REQUIRE(c.open(connect{.keep_alive = 0, .client_id = "c1"}, t0) == errc::success);
  receive(c, "20 02 00 00", t0);
  static_cast<void>(poll_all(c));
  CHECK(c.next_deadline() == std::nullopt);
}

TEST_CASE("client: [MQTT-4.4.0-1] [MQTT-4.6.0-1] a resumed session resends PUBLISH (DUP) and PUBREL in order") {
  client_session c = connected_client({}, false);
  REQUIRE(*c.publish(publish{.qos = q1, .topic = "a", .payload = "1"}, t0) == 1);
  REQUIRE(*c.publish(publish{.qos = q2, .topic = "b", .payload = "2"}, t0) == 2);
  REQUIRE(*c.publish(publish{.qos = q2, .topic = "c", .payload = "3"}, t0) == 3);
  REQUIRE(*c.publish(publish{.qos = q1, .topic = "d", .payload = "4"}, t0) == 4);
  static_cast<void>(sent(c));
  receive(c, "50 02 00 03  40 02 00 04", t0);  // 3 reaches PUBREL, 4 is done
  static_cast<void>(poll_all(c));
  CHECK(sent(c) == wire("62 02 00 03"));
  c.connection_lost(t0 + 1s);
  CHECK(only_close(poll_all(c)).reason.code == errc::connection_lost);
  // A message published while away waits for the connection.
  REQUIRE(*c.publish(publish{.qos = q1, .topic = "e", .payload = "5"}, t0 + 2s) == 5);
  REQUIRE(c.open(hello(false), t0 + 3s) == errc::success);
  CHECK(sent(c) == hello_wire(false));
  receive(c, "20 02 01 00", t0 + 3s);  // Session Present
  auto evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::connected>(evs[0]).session_present);
  CHECK(sent(c) == wire("3a 06 00 01 61 00 01 31"    // PUBLISH a, QoS 1, DUP, id 1
                        "3c 06 00 01 62 00 02 32"    // PUBLISH b, QoS 2, DUP, id 2
                        "62 02 00 03"                // PUBREL 3 (its PUBLISH is never resent)
                        "32 06 00 01 65 00 05 35")); // the new one, DUP 0
}

TEST_CASE("client: MQTT 3.1 resends PUBREL and SUBSCRIBE with DUP, and takes Clean Session 0 as resumed") {
  client_session c = connected_client({}, false, v31);
  REQUIRE(*c.publish(publish{.qos = q2, .topic = "a"}, t0) == 1);
  static_cast<void>(sent(c));
  receive(c, "50 02 00 01", t0);
  static_cast<void>(poll_all(c));
  CHECK(sent(c) == wire("62 02 00 01"));
  constexpr subscription subs[] = {{"x", q1}};
  REQUIRE(*c.subscribe(subs, t0) == 2);
  CHECK(sent(c) == wire("82 06 00 02 00 01 78 01"));
  c.connection_lost(t0);
  static_cast<void>(poll_all(c));
  REQUIRE(c.open(hello(false, v31), t0) == errc::success);
  CHECK(sent(c) == hello_wire(false, v31));
  receive(c, "20 02 00 00", t0);  // 3.1 has no Session Present
  auto evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::connected>(evs[0]).session_present);
  CHECK(sent(c) == wire("6a 02 00 01  8a 06 00 02 00 01 78 01"));
}

TEST_CASE("client: a server without our session (Session Present 0) voids the ids it was to release") {
  client_session c = connected_client({}, false);
  receive(c, "34 05 00 01 61 00 07", t0);  // QoS 2 from the server, id 7: held
  static_cast<void>(poll_all(c));
  static_cast<void>(sent(c));
  REQUIRE(*c.publish(publish{.qos = q1, .topic = "a"}, t0) == 1);
  static_cast<void>(sent(c));
  c.connection_lost(t0);
  static_cast<void>(poll_all(c));
  REQUIRE(c.open(hello(false), t0) == errc::success);
  static_cast<void>(sent(c));
  receive(c, "20 02 00 00", t0);
  CHECK(poll_all(c).size() == 1);
  CHECK(sent(c) == wire("3a 05 00 01 61 00 01"));  // still sent again: at least once holds
  // Id 7 may now be a new message: delivered.
  receive(c, "34 05 00 01 61 00 07", t0);
  CHECK(poll_all(c).size() == 1);
}

TEST_CASE("client: [MQTT-3.1.2-6] a clean session drops what was sent, keeps what never was") {
  client_session c = connected_client();
  REQUIRE(*c.publish(publish{.qos = q1, .topic = "a"}, t0) == 1);
  static_cast<void>(sent(c));
  c.connection_lost(t0);
  static_cast<void>(poll_all(c));
  CHECK(c.in_flight() == 0);
  REQUIRE(c.publish(publish{.qos = q1, .topic = "b"}, t0));  // published while away
  REQUIRE(c.open(hello(true), t0) == errc::success);
  static_cast<void>(sent(c));
  receive(c, "20 02 00 00", t0);
  static_cast<void>(poll_all(c));
  const std::string out = sent(c);
  CHECK(out == wire("32 05 00 01 62 00 02"));
}

TEST_CASE("client: disconnect() writes DISCONNECT and closes with success") {
  client_session c = connected_client();
  c.disconnect(t0);
  CHECK(sent(c) == wire("e0 00"));
  CHECK(only_close(poll_all(c)).reason == error{});
  CHECK(c.state() == link_state::disconnected);
  // Later input is ignored, commands refuse.
  receive(c, "30 03 00 01 61", t0);
  CHECK(poll_all(c).empty());
  CHECK(c.publish(publish{.topic = "a"}, t0).error() == error{errc::not_connected, 0});
}

TEST_CASE("client: a decode error closes with its code and the stream offset of the packet") {
  client_session c = connected_client();
  receive(c, "d0 00  40 03 00 01 00", t0);  // PINGRESP, then a PUBACK of 3 body bytes
  const events::closed x = only_close(poll_all(c));
  CHECK(x.reason == error{errc::impossible_remaining_length, 6});  // after CONNACK (4) + PINGRESP (2)
}

TEST_CASE("client: the state goes into a new session and on over a restart") {
  client_session c = connected_client({}, false);
  REQUIRE(*c.publish(publish{.qos = q1, .topic = "a", .payload = "1"}, t0) == 1);
  static_cast<void>(sent(c));
  c.connection_lost(t0);
  static_cast<void>(poll_all(c));
  const auto saved_state = serialise(c.take_state());
  REQUIRE(saved_state);
  const std::vector<char>& saved = *saved_state;
  auto back = deserialise(bytes_view(saved.data(), saved.size()));
  REQUIRE(back);
  CHECK(back->client_id == "c1");
  REQUIRE(back->outgoing.size() == 1);
  client_session restarted({}, std::move(*back));
  REQUIRE(restarted.open(hello(false), t0) == errc::success);
  static_cast<void>(sent(restarted));
  receive(restarted, "20 02 01 00", t0);
  static_cast<void>(poll_all(restarted));
  CHECK(sent(restarted) == wire("3a 06 00 01 61 00 01 31"));
  // The restored id is in use: the next message gets another.
  CHECK(*restarted.publish(publish{.qos = q1, .topic = "a"}, t0) == 2);
}

TEST_CASE("client: [MQTT-4.6.0-4] PUBRELs go out in the order the PUBRECs came") {
  client_session c = connected_client();
  REQUIRE(*c.publish(publish{.qos = q2, .topic = "a"}, t0) == 1);
  REQUIRE(*c.publish(publish{.qos = q2, .topic = "b"}, t0) == 2);
  static_cast<void>(sent(c));
  receive(c, "50 02 00 02  50 02 00 01", t0);
  CHECK(poll_all(c).empty());
  CHECK(sent(c) == wire("62 02 00 02  62 02 00 01"));
}

TEST_CASE("client: the keep-alive counts from the last packet sent across release_idle_memory()") {
  client_session c = connected_client();
  REQUIRE(c.publish(publish{.topic = "a"}, t0 + 4s));
  CHECK(sent(c) == wire("30 03 00 01 61"));
  static_cast<void>(c.release_idle_memory());  // the output block goes, the count of bytes stays
  CHECK(c.next_deadline() == t0 + 14s);
  // The same packet again, into a new output block: still a packet sent, so the timer moves.
  REQUIRE(c.publish(publish{.topic = "a"}, t0 + 6s));
  CHECK(sent(c) == wire("30 03 00 01 61"));
  static_cast<void>(c.release_idle_memory());
  CHECK(c.next_deadline() == t0 + 16s);
  c.on_timeout(t0 + 14s);
  CHECK(sent(c).empty());
  c.on_timeout(t0 + 16s);
  CHECK(sent(c) == wire("c0 00"));
  const auto evs = poll_all(c);
  REQUIRE(evs.size() == 1);
  CHECK(std::holds_alternative<events::keep_alive>(evs[0]));
}
