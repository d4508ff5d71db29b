// SPDX-License-Identifier: MIT
// The snippets of docs/owned.md, compiled and run (keep the two in step).
#include "doc_snippets.hpp"

#include <doctest/doctest.h>
#include <mqttwire/mqttwire.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace std::literals;

// snippet: retained-store
// Retained messages outlive the buffers they were read from: one owned PUBLISH per topic.
struct retained_store {
  std::map<std::string, mqttwire::owned<mqttwire::publish>, std::less<>> by_topic;

  void on_publish(const mqttwire::publish& p) {  // p's views die at the next read
    if (!p.retain) return;
    if (p.payload.empty()) {  // clears the topic, and is never stored ([MQTT-3.3.1-10], -11)
      if (const auto it = by_topic.find(p.topic); it != by_topic.end()) by_topic.erase(it);
      return;
    }
    auto kept = mqttwire::owned<mqttwire::publish>::copy_of(p);  // one allocation
    if (kept) by_topic.insert_or_assign(std::string(p.topic), std::move(*kept));
  }

  // For a new subscription: a copy (one allocation) with RETAIN still set ([MQTT-3.3.1-8]) and
  // the subscriber's packet id; the two id bytes are patched in place.
  std::optional<mqttwire::owned<mqttwire::publish>> for_subscriber(std::string_view topic,
                                                                  std::uint16_t id) const {
    const auto it = by_topic.find(topic);
    if (it == by_topic.end()) return std::nullopt;
    mqttwire::owned<mqttwire::publish> copy = it->second;
    if (copy.view().qos != mqttwire::qos_level::at_most_once) copy.set_packet_id(id);
    return copy;
  }
};
// end snippet

// snippet: session-queue
// A session's outgoing PUBLISH and PUBREL packets, kept as their wire form and resent after a
// reconnect with their original ids ([MQTT-4.4.0-1]).
struct outgoing_queue {
  mqttwire::protocol_version version = mqttwire::protocol_version::v3_1_1;
  std::vector<mqttwire::owned_packet> packets;  // in send order

  // Keeps a packet this side built: validated and encoded once.
  mqttwire::errc keep(const mqttwire::packet& p) {
    auto kept = mqttwire::owned_packet::copy_of(p, version);
    if (!kept) return kept.code();  // what validate() says, e.g. errc::packet_id_zero
    packets.push_back(std::move(*kept));
    return mqttwire::errc::success;
  }

  // Keeps a PUBLISH a broker received for this session, bytes as they came (no re-encoding):
  // RETAIN cleared for an existing subscription ([MQTT-3.3.1-9]), the session's packet id.
  mqttwire::errc forward(mqttwire::bytes_view received, std::uint16_t id) {
    auto kept = mqttwire::owned<mqttwire::publish>::from_wire(received, version);
    if (!kept) return kept.code();  // not exactly one valid PUBLISH
    kept->set_retain(false);
    if (kept->view().qos != mqttwire::qos_level::at_most_once) kept->set_packet_id(id);
    packets.push_back(std::move(*kept));  // owned<publish> -> owned_packet: no allocation
    return mqttwire::errc::success;
  }

  // After a reconnect: DUP on every resent PUBLISH ([MQTT-3.3.1-1]), a one-byte change of the
  // stored form. MQTT 3.1 marks a resent PUBREL too; 3.1.1 refuses (dup_not_allowed), so it
  // goes out as it was, and so does a QoS 0 PUBLISH (dup_with_qos0).
  template <class Write>
  void resend(Write&& write) {
    for (mqttwire::owned_packet& p : packets) {
      p.set_dup(true);
      write(p.wire());
    }
  }
};
// end snippet

namespace {
std::string str(mqttwire::bytes_view b) { return std::string(b.data(), b.size()); }
}  // namespace

TEST_CASE("owned docs: the retained store keeps messages past their buffer") {
  retained_store store;
  {
    std::string topic = "home/temp", payload = "21.5";
    store.on_publish(mqttwire::publish{.qos = mqttwire::qos_level::at_least_once, .retain = true,
                                       .topic = topic, .packet_id = 4, .payload = payload});
    store.on_publish(mqttwire::publish{.topic = "home/door", .payload = "open"});  // not retained
    topic.assign(topic.size(), '?');  // the read buffer is reused
    payload.assign(payload.size(), '?');
  }
  REQUIRE(store.by_topic.size() == 1);
  const auto copy = store.for_subscriber("home/temp", 0x0102);
  REQUIRE(copy);
  CHECK(str(copy->wire()) == "\x33\x11" "\x00\x09" "home/temp" "\x01\x02" "21.5"sv);
  CHECK(str(store.by_topic.at("home/temp").wire()) ==
        "\x33\x11" "\x00\x09" "home/temp" "\x00\x04" "21.5"sv);  // the stored one is unchanged
  CHECK_FALSE(store.for_subscriber("home/door", 1));
  store.on_publish(mqttwire::publish{.retain = true, .topic = "home/temp"});  // empty: clears
  CHECK(store.by_topic.empty());
}

TEST_CASE("owned docs: the session queue resends with DUP where the version allows it") {
  for (const auto v : {mqttwire::protocol_version::v3_1_1, mqttwire::protocol_version::v3_1}) {
    INFO(to_string(v));
    outgoing_queue q;
    q.version = v;
    CHECK(q.keep(mqttwire::publish{.qos = mqttwire::qos_level::at_least_once, .topic = "a",
                                   .packet_id = 1, .payload = "x"}) == mqttwire::errc::success);
    CHECK(q.keep(mqttwire::pubrel{.packet_id = 2}) == mqttwire::errc::success);
    CHECK(q.keep(mqttwire::puback{}) == mqttwire::errc::packet_id_zero);
    const auto received = "\x35\x06" "\x00\x01" "b" "\x00\x63" "y"sv;  // QoS 2, RETAIN, id 99
    CHECK(q.forward(mqttwire::bytes_view(received), 3) == mqttwire::errc::success);
    CHECK(q.forward(mqttwire::bytes_view("\x30\x03\x00\x01" "c"sv), 4) == mqttwire::errc::success);
    CHECK(q.forward(mqttwire::bytes_view("\x62\x02\x00\x05"sv), 5) ==
          mqttwire::errc::unexpected_packet_type);
    REQUIRE(q.packets.size() == 4);
    CHECK(q.packets[2] == mqttwire::publish{.qos = mqttwire::qos_level::exactly_once, .topic = "b",
                                            .packet_id = 3, .payload = "y"});
    std::vector<std::string> sent;
    q.resend([&](mqttwire::bytes_view wire) { sent.push_back(str(wire)); });
    const bool v31 = v == mqttwire::protocol_version::v3_1;
    CHECK(sent == std::vector<std::string>{
                      std::string("\x3a\x06" "\x00\x01" "a" "\x00\x01" "x"sv),
                      std::string(v31 ? "\x6a\x02\x00\x02"sv : "\x62\x02\x00\x02"sv),
                      std::string("\x3c\x06" "\x00\x01" "b" "\x00\x03" "y"sv),
                      std::string("\x30\x03\x00\x01" "c"sv),
                  });
  }
}

TEST_CASE("owned docs: every code block of docs/owned.md is in this file") {
  const auto blocks = doc_snippets::check_document("docs/owned.md", {"tests/test_owned_docs.cpp"});
  CHECK(blocks.size() == 2);
}
