// SPDX-License-Identifier: MIT
// The snippets of docs/sessions.md (a broker's answers to a server_session, persistence), run
// against a client_session in memory, and the check that the document shows exactly them.
#include "doc_snippets.hpp"
#include "session_support.hpp"

#include <doctest/doctest.h>
#include <mqttwire/mqttwire.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

// snippet: broker-connection
// The sessions of clients that are offline (they connected with Clean Session 0), by client id.
using offline_sessions = std::map<std::string, mqttwire::session_state, std::less<>>;

// One connection of a broker: its server_session, and the broker's answers to the events.
struct connection {
  mqttwire::server_session session;
  offline_sessions& offline;
  std::vector<mqttwire::owned<mqttwire::publish>> to_route;  // for the broker to deliver

  void on_event(const mqttwire::server_event& e, mqttwire::time_point now) {
    namespace ev = mqttwire::events;
    if (const auto* c = std::get_if<ev::connect_requested>(&e)) {
      if (c->request.password != std::optional<std::string_view>("secret")) {
        static_cast<void>(
            session.reject(mqttwire::connect_return_code::bad_username_or_password, now));
        return;
      }
      std::optional<mqttwire::session_state> kept;
      if (const auto it = offline.find(c->request.client_id); it != offline.end()) {
        kept = std::move(it->second);  // accept() drops it for a clean session ([MQTT-3.1.2-6])
        offline.erase(it);
      }
      static_cast<void>(session.accept(now, std::move(kept)));
    } else if (const auto* s = std::get_if<ev::subscribe_requested>(&e)) {
      static_cast<void>(session.grant_up_to(s->packet_id, mqttwire::qos_level::at_least_once, now));
    } else if (const auto* m = std::get_if<ev::message>(&e)) {
      keep(m->msg);  // its views end at the next read
    } else if (const auto* x = std::get_if<ev::closed>(&e)) {
      if (x->publish_will) keep(*session.will_message());
      if (!x->refusal && session.connect_received() && !session.clean_session()) {
        offline.insert_or_assign(std::string(session.client_id()), session.take_state());
      }
    }
  }

  void keep(const mqttwire::publish& p) {
    auto owned = mqttwire::owned<mqttwire::publish>::copy_of(p, session.version());
    if (owned) to_route.push_back(std::move(*owned));
  }
};
// end snippet

// snippet: persistence
// The offline sessions across a restart: one record each, in the format of session/state.hpp.
// (A state that came from a session always serialises: its strings fit MQTT's 65,535 bytes.)
std::vector<std::vector<char>> save(const offline_sessions& offline) {
  std::vector<std::vector<char>> records;
  for (const auto& [client_id, state] : offline) {
    if (auto record = mqttwire::serialise(state)) records.push_back(std::move(*record));
  }
  return records;
}

// A damaged record is refused (corrupt_session_state at its first bad byte); the others load.
offline_sessions load(const std::vector<std::vector<char>>& records) {
  offline_sessions offline;
  for (const std::vector<char>& r : records) {
    auto state = mqttwire::deserialise(mqttwire::bytes_view(r.data(), r.size()));
    if (state) offline.insert_or_assign(state->client_id, std::move(*state));
  }
  return offline;
}
// end snippet

namespace {

using session_test::drain_output;
using session_test::t0;

// What the client application saw.
struct client_seen {
  std::vector<mqttwire::events::closed> closes;
  std::vector<bool> connects;  // session_present of each CONNACK
  std::vector<std::vector<std::uint8_t>> subacks;
  std::vector<std::uint16_t> delivered;
};

// Moves bytes between the client and the connection, and handles the events of both, until
// nothing moves.
void pump(mqttwire::client_session& client, connection& conn, client_seen& seen,
          mqttwire::time_point now) {
  for (int round = 0; round < 100; ++round) {
    bool moved = false;
    while (const auto e = client.poll_event()) {
      moved = true;
      if (const auto* x = std::get_if<mqttwire::events::closed>(&*e)) seen.closes.push_back(*x);
      if (const auto* c = std::get_if<mqttwire::events::connected>(&*e)) {
        seen.connects.push_back(c->session_present);
      }
      if (const auto* s = std::get_if<mqttwire::events::subscribed>(&*e)) {
        seen.subacks.emplace_back(s->return_codes.begin(), s->return_codes.end());
      }
      if (const auto* d = std::get_if<mqttwire::events::delivered>(&*e)) {
        seen.delivered.push_back(d->packet_id);
      }
    }
    while (const auto e = conn.session.poll_event()) {
      moved = true;
      conn.on_event(*e, now);
    }
    const std::string up = drain_output(client);
    const std::string down = drain_output(conn.session);
    if (!up.empty()) conn.session.feed(mqttwire::bytes_view(up.data(), up.size()), now);
    if (!down.empty()) client.feed(mqttwire::bytes_view(down.data(), down.size()), now);
    if (!moved && up.empty() && down.empty()) return;
  }
  FAIL("the sessions did not settle");
}

const mqttwire::connect dev1{.clean_session = false, .keep_alive = 30, .client_id = "dev1",
                             .will = mqttwire::last_will{.topic = "dev1/status",
                                                         .payload = "offline"},
                             .username = "dev1", .password = "secret"};
constexpr mqttwire::subscription everything[] = {{"a/#", mqttwire::qos_level::exactly_once}};

std::vector<std::string> topics(const connection& conn) {
  std::vector<std::string> out;
  for (const auto& p : conn.to_route) out.emplace_back(p.view().topic);
  return out;
}

}  // namespace

TEST_CASE("sessions doc: a wrong password is refused, and nothing is kept") {
  offline_sessions offline;
  connection conn{mqttwire::server_session({}, t0), offline, {}};
  mqttwire::client_session client;
  client_seen seen;
  mqttwire::connect wrong = dev1;
  wrong.password = "guess";
  REQUIRE(client.open(wrong, t0) == mqttwire::errc::success);
  pump(client, conn, seen, t0);
  REQUIRE(seen.closes.size() == 1);
  CHECK(seen.closes[0].reason.code == mqttwire::errc::connection_refused);
  CHECK(seen.closes[0].refusal == mqttwire::connect_return_code::bad_username_or_password);
  CHECK(conn.session.state() == mqttwire::link_state::disconnected);
  CHECK(offline.empty());
  CHECK(conn.to_route.empty());
}

TEST_CASE("sessions doc: grant, route, the will on a lost connection, and a resumed session") {
  offline_sessions offline;
  mqttwire::client_session client;
  client_seen seen;
  {
    connection conn{mqttwire::server_session({}, t0), offline, {}};
    REQUIRE(client.open(dev1, t0) == mqttwire::errc::success);
    pump(client, conn, seen, t0);
    CHECK(seen.connects == std::vector<bool>{false});
    REQUIRE(client.subscribe(everything, t0));
    pump(client, conn, seen, t0);
    CHECK(seen.subacks == std::vector<std::vector<std::uint8_t>>{{1}});  // QoS 2 asked, 1 given
    const auto id = client.publish({.qos = mqttwire::qos_level::at_least_once, .topic = "a/1",
                                    .payload = "one"}, t0);
    REQUIRE(id);
    pump(client, conn, seen, t0);
    CHECK(seen.delivered == std::vector<std::uint16_t>{*id});
    CHECK(topics(conn) == std::vector<std::string>{"a/1"});
    // The network fails: the server publishes the will and keeps the session.
    conn.session.connection_lost(t0);
    pump(client, conn, seen, t0);
    CHECK(topics(conn) == std::vector<std::string>{"a/1", "dev1/status"});
    CHECK(conn.to_route[1].view().payload == "offline");
    REQUIRE(offline.count("dev1") == 1);
    CHECK(offline.at("dev1").subscriptions ==
          std::vector<mqttwire::stored_subscription>{{"a/#", mqttwire::qos_level::at_least_once}});
  }
  client.connection_lost(t0);
  static_cast<void>(client.poll_event());

  // The records survive a restart: the same state comes back; a damaged record does not load.
  auto records = save(offline);
  REQUIRE(records.size() == 1);
  records.push_back(records[0]);
  records[1][0] = 'X';  // the magic
  CHECK(mqttwire::deserialise(mqttwire::bytes_view(records[1].data(), records[1].size()))
            .error() == mqttwire::error{mqttwire::errc::corrupt_session_state, 0});
  offline_sessions reloaded = load(records);
  CHECK(reloaded == offline);

  // The client comes back: the kept session is resumed, with Session Present.
  connection again{mqttwire::server_session({}, t0), reloaded, {}};
  REQUIRE(client.open(dev1, t0) == mqttwire::errc::success);
  pump(client, again, seen, t0);
  CHECK(seen.connects == std::vector<bool>{false, true});
  CHECK(reloaded.empty());  // in the session now
  CHECK(again.session.export_state().subscriptions ==
        std::vector<mqttwire::stored_subscription>{{"a/#", mqttwire::qos_level::at_least_once}});
  client.disconnect(t0);
  pump(client, again, seen, t0);
  CHECK(again.to_route.empty());  // DISCONNECT: no will ([MQTT-3.14.4-3])
  CHECK(reloaded.count("dev1") == 1);  // kept again for the next connection
}

TEST_CASE("sessions doc: a peer that never sends CONNECT is closed at the deadline") {
  offline_sessions offline;
  connection conn{mqttwire::server_session({}, t0), offline, {}};
  REQUIRE(conn.session.next_deadline() == t0 + std::chrono::seconds(10));
  conn.session.on_timeout(t0 + std::chrono::seconds(9));
  CHECK_FALSE(conn.session.poll_event());
  conn.session.on_timeout(t0 + std::chrono::seconds(10));
  const auto e = conn.session.poll_event();
  REQUIRE(e);
  const auto* x = std::get_if<mqttwire::events::closed>(&*e);
  REQUIRE(x);
  CHECK(x->reason == mqttwire::error{mqttwire::errc::connect_timeout, 0});
  conn.on_event(*e, t0 + std::chrono::seconds(10));
  CHECK(offline.empty());
}

TEST_CASE("sessions doc: the document shows exactly the snippets compiled here") {
  const auto blocks =
      doc_snippets::check_document("docs/sessions.md", {"tests/test_sessions_doc.cpp"});
  CHECK(blocks.size() == 2);
}
