// SPDX-License-Identifier: MIT
// Test support for the sessions: a client_session and a server_session wired to each other in
// memory, with a virtual clock and a one-connection "broker" that routes a client's messages
// back to it when it subscribed to them.
#ifndef MQTTWIRE_TESTS_SESSION_SUPPORT_HPP
#define MQTTWIRE_TESTS_SESSION_SUPPORT_HPP

#include <mqttwire/session/client.hpp>
#include <mqttwire/session/server.hpp>
#include <mqttwire/topic_match.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <string>
#include <utility>
#include <vector>

namespace session_test {

using namespace mqttwire;
using namespace std::chrono_literals;

/// A fixed start for virtual time, so deadlines in tests read as offsets from it.
inline const time_point t0 = time_point{} + std::chrono::hours(1);

/// The hex of bytes, for readable failures.
inline std::string hex(bytes_view b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (const char c : b) {
    const auto v = static_cast<unsigned char>(c);
    if (!s.empty()) s += ' ';
    s += digits[v >> 4];
    s += digits[v & 15u];
  }
  return s;
}
inline std::string hex(std::string_view b) { return hex(bytes_view(b.data(), b.size())); }
inline std::string hex(const std::string& b) { return hex(std::string_view(b)); }

/// Bytes from hex text ("10 0e 00 04"; white space ignored), for scripted conversations.
inline std::string unhex(std::string_view text) {
  std::string out;
  int high = -1;
  for (const char c : text) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>((high << 4) | v));
      high = -1;
    }
  }
  return out;
}

/// Hex text in the form sent() gives, so a script may group its bytes freely.
inline std::string wire(std::string_view hex_text) { return hex(unhex(hex_text)); }

/// Feeds hex text to a session as received bytes.
template <class Session>
void receive(Session& s, std::string_view hex_text, time_point now) {
  const std::string b = unhex(hex_text);
  s.feed(bytes_view(b.data(), b.size()), now);
}

/// Takes everything a session wants to send, as hex (compared against the script).
template <class Session>
std::string sent(Session& s) {
  const std::string out(s.output().begin(), s.output().end());
  s.consume_output(out.size());
  return hex(out);
}

/// Every event the session has now.
template <class Session>
auto poll_all(Session& s) {
  std::vector<std::remove_cvref_t<decltype(*s.poll_event())>> all;
  while (auto e = s.poll_event()) all.push_back(std::move(*e));
  return all;
}

/// Takes everything a session wants to send.
template <class Session>
std::string drain_output(Session& s) {
  std::string out(s.output().begin(), s.output().end());
  s.consume_output(out.size());
  return out;
}

/// What a client application saw, copied out of the events (their views die at the next read).
struct client_log {
  std::vector<std::string> messages;  // "topic payload qN"
  std::vector<std::uint16_t> delivered;
  std::vector<std::vector<std::uint8_t>> subacks;
  std::size_t connects = 0, unsubacks = 0, keep_alives = 0;
  std::vector<events::closed> closes;
  std::optional<bool> session_present;
};

/// A client session, a server session and a tiny broker between them, on a virtual clock.
struct session_pair {
  client_session client;
  server_session server;
  time_point now = t0;
  client_log log;
  std::vector<stored_subscription> subscriptions;  // the broker's, of this one client
  std::vector<events::closed> server_closes;
  std::vector<std::string> routed;  // messages the broker received, "topic payload qN"
  std::optional<session_state> kept;  // the broker's copy of the persistent session
  qos_level grant_max = qos_level::exactly_once;

  explicit session_pair(client_options co = {}, server_options so = {})
      : client(co), server(so, t0), server_options_(so) {}

  /// A new connection for the same client session (after a close).
  void reconnect_server() { server = server_session(server_options_, now); }

  /// Moves bytes both ways and handles events until nothing moves.
  void pump() {
    for (int round = 0; round < 1000; ++round) {
      bool moved = false;
      while (auto e = client.poll_event()) {
        moved = true;
        on_client(*e);
      }
      while (auto e = server.poll_event()) {
        moved = true;
        on_server(*e);
      }
      const std::string to_server = drain_output(client);
      const std::string to_client = drain_output(server);
      if (!to_server.empty()) {
        moved = true;
        server.feed(bytes_view(to_server.data(), to_server.size()), now);
      }
      if (!to_client.empty()) {
        moved = true;
        client.feed(bytes_view(to_client.data(), to_client.size()), now);
      }
      if (!moved) return;
    }
  }

  /// Jumps the clock to the earlier deadline of the two sessions and runs it.
  void advance_to_next_deadline() {
    std::optional<time_point> next = client.next_deadline();
    if (const auto s = server.next_deadline(); s && (!next || *s < *next)) next = s;
    if (!next) return;
    now = std::max(now, *next);
    client.on_timeout(now);
    server.on_timeout(now);
    pump();
  }

  void on_client(const client_event& e) {
    if (const auto* m = std::get_if<events::message>(&e)) {
      log.messages.push_back(std::string(m->msg.topic) + " " + std::string(m->msg.payload) + " q" +
                             std::to_string(static_cast<int>(m->msg.qos)));
    } else if (const auto* d = std::get_if<events::delivered>(&e)) {
      log.delivered.push_back(d->packet_id);
    } else if (const auto* s = std::get_if<events::subscribed>(&e)) {
      log.subacks.emplace_back(s->return_codes.begin(), s->return_codes.end());
    } else if (const auto* c = std::get_if<events::connected>(&e)) {
      ++log.connects;
      log.session_present = c->session_present;
    } else if (std::holds_alternative<events::unsubscribed>(e)) {
      ++log.unsubacks;
    } else if (std::holds_alternative<events::keep_alive>(e)) {
      ++log.keep_alives;
    } else if (const auto* x = std::get_if<events::closed>(&e)) {
      log.closes.push_back(*x);
    }
  }

  void on_server(const server_event& e) {
    if (const auto* c = std::get_if<events::connect_requested>(&e)) {
      std::optional<session_state> resume;
      if (!c->request.clean_session && kept) resume = std::move(*kept);
      kept.reset();
      static_cast<void>(server.accept(now, std::move(resume)));
      subscriptions = server.export_state().subscriptions;
    } else if (const auto* s = std::get_if<events::subscribe_requested>(&e)) {
      static_cast<void>(server.grant_up_to(s->packet_id, grant_max, now));
      subscriptions = server.export_state().subscriptions;
    } else if (std::holds_alternative<events::unsubscribe_requested>(e)) {
      subscriptions = server.export_state().subscriptions;
    } else if (const auto* m = std::get_if<events::message>(&e)) {
      routed.push_back(std::string(m->msg.topic) + " " + std::string(m->msg.payload) + " q" +
                       std::to_string(static_cast<int>(m->msg.qos)));
      route(m->msg);
    } else if (const auto* x = std::get_if<events::closed>(&e)) {
      server_closes.push_back(*x);
      if (server.connect_received() && !server.clean_session()) {
        kept = server.take_state();
      }
    }
  }

  // One delivery at the highest granted QoS of the matching filters ([MQTT-3.3.5-1]).
  void route(const publish& p) {
    std::optional<qos_level> best;
    for (const stored_subscription& s : subscriptions) {
      if (topic_matches(s.topic_filter, p.topic) && (!best || *best < s.qos)) best = s.qos;
    }
    if (!best) return;
    auto m = make_shared_message(p, server.version());
    if (!m) return;
    if (server.state() == link_state::connected) {
      static_cast<void>(server.deliver(*m, *best, false, now));
    } else if (kept) {
      static_cast<void>(kept->enqueue(*m, std::min(p.qos, *best), 1000));
    }
  }

 private:
  server_options server_options_;
};

}  // namespace session_test

#endif  // MQTTWIRE_TESTS_SESSION_SUPPORT_HPP
