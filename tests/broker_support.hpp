// SPDX-License-Identifier: MIT
// Test support for examples/broker/broker.hpp: client_sessions connected to one broker in
// memory through test peers, on a virtual clock, with the broker's log captured.
#ifndef MQTTWIRE_TESTS_BROKER_SUPPORT_HPP
#define MQTTWIRE_TESTS_BROKER_SUPPORT_HPP

#include "broker/broker.hpp"

#include <mqttwire/session/client.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace broker_test {

using namespace mqttwire;
using namespace mqttwire_broker;
using namespace std::chrono_literals;

inline const time_point t0 = time_point{} + std::chrono::hours(1);

/// A connection as the tests make one: the server side of a socket.
class test_peer final : public peer {
 public:
  test_peer(broker& b, time_point now, std::string address)
      : peer(b.session_options(), now), broker_(b), address_(std::move(address)) {}
  ~test_peer() override { broker_.detach(*this); }
  std::string address() const override { return address_; }
  void wake() override { ++wakes; }
  std::size_t wakes = 0;

 private:
  broker& broker_;
  std::string address_;
};

/// What one client application saw.
struct client_log {
  std::vector<std::string> messages;  // "topic payload qN" plus " retain" / " dup"
  std::vector<std::uint16_t> delivered;
  std::vector<std::vector<std::uint8_t>> subacks;
  std::vector<events::closed> closes;
  std::optional<bool> session_present;
  std::size_t connects = 0;
};

/// One client: its session (kept across connections) and its current connection, if any.
struct test_client {
  client_session session;
  std::unique_ptr<test_peer> link;
  client_log log;
  std::string bytes_in;  // every byte the broker sent it, for exact checks
  /// A client that has stopped (hung, not closed): what the broker sends goes to bytes_in
  /// only, and the session neither answers nor notices anything.
  bool mute = false;
};

/// A broker and its clients in memory. pump() moves bytes until nothing moves; the broker's
/// commits run inside it unless auto_commit is off.
struct broker_net {
  explicit broker_net(broker_options o = {}, store* durable = nullptr)
      : core(std::move(o), durable, [this](const std::string& line) { log.push_back(line); }) {}


  std::vector<std::string> log;  // before core: its constructor logs the replay
  broker core;
  time_point now = t0;
  std::map<std::string, test_client> clients;
  bool auto_commit = true;
  std::size_t next_port = 40000;

  /// Opens a connection for `name` and sends CONNECT `c` (client id defaults to the name).
  test_client& connect(const std::string& name, mqttwire::connect c = {}) {
    test_client& t = clients[name];
    if (c.client_id.empty() && name.front() != '_') c.client_id = name;
    t.link = std::make_unique<test_peer>(core, now, "127.0.0.1:" + std::to_string(next_port++));
    static_cast<void>(t.session.open(c, now));
    pump();
    return t;
  }
  test_client& at(const std::string& name) { return clients.at(name); }

  void subscribe(const std::string& name, std::string_view filter, qos_level q) {
    const subscription s[] = {{filter, q}};
    static_cast<void>(at(name).session.subscribe(s, now));
    pump();
  }
  void publish(const std::string& name, std::string_view topic, std::string_view payload,
               qos_level q = qos_level::at_most_once, bool retain = false) {
    static_cast<void>(at(name).session.publish(
        mqttwire::publish{.qos = q, .retain = retain, .topic = topic, .payload = payload}, now));
    pump();
  }
  /// The network fails under the client: both ends see the connection drop.
  void cut(const std::string& name) {
    test_client& t = at(name);
    if (t.link) {
      t.link->session.connection_lost(now);
      core.pump(*t.link, now);
      t.link.reset();
    }
    t.session.connection_lost(now);
    pump();
  }
  void disconnect(const std::string& name) {
    at(name).session.disconnect(now);
    pump();
  }
  /// Jumps the clock and runs every deadline due.
  void advance(std::chrono::milliseconds d) {
    now += d;
    for (auto& [name, t] : clients) {
      if (!t.mute) t.session.on_timeout(now);
      if (t.link) t.link->session.on_timeout(now);
    }
    pump();
  }

  void pump() {
    for (int round = 0; round < 10000; ++round) {
      bool moved = false;
      for (auto& [name, t] : clients) moved = step(t) || moved;
      if (auto_commit && core.commit_pending()) {
        core.commit(now);
        moved = true;
      }
      if (!moved) return;
    }
  }

 private:
  bool step(test_client& t) {
    bool moved = false;
    while (!t.mute) {
      auto e = t.session.poll_event();
      if (!e) break;
      moved = true;
      record(t, *e);
    }
    if (!t.link) return moved;
    const bytes_view up = t.session.output();
    if (!t.mute && !up.empty()) {
      moved = true;
      t.link->session.feed(up, now);
      t.session.consume_output(up.size());
    }
    core.pump(*t.link, now);
    if (!core.output_held(*t.link)) {
      const bytes_view down = t.link->session.output();
      if (!down.empty()) {
        moved = true;
        t.bytes_in.append(down.data(), down.size());
        if (!t.mute) t.session.feed(down, now);
        t.link->session.consume_output(down.size());
      }
    }
    // A closed end closes the socket once its output is out; the other end sees it drop.
    if (t.link->session.state() == link_state::disconnected && !t.link->session.wants_write()) {
      t.link.reset();
      if (!t.mute) t.session.connection_lost(now);
      moved = true;
    } else if (!t.mute && t.session.state() == link_state::disconnected && !t.session.wants_write()) {
      t.link->session.connection_lost(now);
      core.pump(*t.link, now);
      t.link.reset();
      moved = true;
    }
    return moved;
  }

  static void record(test_client& t, const client_event& e) {
    if (const auto* m = std::get_if<events::message>(&e)) {
      t.log.messages.push_back(std::string(m->msg.topic) + " " + std::string(m->msg.payload) +
                               " q" + std::to_string(static_cast<int>(m->msg.qos)) +
                               (m->msg.retain ? " retain" : "") + (m->msg.dup ? " dup" : ""));
    } else if (const auto* d = std::get_if<events::delivered>(&e)) {
      t.log.delivered.push_back(d->packet_id);
    } else if (const auto* s = std::get_if<events::subscribed>(&e)) {
      t.log.subacks.emplace_back(s->return_codes.begin(), s->return_codes.end());
    } else if (const auto* c = std::get_if<events::connected>(&e)) {
      ++t.log.connects;
      t.log.session_present = c->session_present;
    } else if (const auto* x = std::get_if<events::closed>(&e)) {
      t.log.closes.push_back(*x);
    }
  }
};

/// A fresh directory under the system's temporary one, removed at the end of the test.
struct temp_dir {
  temp_dir() {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("mqttwire-broker-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    std::filesystem::remove_all(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
  std::string str() const { return path.string(); }
};

}  // namespace broker_test

#endif  // MQTTWIRE_TESTS_BROKER_SUPPORT_HPP
