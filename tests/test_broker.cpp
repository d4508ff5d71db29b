// SPDX-License-Identifier: MIT
// examples/broker/broker.hpp, the broker's routing core, with client_sessions in memory and
// fake time: subscriptions, retained messages, wills, fan-out, $-topics, offline queues,
// takeover, refusals, and persistent state across a simulated restart.
#include "broker_support.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

using namespace broker_test;

namespace {

using strings = std::vector<std::string>;

connect persistent(std::string_view id, std::uint16_t keep_alive = 0) {
  return connect{.clean_session = false, .keep_alive = keep_alive, .client_id = id};
}

}  // namespace

TEST_CASE("broker: QoS 0, 1 and 2 are delivered at the lower of the message's and the granted QoS") {
  broker_net n;
  n.connect("sub");
  n.connect("pub");
  n.subscribe("sub", "a/0", qos_level::at_most_once);
  n.subscribe("sub", "a/1", qos_level::at_least_once);
  n.subscribe("sub", "a/2", qos_level::exactly_once);
  CHECK(n.at("sub").log.subacks == std::vector<std::vector<std::uint8_t>>{{0}, {1}, {2}});
  for (const auto* t : {"a/0", "a/1", "a/2"}) {
    n.publish("pub", t, "x0", qos_level::at_most_once);
    n.publish("pub", t, "x1", qos_level::at_least_once);
    n.publish("pub", t, "x2", qos_level::exactly_once);
  }
  CHECK(n.at("sub").log.messages == strings{"a/0 x0 q0", "a/0 x1 q0", "a/0 x2 q0",
                                            "a/1 x0 q0", "a/1 x1 q1", "a/1 x2 q1",
                                            "a/2 x0 q0", "a/2 x1 q1", "a/2 x2 q2"});
  CHECK(n.at("pub").log.delivered.size() == 6);  // every QoS 1/2 publish completed
  CHECK(n.core.stats().published == 9);
  CHECK(n.core.stats().deliveries == 9);
  CHECK(n.log.at(0) == "connect client=sub version=3.1.1 clean=1 from=127.0.0.1:40000");
  CHECK(n.log.at(1) == "connect client=pub version=3.1.1 clean=1 from=127.0.0.1:40001");
}

TEST_CASE("broker: overlapping filters give one delivery per client, at its highest granted QoS") {
  broker_net n;
  n.connect("sub");
  n.connect("other");
  n.connect("pub");
  n.subscribe("sub", "a/+", qos_level::at_most_once);
  n.subscribe("sub", "a/#", qos_level::exactly_once);
  n.subscribe("sub", "a/b", qos_level::at_least_once);
  n.subscribe("other", "#", qos_level::at_most_once);
  CHECK(n.core.subscriptions() == 4);
  n.publish("pub", "a/b", "two", qos_level::exactly_once);
  n.publish("pub", "a/b", "one", qos_level::at_least_once);
  n.publish("pub", "a/c", "zero", qos_level::at_most_once);
  CHECK(n.at("sub").log.messages == strings{"a/b two q2", "a/b one q1", "a/c zero q0"});
  CHECK(n.at("other").log.messages == strings{"a/b two q0", "a/b one q0", "a/c zero q0"});
}

TEST_CASE("broker: a message is encoded once, plus once without packet id for QoS 0 subscribers") {
  broker_net n;
  for (const auto* s : {"s0", "s0b", "s1", "s2"}) n.connect(s);
  n.connect("pub");
  n.subscribe("s0", "t", qos_level::at_most_once);
  n.subscribe("s0b", "t", qos_level::at_most_once);
  n.subscribe("s1", "t", qos_level::at_least_once);
  n.subscribe("s2", "t", qos_level::exactly_once);
  n.publish("pub", "t", "hello", qos_level::exactly_once);
  CHECK(n.core.stats().encodings == 2);  // 4 subscribers, 2 layouts
  CHECK(n.core.stats().deliveries == 4);
  n.publish("pub", "t", "plain", qos_level::at_most_once);
  CHECK(n.core.stats().encodings == 3);
  n.publish("pub", "t", "one", qos_level::at_least_once);
  CHECK(n.core.stats().encodings == 5);
  CHECK(n.at("s0").log.messages == strings{"t hello q0", "t plain q0", "t one q0"});
  CHECK(n.at("s2").log.messages == strings{"t hello q2", "t plain q0", "t one q1"});
  // The QoS 0 copy is the exact PUBLISH a QoS 0 subscriber gets: 30 06 00 01 't' "one".
  const std::string& wire = n.at("s0b").bytes_in;
  CHECK(wire.substr(wire.size() - 8) == std::string("\x30\x06\x00\x01tone", 8));
}

TEST_CASE("broker: retained messages are set, replaced and cleared by an empty payload") {
  broker_net n;
  n.connect("pub");
  n.connect("live");
  n.subscribe("live", "r/#", qos_level::at_least_once);
  n.publish("pub", "r/1", "first", qos_level::at_least_once, true);
  n.publish("pub", "r/1", "second", qos_level::at_least_once, true);
  n.publish("pub", "r/2", "kept", qos_level::at_most_once, true);
  CHECK(n.core.retained().size() == 2);
  // [MQTT-3.3.1-9]: existing subscribers get RETAIN 0.
  CHECK(n.at("live").log.messages == strings{"r/1 first q1", "r/1 second q1", "r/2 kept q0"});
  n.connect("late");
  n.subscribe("late", "r/+", qos_level::exactly_once);
  // [MQTT-3.3.1-6], -8: the replaced value, RETAIN 1, at the message's own QoS.
  CHECK(n.at("late").log.messages == strings{"r/1 second q1 retain", "r/2 kept q0 retain"});
  n.publish("pub", "r/1", "", qos_level::at_least_once, true);
  CHECK(n.core.retained().size() == 1);
  CHECK(n.at("live").log.messages.back() == "r/1  q1");  // the clear is delivered as normal
  n.connect("later");
  n.subscribe("later", "r/#", qos_level::exactly_once);
  CHECK(n.at("later").log.messages == strings{"r/2 kept q0 retain"});
}

TEST_CASE("broker: the will is published when the connection fails or times out, not after DISCONNECT") {
  broker_net n;
  n.connect("watch");
  n.subscribe("watch", "will/#", qos_level::exactly_once);
  const auto with_will = [](std::string_view id, std::uint16_t keep_alive) {
    return connect{.keep_alive = keep_alive,
                   .client_id = id,
                   .will = last_will{.topic = "will/gone", .payload = id,
                                     .qos = qos_level::at_least_once, .retain = true}};
  };
  n.connect("_a", with_will("a", 0));
  n.cut("_a");
  CHECK(n.at("watch").log.messages == strings{"will/gone a q1"});
  CHECK(n.log.back() == "disconnect client=a reason=connection_lost");
  CHECK(n.core.retained().count("will/gone") == 1);  // the will's RETAIN is kept

  n.connect("_b", with_will("b", 10));
  n.disconnect("_b");
  CHECK(n.at("watch").log.messages.size() == 1);
  CHECK(n.log.back() == "disconnect client=b reason=disconnect");

  // [MQTT-3.1.2-24]: 1.5 times the keep-alive without a byte: the client is dead.
  n.connect("_c", with_will("c", 10));
  n.at("_c").mute = true;  // the client hangs (no PINGREQ)
  n.advance(14s);
  CHECK(n.at("watch").log.messages.size() == 1);
  n.advance(1s);
  CHECK(n.at("watch").log.messages == strings{"will/gone a q1", "will/gone c q1"});
  CHECK(n.log.back() == "disconnect client=c reason=keep_alive_timeout");
}

TEST_CASE("broker: leading wildcards do not match $-topics ([MQTT-4.7.2-1])") {
  broker_net n;
  n.connect("all");
  n.connect("plus");
  n.connect("sys");
  n.connect("pub");
  n.subscribe("all", "#", qos_level::at_most_once);
  n.subscribe("plus", "+/broker", qos_level::at_most_once);
  n.subscribe("sys", "$SYS/#", qos_level::at_most_once);
  n.publish("pub", "$SYS/broker", "s");
  n.publish("pub", "x/broker", "x");
  CHECK(n.at("all").log.messages == strings{"x/broker x q0"});
  CHECK(n.at("plus").log.messages == strings{"x/broker x q0"});
  CHECK(n.at("sys").log.messages == strings{"$SYS/broker s q0"});
}

TEST_CASE("broker: an offline persistent session queues QoS 1/2 up to its limit, not QoS 0") {
  broker_net n(broker_options{.max_queued = 3});
  n.connect("away", persistent("away"));
  n.subscribe("away", "q/#", qos_level::exactly_once);
  n.disconnect("away");
  CHECK(n.core.connections() == 0);
  CHECK(n.core.clients() == 1);
  n.connect("pub");
  n.publish("pub", "q/0", "lost", qos_level::at_most_once);
  for (int i = 1; i <= 5; ++i) n.publish("pub", "q/" + std::to_string(i), "m", qos_level::at_least_once);
  n.publish("pub", "q/6", "late", qos_level::exactly_once);
  const session_state* kept = n.core.offline_session("away");
  REQUIRE(kept != nullptr);
  CHECK(kept->outgoing.size() == 3);
  CHECK(n.core.stats().dropped == 3);
  CHECK(n.log.back() == "drop client=away reason=queue_full");  // once per run of drops
  n.connect("away", persistent("away"));
  CHECK(n.at("away").log.session_present == true);
  CHECK(n.at("away").log.messages == strings{"q/1 m q1", "q/2 m q1", "q/3 m q1"});
  CHECK(n.core.offline_session("away") == nullptr);
  // Still subscribed: the session kept its subscription.
  n.publish("pub", "q/7", "again", qos_level::exactly_once);
  CHECK(n.at("away").log.messages.back() == "q/7 again q2");
}

TEST_CASE("broker: a clean session ends with its connection; Clean Session 1 discards a kept one") {
  broker_net n;
  n.connect("c");
  n.subscribe("c", "t", qos_level::at_least_once);
  n.disconnect("c");
  CHECK(n.core.clients() == 0);
  CHECK(n.core.subscriptions() == 0);
  n.connect("p", persistent("p"));
  n.subscribe("p", "t", qos_level::at_least_once);
  n.disconnect("p");
  CHECK(n.core.subscriptions() == 1);
  n.connect("p", connect{.clean_session = true, .client_id = "p"});
  CHECK(n.at("p").log.session_present == false);
  CHECK(n.core.subscriptions() == 0);
}

TEST_CASE("broker: a second connection with the same client id takes the session over ([MQTT-3.1.4-2])") {
  broker_net n;
  n.connect("pub");
  n.connect("first", persistent("car"));
  n.subscribe("first", "cars/#", qos_level::at_least_once);
  // The first connection stops acknowledging: its client gets the message, the PUBACK is lost.
  n.at("first").mute = true;
  n.publish("pub", "cars/7", "where", qos_level::at_least_once);
  n.connect("second", persistent("car"));
  REQUIRE(n.at("first").link == nullptr);  // closed by the broker
  CHECK(n.core.connections() == 2);
  CHECK(n.log.at(n.log.size() - 2) == "disconnect client=car reason=session_taken_over");
  CHECK(n.log.back() ==
        "connect client=car version=3.1.1 clean=0 resumed=1 from=127.0.0.1:40002");
  CHECK(n.at("second").log.session_present == true);
  // [MQTT-4.4.0-1]: the unacknowledged message again, DUP 1; and the subscription goes on.
  CHECK(n.at("second").log.messages == strings{"cars/7 where q1 dup"});
  n.publish("pub", "cars/8", "here", qos_level::at_least_once);
  CHECK(n.at("second").log.messages.back() == "cars/8 here q1");
}

TEST_CASE("broker: empty client ids are assigned; refusals use their CONNACK codes") {
  broker_options o;
  o.users = {{"alice", "secret"}};
  o.max_connections = 2;
  broker_net n(o);
  n.connect("_anon", connect{.client_id = "", .username = "alice", .password = "secret"});
  CHECK(n.at("_anon").log.connects == 1);
  CHECK(n.log.back().starts_with("connect client=mqttwire-1 "));
  n.connect("nouser", connect{.client_id = "nouser"});
  CHECK(n.at("nouser").log.closes.at(0).refusal == connect_return_code::not_authorized);
  CHECK(n.log.back() == "refused client=nouser code=not_authorized from=127.0.0.1:40001");
  n.connect("wrong", connect{.client_id = "wrong", .username = "alice", .password = "guess"});
  CHECK(n.at("wrong").log.closes.at(0).refusal == connect_return_code::bad_username_or_password);
  n.connect("ok", connect{.client_id = "ok", .username = "alice", .password = "secret"});
  CHECK(n.at("ok").log.connects == 1);
  n.connect("full", connect{.client_id = "full", .username = "alice", .password = "secret"});
  CHECK(n.at("full").log.closes.at(0).refusal == connect_return_code::server_unavailable);
  // The session refuses by itself what the packet alone decides: 3.1.1 empty id, Clean 0.
  n.connect("_bad", connect{.clean_session = false, .client_id = ""});
  CHECK(n.at("_bad").log.closes.at(0).refusal == connect_return_code::identifier_rejected);
  CHECK(n.core.connections() == 2);
}

TEST_CASE("broker: 3.1 and 3.1.1 clients exchange messages") {
  broker_net n;
  n.connect("old", connect{.protocol = protocol_version::v3_1, .client_id = "old"});
  n.connect("new");
  n.subscribe("old", "t/#", qos_level::exactly_once);
  n.subscribe("new", "t/#", qos_level::exactly_once);
  n.publish("new", "t/a", "from-new", qos_level::exactly_once);
  n.publish("old", "t/b", "from-old", qos_level::at_least_once);
  CHECK(n.at("old").log.messages == strings{"t/a from-new q2", "t/b from-old q1"});
  CHECK(n.at("new").log.messages == strings{"t/a from-new q2", "t/b from-old q1"});
  CHECK(n.log.at(0) == "connect client=old version=3.1 clean=1 from=127.0.0.1:40000");
}

TEST_CASE("broker: protocol errors close the offender and are logged with errc and offset") {
  broker_net n;
  n.connect("good");
  n.subscribe("good", "t", qos_level::at_most_once);
  test_peer bad(n.core, n.now, "127.0.0.1:9");
  const std::string garbage = "GET / HTTP/1.1\r\n\r\n";
  bad.session.feed(bytes_view(garbage.data(), garbage.size()), n.now);
  n.core.pump(bad, n.now);
  CHECK(bad.session.state() == link_state::disconnected);
  CHECK(n.log.back() ==
        "protocol error client=? errc=first_packet_not_connect offset=0 from=127.0.0.1:9");
  n.connect("pub");
  n.publish("pub", "t", "still served");
  CHECK(n.at("good").log.messages == strings{"t still served q0"});
}

TEST_CASE("broker: with a store, QoS 1/2 is acknowledged only after the commit") {
  temp_dir dir;
  store s(dir.str());
  broker_net n({}, &s);
  n.auto_commit = false;
  n.connect("pub");
  n.core.commit(n.now);
  n.publish("pub", "t", "m", qos_level::at_least_once);
  CHECK(n.at("pub").log.delivered.empty());  // no PUBACK yet
  CHECK(n.core.commit_pending());
  n.core.commit(n.now);
  n.pump();
  CHECK(n.at("pub").log.delivered.size() == 1);
  n.publish("pub", "t", "m2", qos_level::exactly_once);
  CHECK(n.at("pub").log.delivered.size() == 1);  // the PUBREC waits
  n.core.commit(n.now);
  n.pump();
  CHECK(n.at("pub").log.delivered.size() == 2);
}

TEST_CASE("broker: retained messages and persistent sessions survive a restart") {
  temp_dir dir;
  {
    store s(dir.str());
    broker_net n({}, &s);
    n.connect("away", persistent("away"));
    n.subscribe("away", "q/#", qos_level::exactly_once);
    n.subscribe("away", "other", qos_level::at_least_once);
    n.disconnect("away");
    n.connect("pub");
    n.publish("pub", "q/1", "one", qos_level::at_least_once);
    n.publish("pub", "q/2", "two", qos_level::exactly_once);
    n.publish("pub", "keep", "r1", qos_level::at_least_once, true);
    n.publish("pub", "keep", "r2", qos_level::at_least_once, true);
    n.publish("pub", "drop", "x", qos_level::at_most_once, true);
    n.publish("pub", "drop", "", qos_level::at_most_once, true);
    CHECK(n.at("pub").log.delivered.size() == 4);
    // The broker dies here: nothing more than what the commits wrote.
  }
  store s(dir.str());
  broker_net n({}, &s);
  CHECK(n.log.at(0).starts_with("persist: replayed "));
  CHECK(n.log.at(0).ends_with(": 1 retained, 1 sessions"));
  REQUIRE(n.core.retained().size() == 1);
  CHECK(n.core.retained().at("keep")->view().payload == "r2");
  const session_state* kept = n.core.offline_session("away");
  REQUIRE(kept != nullptr);
  CHECK(kept->subscriptions == std::vector<stored_subscription>{
                                   {"q/#", qos_level::exactly_once},
                                   {"other", qos_level::at_least_once}});
  n.connect("away", persistent("away"));
  CHECK(n.at("away").log.session_present == true);
  CHECK(n.at("away").log.messages == strings{"q/1 one q1", "q/2 two q2"});
  n.connect("pub");
  n.publish("pub", "other", "after", qos_level::at_least_once);
  CHECK(n.at("away").log.messages.back() == "other after q1");
}

TEST_CASE("broker: an outgoing QoS 2 message keeps its packet id and stage across a crash") {
  temp_dir dir;
  std::uint16_t id = 0;
  {
    store s(dir.str());
    broker_net n({}, &s);
    n.connect("sub", persistent("sub"));
    n.subscribe("sub", "t", qos_level::exactly_once);
    n.connect("pub");
    // The subscriber's client is replaced by one that never answers: the PUBLISH stays at
    // awaiting_pubrec.
    n.at("sub").mute = true;
    n.auto_commit = false;
    const std::size_t before = n.at("sub").bytes_in.size();
    n.publish("pub", "t", "once", qos_level::exactly_once);
    // The PUBLISH waits for the commit that saves its packet id (write-ahead): were it sent
    // first, a crash could make the broker send it again under another id, a duplicate.
    CHECK(n.core.output_held(*n.at("sub").link));
    CHECK(n.at("sub").bytes_in.size() == before);
    n.core.commit(n.now);
    n.pump();
    CHECK_FALSE(n.core.output_held(*n.at("sub").link));
    const std::string& wire = n.at("sub").bytes_in;
    // 34 09 00 01 't' id "once"
    REQUIRE(wire.size() == before + 11);
    CHECK(wire.substr(wire.size() - 11, 5) == std::string("\x34\x09\x00\x01t", 5));
    id = static_cast<std::uint16_t>((static_cast<unsigned char>(wire[wire.size() - 6]) << 8) |
                                    static_cast<unsigned char>(wire[wire.size() - 5]));
    CHECK(id != 0);
  }  // kill -9
  store s(dir.str());
  broker_net n({}, &s);
  const session_state* kept = n.core.offline_session("sub");
  REQUIRE(kept != nullptr);
  REQUIRE(kept->outgoing.size() == 1);
  CHECK(kept->outgoing[0].stage == out_stage::awaiting_pubrec);
  CHECK(kept->outgoing[0].packet_id == id);
  n.connect("sub", persistent("sub"));
  CHECK(n.at("sub").log.messages == strings{"t once q2 dup"});  // same id, DUP 1
  const std::string& wire = n.at("sub").bytes_in;
  const auto at = wire.find(std::string("\x3c\x09\x00\x01t", 5));
  REQUIRE(at != std::string::npos);
  CHECK(static_cast<unsigned char>(wire[at + 6]) == (id & 0xFFu));
}

TEST_CASE("broker: a torn last record is ignored, not fatal") {
  temp_dir dir;
  {
    store s(dir.str());
    broker_net n({}, &s);
    n.connect("pub");
    n.publish("pub", "a", "kept", qos_level::at_least_once, true);
  }
  std::uintmax_t good = std::filesystem::file_size(dir.path / "broker.log");
  {
    // Half a record: a type byte and two bytes of its length, as a crash mid-write leaves.
    std::ofstream f(dir.path / "broker.log", std::ios::binary | std::ios::app);
    f.write("\x02\x00\x00", 3);
  }
  {
    store s(dir.str());
    broker_net n({}, &s);
    CHECK(n.log.at(0) == "persist: ignored a torn tail of 3 bytes");
    CHECK(n.core.retained().size() == 1);
    n.connect("pub");
    n.publish("pub", "b", "also", qos_level::at_least_once, true);
    good = std::filesystem::file_size(dir.path / "broker.log");
  }
  {
    // A whole record with a bad CRC (a damaged sector): the same.
    std::ofstream f(dir.path / "broker.log", std::ios::binary | std::ios::app);
    f.write("\x03\x00\x00\x00\x01" "a" "\x00\x00\x00\x00", 10);
  }
  CHECK(std::filesystem::file_size(dir.path / "broker.log") == good + 10);
  store s(dir.str());
  broker_net n({}, &s);
  CHECK(n.log.at(0) == "persist: ignored a torn tail of 10 bytes");
  CHECK(n.core.retained().size() == 2);  // the bad record would have cleared "a"
}

TEST_CASE("broker: the log is compacted when it grows, and the state survives it") {
  temp_dir dir;
  {
    store s(dir.str(), 4096);
    broker_net n({}, &s);
    n.connect("sub", persistent("sub"));
    n.subscribe("sub", "t", qos_level::at_least_once);
    n.connect("pub");
    for (int i = 0; i < 200; ++i) {
      n.publish("pub", "t", "message number " + std::to_string(i), qos_level::at_least_once);
      n.publish("pub", "r", "retained " + std::to_string(i), qos_level::at_most_once, true);
    }
    CHECK(n.at("sub").log.messages.size() == 200);
    CHECK(std::filesystem::file_size(dir.path / "broker.log") < 3 * 4096);
    n.disconnect("sub");
    n.publish("pub", "t", "queued", qos_level::at_least_once);
  }
  store s(dir.str(), 4096);
  broker_net n({}, &s);
  CHECK(n.core.retained().at("r")->view().payload == "retained 199");
  n.connect("sub", persistent("sub"));
  CHECK(n.at("sub").log.messages == strings{"t queued q1"});
}

TEST_CASE("broker: a resumed session's messages are made durable before its resend is answered") {
  // The PUBREC the closed connection held is not carried over, but the session keeps the QoS 2
  // id and answers the resent PUBLISH at once: the routed message must be on disk first.
  temp_dir dir;
  store s(dir.str());
  broker_net n({}, &s);
  n.auto_commit = false;
  n.connect("sub", {.clean_session = false});
  n.connect("pub", {.clean_session = false});
  n.core.commit(n.now);
  n.pump();
  n.subscribe("sub", "t", qos_level::exactly_once);
  n.core.commit(n.now);
  n.pump();
  n.publish("pub", "t", "m", qos_level::exactly_once);
  CHECK(n.at("pub").log.delivered.empty());  // the PUBREC waits for the commit
  n.cut("pub");
  CHECK(n.core.commit_pending());
  const std::uint64_t commits = n.core.stats().commits;
  n.connect("pub", {.clean_session = false});
  CHECK(n.core.stats().commits == commits + 1);  // committed before accept() resumed it
  for (int i = 0; i < 4; ++i) {
    n.core.commit(n.now);
    n.pump();
  }
  CHECK(n.at("pub").log.session_present == true);
  CHECK(n.at("pub").log.delivered == std::vector<std::uint16_t>{1});
  CHECK(n.at("sub").log.messages == std::vector<std::string>{"t m q2"});
  CHECK(n.core.stats().published == 1);
}

TEST_CASE("broker: after a crash a held QoS 2 id answers its resend, a released id is new") {
  // [MQTT-4.3.3-2] across a kill -9: the id of a message whose PUBREL was committed is free,
  // so a PUBLISH with it (DUP 0) is a new publication and is routed again (paho 1.6.1 sends
  // one after failed reconnect attempts: tests/broker/test_faults.py); the id of a message
  // held at the crash answers the resend with PUBREC, and the message is not routed twice.
  const auto feed = [](broker_net& n, std::string_view bytes) {
    n.at("pub").link->session.feed(bytes_view(bytes.data(), bytes.size()), n.now);
    n.pump();
  };
  const std::string publish_a("\x34\x06\x00\x01t\x00\x07" "a", 8);      // QoS 2, id 7
  const std::string publish_b("\x34\x06\x00\x01t\x00\x08" "b", 8);      // QoS 2, id 8
  const std::string publish_b_dup("\x3c\x06\x00\x01t\x00\x08" "b", 8);  // DUP 1
  temp_dir dir;
  {
    store s(dir.str());
    broker_net n({}, &s);
    n.connect("sub", persistent("sub"));
    n.subscribe("sub", "t", qos_level::exactly_once);
    n.connect("pub", persistent("pub"));
    n.at("pub").mute = true;  // from here the test writes the publisher's packets
    const std::size_t connack = n.at("pub").bytes_in.size();
    feed(n, publish_a);
    feed(n, std::string("\x62\x02\x00\x07", 4));  // PUBREL 7: the id is released
    feed(n, publish_b);                           // no PUBREL: id 8 is held at the crash
    CHECK(n.at("pub").bytes_in.substr(connack) ==
          std::string("\x50\x02\x00\x07\x70\x02\x00\x07\x50\x02\x00\x08", 12));
    CHECK(n.at("sub").log.messages == strings{"t a q2", "t b q2"});
    const session_state kept = n.at("pub").link->session.export_state();
    CHECK(kept.incoming_qos2 == std::vector<std::uint16_t>{8});
  }  // kill -9
  store s(dir.str());
  broker_net n({}, &s);
  const session_state* kept = n.core.offline_session("pub");
  REQUIRE(kept != nullptr);
  CHECK(kept->incoming_qos2 == std::vector<std::uint16_t>{8});
  n.connect("sub", persistent("sub"));
  n.connect("pub", persistent("pub"));
  CHECK(n.at("pub").log.session_present == true);
  n.at("pub").mute = true;
  const std::size_t before = n.at("pub").bytes_in.size();
  feed(n, publish_b_dup);
  CHECK(n.core.stats().published == 0);
  CHECK(n.at("pub").bytes_in.substr(before) == std::string("\x50\x02\x00\x08", 4));
  feed(n, publish_a);
  CHECK(n.core.stats().published == 1);
  CHECK(n.at("pub").bytes_in.substr(before) == std::string("\x50\x02\x00\x08\x50\x02\x00\x07", 8));
  CHECK(n.at("sub").log.messages == strings{"t a q2"});
}
