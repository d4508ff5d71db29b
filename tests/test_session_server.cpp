// SPDX-License-Identifier: MIT
// server_session, scripted byte for byte: the CONNECT rules and answers, every flow of MQTT
// 3.1.1 §4.3 to §4.6 from the server's side, the keep-alive watchdog, wills, redelivery.
#include "session_support.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace session_test;
using mqttwire_test::operator<<;

namespace {

using mqttwire_test::q0;
using mqttwire_test::q1;
using mqttwire_test::q2;

// CONNECT "c1", keep alive 10 s, Clean Session as given, with a will "w" = "bye" at QoS 1.
constexpr std::string_view connect_clean = "10 0e 00 04 4d 51 54 54 04 02 00 0a 00 02 63 31";
constexpr std::string_view connect_kept = "10 0e 00 04 4d 51 54 54 04 00 00 0a 00 02 63 31";
constexpr std::string_view connect_will =
    "10 16 00 04 4d 51 54 54 04 0e 00 0a 00 02 63 31  00 01 77  00 03 62 79 65";
constexpr std::string_view connect_31 =
    "10 10 00 06 4d 51 49 73 64 70 03 02 00 0a 00 02 63 31";

// A server session that has accepted `connect_hex` (its CONNACK taken).
server_session accepted(std::string_view connect_hex = connect_clean, server_options o = {},
                        std::optional<session_state> resumed = std::nullopt) {
  server_session s(o, t0);
  receive(s, connect_hex, t0);
  const auto evs = poll_all(s);
  REQUIRE(evs.size() == 1);
  REQUIRE(std::holds_alternative<events::connect_requested>(evs[0]));
  REQUIRE(s.accept(t0, std::move(resumed)) == errc::success);
  return s;
}

events::closed only_close(const std::vector<server_event>& evs) {
  REQUIRE(evs.size() == 1);
  REQUIRE(std::holds_alternative<events::closed>(evs[0]));
  return std::get<events::closed>(evs[0]);
}

shared_message message(std::string_view topic, std::string_view payload, qos_level q) {
  return *make_shared_message(publish{.qos = q, .topic = topic,
                                      .packet_id = q == q0 ? std::nullopt
                                                           : std::optional<std::uint16_t>(99),
                                      .payload = payload});
}

}  // namespace

TEST_CASE("server: CONNECT is reported, nothing after it is read until accept(), then CONNACK 0") {
  server_session s({}, t0);
  CHECK(s.state() == link_state::connecting);
  receive(s, std::string(connect_clean) + " c0 00", t0);  // CONNECT, then a PINGREQ
  auto evs = poll_all(s);
  REQUIRE(evs.size() == 1);
  const connect& c = std::get<events::connect_requested>(evs[0]).request;
  CHECK(c.client_id == "c1");
  CHECK(c.keep_alive == 10);
  CHECK(s.state() == link_state::authorizing);
  CHECK(poll_all(s).empty());  // [MQTT-3.1.4-5]: the PINGREQ waits
  CHECK(sent(s).empty());
  REQUIRE(s.accept(t0) == errc::success);
  CHECK(sent(s) == wire("20 02 00 00"));  // [MQTT-3.2.0-1]: CONNACK first
  CHECK(poll_all(s).empty());
  CHECK(sent(s) == wire("d0 00"));  // [MQTT-3.12.4-1]
  CHECK(s.client_id() == "c1");
  CHECK(s.accept(t0) == errc::unexpected_packet);
}

TEST_CASE("server: [MQTT-3.1.0-1] a first packet other than CONNECT closes at once, silently") {
  server_session s({}, t0);
  receive(s, "c0", t0);  // the first byte of a PINGREQ is enough
  CHECK(only_close(poll_all(s)).reason == error{errc::first_packet_not_connect, 0});
  CHECK(sent(s).empty());
}

TEST_CASE("server: [MQTT-3.1.0-2] a second CONNECT closes the connection, with the will") {
  server_session s = accepted(connect_will);
  static_cast<void>(sent(s));
  receive(s, connect_clean, t0);
  const events::closed x = only_close(poll_all(s));
  CHECK(x.reason == error{errc::second_connect, 24});
  CHECK(x.publish_will);
}

TEST_CASE("server: CONNECTs the packet alone refuses are answered by the session") {
  // An unsupported protocol level: CONNACK 1 (3.1.1 §3.1.2.2), then close.
  server_session level({}, t0);
  receive(level, "10 0e 00 04 4d 51 54 54 05 02 00 0a 00 02 63 31", t0);
  events::closed x = only_close(poll_all(level));
  CHECK(x.reason == error{errc::unsupported_protocol_level, 0});
  CHECK(x.refusal == connect_return_code::unacceptable_protocol_version);
  CHECK(sent(level) == wire("20 02 00 01"));
  // [MQTT-3.1.3-8]: an empty client id with Clean Session 0: CONNACK 2.
  server_session empty({}, t0);
  receive(empty, "10 0c 00 04 4d 51 54 54 04 00 00 0a 00 00", t0);
  x = only_close(poll_all(empty));
  CHECK(x.reason == error{errc::connection_refused, 0});
  CHECK(x.refusal == connect_return_code::identifier_rejected);
  CHECK(sent(empty) == wire("20 02 00 02"));
  // MQTT 3.1: a client id over 23 characters, unless the policy accepts it.
  std::string id24;
  for (int i = 0; i < 24; ++i) id24 += " 61";
  server_session strict({}, t0);
  receive(strict, "10 26 00 06 4d 51 49 73 64 70 03 02 00 0a 00 18" + id24, t0);
  CHECK(only_close(poll_all(strict)).refusal == connect_return_code::identifier_rejected);
  CHECK(sent(strict) == wire("20 02 00 02"));
  server_session lenient(server_options{.policy = {.accept_long_3_1_client_ids = true}}, t0);
  receive(lenient, "10 26 00 06 4d 51 49 73 64 70 03 02 00 0a 00 18" + id24, t0);
  CHECK(poll_all(lenient).size() == 1);
}

TEST_CASE("server: reject() sends the code and closes without the will ([MQTT-3.2.2-5])") {
  for (const connect_return_code code :
       {connect_return_code::server_unavailable, connect_return_code::bad_username_or_password,
        connect_return_code::not_authorized}) {
    server_session s({}, t0);
    receive(s, connect_will, t0);
    REQUIRE(poll_all(s).size() == 1);
    REQUIRE(s.reject(code, t0) == errc::success);
    CHECK(sent(s) == wire("20 02 00 0" + std::to_string(static_cast<int>(code))));
    const events::closed x = only_close(poll_all(s));
    CHECK(x.refusal == code);
    CHECK_FALSE(x.publish_will);
  }
  server_session s({}, t0);
  CHECK(s.reject(connect_return_code::not_authorized, t0) == errc::unexpected_packet);
}

TEST_CASE("server: no CONNECT within connect_timeout closes the connection") {
  server_session s(server_options{.connect_timeout = std::chrono::seconds(3)}, t0);
  CHECK(s.next_deadline() == t0 + 3s);
  receive(s, "10 0e 00 04", t0 + 1s);  // half a CONNECT, then nothing
  s.on_timeout(t0 + 2s);
  CHECK(poll_all(s).empty());
  s.on_timeout(t0 + 3s);
  const events::closed x = only_close(poll_all(s));
  CHECK(x.reason == error{errc::connect_timeout, 0});
  CHECK_FALSE(x.publish_will);
}

TEST_CASE("server: accept() of a resumed session: Session Present, then its messages again") {
  session_state kept;
  kept.client_id = "c1";
  kept.outgoing.push_back({4, out_stage::awaiting_puback, q1, false, message("a", "1", q1)});
  kept.outgoing.push_back({5, out_stage::awaiting_pubcomp, q2, false, nullptr});
  kept.outgoing.push_back({0, out_stage::queued, q2, false, message("b", "2", q2)});
  kept.incoming_qos2 = {9};
  kept.subscriptions = {{"a/#", q1}};
  server_session s = accepted(connect_kept, {}, kept);
  CHECK(sent(s) == wire("20 02 01 00"            // CONNACK, Session Present
                        "3a 06 00 01 61 00 04 31"  // [MQTT-4.4.0-1] PUBLISH again, DUP, id 4
                        "62 02 00 05"              // PUBREL 5 again
                        "34 06 00 01 62 00 01 32"));  // the queued one, first sent: a new id
  // The kept inbound QoS 2 id still suppresses a resend ([MQTT-4.3.3-2]).
  receive(s, "3c 05 00 01 78 00 09", t0);
  CHECK(poll_all(s).empty());
  CHECK(sent(s) == wire("50 02 00 09"));
  CHECK(s.export_state().subscriptions == kept.subscriptions);
  // A clean session ignores what is offered and says Session Present 0 ([MQTT-3.2.2-1]).
  server_session fresh = accepted(connect_clean, {}, kept);
  CHECK(sent(fresh) == wire("20 02 00 00"));
  CHECK(fresh.in_flight() == 0);
}

TEST_CASE("server: [MQTT-4.3.2-2] [MQTT-4.3.3-2] inbound QoS 1 and 2, each handed over once") {
  server_session s = accepted();
  static_cast<void>(sent(s));
  receive(s, "30 03 00 01 61  32 05 00 01 62 00 01  34 05 00 01 63 00 02", t0);
  auto evs = poll_all(s);
  REQUIRE(evs.size() == 3);
  CHECK(std::get<events::message>(evs[0]).msg == publish{.topic = "a"});
  CHECK(std::get<events::message>(evs[1]).msg == publish{.qos = q1, .topic = "b", .packet_id = 1});
  CHECK(std::get<events::message>(evs[2]).msg == publish{.qos = q2, .topic = "c", .packet_id = 2});
  CHECK(sent(s) == wire("40 02 00 01  50 02 00 02"));
  receive(s, "3c 05 00 01 63 00 02  62 02 00 02", t0);  // a resend, then PUBREL
  CHECK(poll_all(s).empty());
  CHECK(sent(s) == wire("50 02 00 02  70 02 00 02"));
}

TEST_CASE("server: manual acknowledgement holds PUBACK/PUBREC until acknowledge(), in order") {
  server_session s = accepted(connect_clean, server_options{.manual_acks = true});
  static_cast<void>(sent(s));
  receive(s, "32 05 00 01 62 00 01  34 05 00 01 63 00 02", t0);
  CHECK(poll_all(s).size() == 2);
  CHECK(sent(s).empty());
  s.acknowledge(2, t0);
  CHECK(sent(s).empty());
  s.acknowledge(1, t0);
  CHECK(sent(s) == wire("40 02 00 01  50 02 00 02"));
}

TEST_CASE("server: SUBSCRIBE is answered by grant(); UNSUBSCRIBE at once") {
  server_session s = accepted();
  static_cast<void>(sent(s));
  receive(s, "82 0e 00 07 00 03 61 2f 2b 01 00 03 62 2f 23 02", t0);
  auto evs = poll_all(s);
  REQUIRE(evs.size() == 1);
  const auto& req = std::get<events::subscribe_requested>(evs[0]);
  CHECK(req.packet_id == 7);
  CHECK(req.subscriptions.size() == 2);
  const std::uint8_t too_few[] = {0x01};
  CHECK(s.grant(7, too_few, t0) == errc::return_code_count_mismatch);
  CHECK(s.grant(8, too_few, t0) == errc::packet_id_mismatch);
  const std::uint8_t codes[] = {0x01, 0x80};
  REQUIRE(s.grant(7, codes, t0) == errc::success);
  CHECK(sent(s) == wire("90 04 00 07 01 80"));  // [MQTT-3.8.4-2]
  CHECK(s.export_state().subscriptions == std::vector<stored_subscription>{{"a/+", q1}});
  CHECK(s.grant(7, codes, t0) == errc::packet_id_mismatch);  // answered already
  // grant_up_to gives each filter the lower of what it asked and the maximum.
  receive(s, "82 0e 00 08 00 03 61 2f 2b 02 00 03 62 2f 23 00", t0);
  REQUIRE(poll_all(s).size() == 1);
  REQUIRE(s.grant_up_to(8, q1, t0) == errc::success);
  CHECK(sent(s) == wire("90 04 00 08 01 00"));
  CHECK(s.export_state().subscriptions ==
        std::vector<stored_subscription>{{"a/+", q1}, {"b/#", q0}});  // replaced, added
  receive(s, "a2 07 00 09 00 03 61 2f 2b", t0);
  evs = poll_all(s);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::unsubscribe_requested>(evs[0]).packet_id == 9);
  CHECK(sent(s) == wire("b0 02 00 09"));
  CHECK(s.export_state().subscriptions == std::vector<stored_subscription>{{"b/#", q0}});
  // [MQTT-3.10.4-5]: an UNSUBACK also when nothing matched.
  receive(s, "a2 05 00 0a 00 01 7a", t0);
  static_cast<void>(poll_all(s));
  CHECK(sent(s) == wire("b0 02 00 0a"));
}

TEST_CASE("server: MQTT 3.1 refuses no subscription (grant_up_to) and a 0x80 grant is an error") {
  server_session s = accepted(connect_31);
  static_cast<void>(sent(s));
  receive(s, "82 06 00 01 00 01 61 02", t0);
  REQUIRE(poll_all(s).size() == 1);
  const std::uint8_t failure[] = {0x80};
  CHECK(s.grant(1, failure, t0) == errc::invalid_suback_return_code);
  REQUIRE(s.grant_up_to(1, q2, t0) == errc::success);
  CHECK(sent(s) == wire("90 03 00 01 02"));
}

TEST_CASE("server: deliver() at the lower QoS, with the session's own ids and window") {
  server_session s = accepted(connect_clean, server_options{.max_inflight = 2, .max_queued = 1});
  static_cast<void>(sent(s));
  const shared_message m2 = message("t", "x", q2);
  const shared_message m0 = message("t", "y", q0);
  REQUIRE(s.deliver(m2, q0, false, t0) == errc::success);  // [MQTT-3.8.4-6]: QoS 0
  CHECK(sent(s) == wire("30 04 00 01 74 78"));
  REQUIRE(s.deliver(m0, q2, true, t0) == errc::success);  // QoS 0 stays 0; RETAIN as asked
  CHECK(sent(s) == wire("31 04 00 01 74 79"));
  REQUIRE(s.deliver(m2, q1, false, t0) == errc::success);
  REQUIRE(s.deliver(m2, q2, false, t0) == errc::success);
  CHECK(sent(s) == wire("32 06 00 01 74 00 01 78  34 06 00 01 74 00 02 78"));
  REQUIRE(s.deliver(m2, q1, false, t0) == errc::success);  // waits: the window is full
  CHECK(sent(s).empty());
  CHECK(s.deliver(m2, q1, false, t0) == errc::queue_full);  // max_queued 1
  receive(s, "40 02 00 01", t0);  // PUBACK 1: the waiting one goes out with id 3
  auto evs = poll_all(s);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::delivered>(evs[0]) == events::delivered{1, q1});
  CHECK(sent(s) == wire("32 06 00 01 74 00 03 78"));
  receive(s, "50 02 00 02", t0);
  CHECK(poll_all(s).empty());
  CHECK(sent(s) == wire("62 02 00 02"));
  receive(s, "70 02 00 02", t0);
  evs = poll_all(s);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<events::delivered>(evs[0]) == events::delivered{2, q2});
  // Not connected: the broker queues into the kept state instead.
  server_session waiting({}, t0);
  CHECK(waiting.deliver(m2, q1, false, t0) == errc::not_connected);
}

TEST_CASE("server: QoS 0 deliveries past max_output are dropped with queue_full") {
  server_session s = accepted(connect_clean, server_options{.max_output = 10});
  const shared_message m = message("t", "x", q0);  // 6 bytes; the CONNACK (4) is pending too
  CHECK(s.deliver(m, q0, false, t0) == errc::success);
  CHECK(s.deliver(m, q0, false, t0) == errc::queue_full);
  static_cast<void>(sent(s));
  CHECK(s.deliver(m, q0, false, t0) == errc::success);
}

TEST_CASE("server: [MQTT-3.1.2-24] silence for 1.5 x keep-alive closes, and the will is due") {
  server_session s = accepted(connect_will);
  CHECK(s.next_deadline() == t0 + 15s);
  receive(s, "c0 00", t0 + 10s);  // traffic moves the watchdog
  static_cast<void>(poll_all(s));
  CHECK(s.next_deadline() == t0 + 25s);
  s.on_timeout(t0 + 24s);
  CHECK(poll_all(s).empty());
  s.on_timeout(t0 + 25s);
  const events::closed x = only_close(poll_all(s));
  CHECK(x.reason.code == errc::keep_alive_timeout);
  CHECK(x.publish_will);
  const auto will = s.will_message();
  REQUIRE(will);
  CHECK(will->topic == "w");
  CHECK(will->payload == "bye");
  CHECK(will->qos == q1);
  CHECK_FALSE(will->retain);
}

TEST_CASE("server: [MQTT-3.14.4-3] DISCONNECT drops the will; a lost connection publishes it") {
  server_session bye = accepted(connect_will);
  receive(bye, "e0 00", t0);
  events::closed x = only_close(poll_all(bye));
  CHECK(x.reason == error{});
  CHECK_FALSE(x.publish_will);
  server_session lost = accepted(connect_will);
  lost.connection_lost(t0);
  x = only_close(poll_all(lost));
  CHECK(x.reason.code == errc::connection_lost);
  CHECK(x.publish_will);
  // close() from the broker, e.g. a takeover ([MQTT-3.1.4-2]): the will is due too.
  server_session taken = accepted(connect_will);
  taken.close(errc::session_taken_over, t0);
  x = only_close(poll_all(taken));
  CHECK(x.reason == error{errc::session_taken_over, 0});
  CHECK(x.publish_will);
  // No will without a will flag ([MQTT-3.1.2-12]).
  server_session none = accepted();
  none.connection_lost(t0);
  CHECK_FALSE(only_close(poll_all(none)).publish_will);
}

TEST_CASE("server: packets only a server sends close the connection") {
  for (const std::string_view bad : {"20 02 00 00", "90 03 00 01 00", "b0 02 00 01", "d0 00"}) {
    INFO(bad);
    server_session s = accepted();
    receive(s, bad, t0);
    CHECK(only_close(poll_all(s)).reason == error{errc::unexpected_packet, 16});
  }
}

TEST_CASE("server: too many QoS 2 messages awaiting PUBREL closes with too_many_unreleased") {
  server_session s = accepted(connect_clean, server_options{.max_unreleased = 2});
  receive(s, "34 05 00 01 61 00 01  34 05 00 01 61 00 02  34 05 00 01 61 00 03", t0);
  const auto evs = poll_all(s);
  REQUIRE(evs.size() == 3);
  CHECK(std::get<events::closed>(evs[2]).reason == error{errc::too_many_unreleased, 30});
}

TEST_CASE("server: take_state() after the close carries the session to the next connection") {
  server_session s = accepted(connect_kept);
  static_cast<void>(sent(s));
  receive(s, "82 06 00 01 00 01 61 01", t0);
  REQUIRE(poll_all(s).size() == 1);
  REQUIRE(s.grant_up_to(1, q2, t0) == errc::success);
  REQUIRE(s.deliver(message("a", "1", q1), q1, false, t0) == errc::success);
  CHECK(sent(s) == wire("90 03 00 01 01  32 06 00 01 61 00 01 31"));
  s.connection_lost(t0);
  static_cast<void>(poll_all(s));
  session_state kept = s.take_state();
  CHECK(kept.client_id == "c1");
  CHECK(kept.subscriptions == std::vector<stored_subscription>{{"a", q1}});
  REQUIRE(kept.outgoing.size() == 1);
  CHECK(kept.outgoing[0].stage == out_stage::awaiting_puback);
  // Offline, the broker queues (QoS 0 is not kept for an offline client).
  CHECK(kept.enqueue(message("a", "2", q1), q1, 10) == errc::success);
  CHECK(kept.enqueue(message("a", "3", q0), q0, 10) == errc::success);
  CHECK(kept.outgoing.size() == 2);
  CHECK(kept.enqueue(message("a", "4", q1), q1, 1) == errc::queue_full);
  // Through a restart: serialised and read back, equal.
  const auto saved = serialise(kept);
  REQUIRE(saved);
  const std::vector<char>& bytes = *saved;
  const auto back = deserialise(bytes_view(bytes.data(), bytes.size()));
  REQUIRE(back);
  CHECK(*back == kept);
  server_session again = accepted(connect_kept, {}, *back);
  CHECK(sent(again) == wire("20 02 01 00  3a 06 00 01 61 00 01 31  32 06 00 01 61 00 02 32"));
}

TEST_CASE("server: [MQTT-3.1.2-16] [MQTT-3.1.2-17] the will keeps its RETAIN and QoS") {
  // Will flag, Will QoS 2, Will Retain: flags 0x36 (with Clean Session).
  server_session s = accepted("10 16 00 04 4d 51 54 54 04 36 00 0a 00 02 63 31  00 01 77  00 03 62 79 65");
  const auto will = s.will_message();
  REQUIRE(will);
  CHECK(will->retain);
  CHECK(will->qos == q2);
  CHECK(validate(*will) == errc::success);  // ready to be kept and sent
  CHECK_FALSE(accepted().will_message());
}

TEST_CASE("server: [MQTT-3.3.1-3] DUP on a delivery is the session's own, not the publisher's") {
  server_session publisher = accepted();
  static_cast<void>(sent(publisher));
  receive(publisher, "3a 06 00 01 74 00 05 78", t0);  // DUP 1, QoS 1, id 5
  const auto evs = poll_all(publisher);
  REQUIRE(evs.size() == 1);
  const publish& in = std::get<events::message>(evs[0]).msg;
  CHECK(in.dup);
  const auto kept = make_shared_message(in);
  REQUIRE(kept);
  server_session subscriber = accepted();
  static_cast<void>(sent(subscriber));
  REQUIRE(subscriber.deliver(*kept, q1, false, t0) == errc::success);
  CHECK(sent(subscriber) == wire("32 06 00 01 74 00 01 78"));  // DUP 0, its own id
}

TEST_CASE("server: [MQTT-3.10.4-3] deliveries already started complete after an UNSUBSCRIBE") {
  server_session s = accepted();
  static_cast<void>(sent(s));
  REQUIRE(s.deliver(message("t", "x", q2), q2, false, t0) == errc::success);
  CHECK(sent(s) == wire("34 06 00 01 74 00 01 78"));
  receive(s, "a2 05 00 02 00 01 74  50 02 00 01  70 02 00 01", t0);
  const auto evs = poll_all(s);
  REQUIRE(evs.size() == 2);
  CHECK(std::holds_alternative<events::unsubscribe_requested>(evs[0]));
  CHECK(std::get<events::delivered>(evs[1]) == events::delivered{1, q2});
  CHECK(sent(s) == wire("b0 02 00 02  62 02 00 01"));
}
