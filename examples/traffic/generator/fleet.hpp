// SPDX-License-Identifier: MIT
// traffic-generator: the fleet: one MQTT connection (mqtt_link) per vehicle plus one that
// publishes the network, all on one epoll loop with one timer heap; connects in batches,
// publishes positions and statuses, and drains before it leaves.
#ifndef MQTTWIRE_EXAMPLES_TRAFFIC_GENERATOR_FLEET_HPP
#define MQTTWIRE_EXAMPLES_TRAFFIC_GENERATOR_FLEET_HPP

#include "common/clock.hpp"
#include "common/link.hpp"
#include "common/loop.hpp"
#include "model/payloads.hpp"

#include <mqttwire/session/client.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace traffic {

struct fleet_options {
  endpoint broker{};
  mqttwire::qos_level qos = mqttwire::qos_level::at_least_once;  ///< positions
  std::uint16_t keep_alive = 30;
  std::string client_prefix = "traffic-";  ///< client id = prefix + vehicle id
  double connect_rate = 2'000;             ///< new connections per second, at most
  std::uint64_t seed = 1;
};

/// Counters of the whole fleet.
struct fleet_stats {
  std::uint64_t positions = 0;      ///< position reports handed to a session
  std::uint64_t dropped = 0;        ///< reports not sent: QoS 0 while disconnected, or queue full
  std::uint64_t published_acked = 0;  ///< QoS 1/2 PUBLISHes (positions and statuses)
  std::uint64_t delivered = 0;      ///< their PUBACK/PUBCOMP
  std::uint64_t connects = 0;       ///< CONNACKs accepted
  std::uint64_t resumed = 0;        ///< vehicles' CONNACKs with session present (a kept session)
  std::uint64_t closes = 0;         ///< connections ended (any reason)
  std::uint64_t refused = 0;        ///< CONNACKs refusing
};

class fleet {
 public:
  explicit fleet(fleet_options o) : opts_(std::move(o)) {
    // owner 0: the network publisher
    link_config c;
    c.client_id = opts_.client_prefix + "network";
    c.keep_alive = opts_.keep_alive;
    c.clean_session = true;
    members_.push_back(std::make_unique<member>(member{"", std::make_unique<mqtt_link>(c, 0, opts_.seed)}));
    timers_.resize(1);
  }

  /// The retained GeoJSON for traffic/network, published on every connection of the network
  /// link (so a broker that lost its retained messages in a restart gets it again).
  void set_network(std::string geojson, mqttwire::time_point now) {
    network_ = std::move(geojson);
    members_[0]->link->start(poller_, opts_.broker, now);
    schedule(0);
  }

  /// Adds a vehicle (its connection starts with the next batch); returns its index.
  std::size_t add_vehicle(const std::string& id) {
    link_config c;
    c.client_id = opts_.client_prefix + id;
    c.keep_alive = opts_.keep_alive;
    c.clean_session = false;  // the broker keeps our session through a restart of its own
    c.will_topic = topics::status(id);
    c.will_payload = std::string(kOffline);
    c.will_qos = mqttwire::qos_level::at_least_once;
    c.will_retain = true;
    // room for a minute of reports queued while the broker is away
    c.session.max_queued = 2'000;
    const std::size_t index = members_.size();
    members_.push_back(std::make_unique<member>(
        member{id, std::make_unique<mqtt_link>(c, index, opts_.seed * 7919 + index)}));
    timers_.resize(members_.size());
    waiting_.push_back(index);
    return index;
  }
  std::size_t vehicles() const noexcept { return members_.size() - 1; }
  const std::string& id(std::size_t v) const { return members_[v]->id; }
  /// The vehicle has been connected at least once (it reports from then on).
  bool started(std::size_t v) const { return members_[v]->ever_connected; }
  bool connected(std::size_t v) const { return members_[v]->link->connected(); }
  std::size_t connected_count() const {
    std::size_t n = 0;
    for (std::size_t v = 1; v < members_.size(); ++v) n += members_[v]->link->connected() ? std::size_t{1} : std::size_t{0};
    return n;
  }
  const fleet_stats& stats() const noexcept { return stats_; }

  /// Publishes a position (seq and t are filled in here).
  void report(std::size_t v, position_report p, mqttwire::time_point now) {
    member& m = *members_[v];
    p.id = m.id;
    p.seq = m.seq;
    p.t = wall_ms();
    const std::string payload = to_json(p);
    const std::string topic = topics::position(m.id);
    const auto r = m.link->session().publish(
        {.qos = opts_.qos, .retain = false, .topic = topic, .payload = payload}, now);
    if (!r) {
      ++stats_.dropped;
      return;
    }
    ++m.seq;
    ++stats_.positions;
    if (opts_.qos != mqttwire::qos_level::at_most_once) ++stats_.published_acked;
    pump(v, now);
  }

  /// The vehicle leaves: a retained `offline`, then DISCONNECT once everything is acknowledged.
  void depart(std::size_t v, mqttwire::time_point now) {
    member& m = *members_[v];
    if (m.leaving) return;
    m.leaving = true;
    publish_status(m, kOffline, now);
    pump(v, now);
  }
  /// Every vehicle leaves (the end of a run).
  void depart_all(mqttwire::time_point now) {
    for (std::size_t v = 1; v < members_.size(); ++v) depart(v, now);
  }
  /// QoS 1/2 messages not yet acknowledged, over the fleet.
  std::size_t unacknowledged() const {
    std::size_t n = 0;
    for (std::size_t v = 1; v < members_.size(); ++v) {
      n += members_[v]->link->session().in_flight() + members_[v]->link->session().queued();
    }
    return n;
  }
  /// Disconnects everyone (DISCONNECT, so no will is published).
  void stop_all(mqttwire::time_point now) {
    for (std::size_t v = 0; v < members_.size(); ++v) {
      members_[v]->link->stop(poller_, now, [&](const mqttwire::client_event& e) { on_event(v, e, now); });
    }
  }

  /// One turn of the loop: connects the next batch, waits for sockets or timers until `until`
  /// at the latest, and handles what is ready.
  void run_until(mqttwire::time_point until) {
    mqttwire::time_point now = mono_now();
    start_batch(now);
    std::optional<mqttwire::time_point> wake = timers_.next();
    mqttwire::time_point limit = until;
    if (!waiting_.empty()) limit = std::min(limit, next_batch_);
    if (wake && *wake < limit) limit = *wake;
    poller_.wait(ready_, ms_until(limit, now, 1'000));
    now = mono_now();
    for (const epoll_event& ev : ready_) {
      const auto v = static_cast<std::size_t>(ev.data.u64);
      members_[v]->link->on_io(poller_, ev.events, now,
                               [&](const mqttwire::client_event& e) { on_event(v, e, now); });
      leave_if_done(v, now);
      schedule(v);
    }
    while (const auto owner = timers_.pop_due(now)) {
      const std::size_t v = *owner;
      members_[v]->link->on_timer(poller_, now,
                                  [&](const mqttwire::client_event& e) { on_event(v, e, now); });
      schedule(v);
    }
  }

 private:
  struct member {
    std::string id;
    std::unique_ptr<mqtt_link> link;
    std::uint64_t seq = 0;
    bool ever_connected = false;
    bool leaving = false;
    bool gone = false;
  };

  void on_event(std::size_t v, const mqttwire::client_event& e, mqttwire::time_point now) {
    member& m = *members_[v];
    if (const auto* c = std::get_if<mqttwire::events::connected>(&e)) {
      ++stats_.connects;
      if (v != 0 && c->session_present) ++stats_.resumed;
      m.ever_connected = true;
      if (v == 0) {
        const auto r = m.link->session().publish({.qos = mqttwire::qos_level::at_least_once,
                                                  .retain = true,
                                                  .topic = topics::network,
                                                  .payload = network_},
                                                 now);
        static_cast<void>(r);
      } else if (!m.leaving) {
        publish_status(m, kOnline, now);
      }
    } else if (const auto* d = std::get_if<mqttwire::events::delivered>(&e)) {
      static_cast<void>(d);
      if (v != 0) ++stats_.delivered;
    } else if (const auto* x = std::get_if<mqttwire::events::closed>(&e)) {
      ++stats_.closes;
      if (x->refusal) ++stats_.refused;
    }
  }

  void publish_status(member& m, std::string_view status, mqttwire::time_point now) {
    const std::string topic = topics::status(m.id);
    const auto r = m.link->session().publish(
        {.qos = mqttwire::qos_level::at_least_once, .retain = true, .topic = topic, .payload = status},
        now);
    if (r) ++stats_.published_acked;
  }

  void pump(std::size_t v, mqttwire::time_point now) {
    members_[v]->link->pump(poller_, now, [&](const mqttwire::client_event& e) { on_event(v, e, now); });
    schedule(v);
  }

  // A leaving vehicle disconnects once its last message (the offline status) is acknowledged.
  void leave_if_done(std::size_t v, mqttwire::time_point now) {
    member& m = *members_[v];
    if (!m.leaving || m.gone || !m.link->connected()) return;
    if (m.link->session().in_flight() + m.link->session().queued() != 0) return;
    m.gone = true;
    m.link->stop(poller_, now, [&](const mqttwire::client_event& e) { on_event(v, e, now); });
  }

  void schedule(std::size_t v) { timers_.schedule(static_cast<std::uint32_t>(v), members_[v]->link->deadline()); }

  void start_batch(mqttwire::time_point now) {
    if (waiting_.empty() || now < next_batch_) return;
    // batches every 10 ms of connect_rate / 100 connections
    const auto per_batch = static_cast<std::size_t>(std::max(1.0, opts_.connect_rate / 100.0));
    for (std::size_t k = 0; k < per_batch && next_waiting_ < waiting_.size(); ++k) {
      const std::size_t v = waiting_[next_waiting_++];
      members_[v]->link->start(poller_, opts_.broker, now);
      schedule(v);
    }
    if (next_waiting_ == waiting_.size()) {
      waiting_.clear();
      next_waiting_ = 0;
    }
    next_batch_ = now + std::chrono::milliseconds(10);
  }

  fleet_options opts_;
  poller poller_;
  timer_heap timers_;
  std::vector<std::unique_ptr<member>> members_;
  std::vector<std::size_t> waiting_;  // vehicles whose connection has not started yet
  std::size_t next_waiting_ = 0;
  mqttwire::time_point next_batch_{};
  std::vector<epoll_event> ready_;
  std::string network_;
  fleet_stats stats_;
};

}  // namespace traffic

#endif  // MQTTWIRE_EXAMPLES_TRAFFIC_GENERATOR_FLEET_HPP
