// SPDX-License-Identifier: MIT
// mqttwire-broker: the routing core (clients, subscriptions, retained messages, wills,
// persistent sessions) over server_session. No I/O and no clock: tested with fake time.
#ifndef MQTTWIRE_EXAMPLES_BROKER_BROKER_HPP
#define MQTTWIRE_EXAMPLES_BROKER_BROKER_HPP

#include "persist.hpp"

#include <mqttwire/error.hpp>
#include <mqttwire/owned.hpp>
#include <mqttwire/session/server.hpp>
#include <mqttwire/session/state.hpp>
#include <mqttwire/subscription_index.hpp>
#include <mqttwire/topic_match.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mqttwire_broker {

using namespace mqttwire;
using namespace std::chrono_literals;

/// The limits and choices of a broker; every one has a safe default.
struct broker_options {
  std::size_t max_connections = 10'000;       ///< accepted MQTT connections; more: CONNACK 3
  std::size_t max_queued = 1'000;             ///< QoS 1/2 messages waiting per session (online or not)
  std::size_t max_inflight = 32;              ///< QoS 1/2 messages sent, not acknowledged, per client
  std::size_t max_packet_size = 1u << 20;     ///< largest packet a client may send
  std::size_t max_output = 1u << 20;          ///< unsent bytes per client past which QoS 0 is dropped
  std::chrono::milliseconds connect_timeout = 10s;  ///< from accepting the socket to CONNECT
  qos_level max_qos = qos_level::exactly_once;      ///< the highest QoS granted to a subscription
  /// User name -> password. Empty: anonymous clients are accepted.
  std::map<std::string, std::string, std::less<>> users{};
};

/// Counters, for tests and for the log at exit.
struct broker_stats {
  std::uint64_t published = 0;   ///< PUBLISH packets routed (wills included)
  std::uint64_t deliveries = 0;  ///< messages handed to a session, online or queued offline
  std::uint64_t dropped = 0;     ///< deliveries refused at a session's limits
  std::uint64_t encodings = 0;   ///< messages encoded: one per PUBLISH, plus one per PUBLISH
                                 ///< at QoS 1/2 that also goes to QoS 0 subscribers
  std::uint64_t commits = 0;     ///< groups of changes made durable
};

struct client;

/// One connection as the broker sees it: its server_session, and a way to have its output
/// written. The I/O layer derives from it (connection.hpp), and so do the tests.
class peer {
 public:
  /// `o`: the broker's session_options(), shared by every peer.
  peer(std::shared_ptr<const server_options> o, time_point opened)
      : session(server_session::with_shared_options(std::move(o), opened)) {}
  peer(const peer&) = delete;
  peer& operator=(const peer&) = delete;
  virtual ~peer() = default;

  server_session session;
  /// "host:port", for the log.
  virtual std::string address() const = 0;
  /// The broker changed the session from outside the peer's own input (a delivery, a
  /// takeover, a durable commit): write its output soon. Must not call back into the broker.
  virtual void wake() = 0;

 private:
  friend class broker;
  client* client_ = nullptr;  // the registry entry, once the CONNECT is accepted
};

/// A client id's entry: its connection while online, and the session a persistent client
/// keeps while offline ([MQTT-3.1.2-4]). Every connected client has one, so it is kept small:
/// the kept session, needed only by a persistent client while offline, is allocated apart, and
/// the entry is its own key (a std::set node of 96 bytes from malloc, where a std::map node
/// with the id as key and a view of it in the entry took 112).
struct client {
  id_string id;  // the key: never changed while in the registry (inline up to 23 bytes)
  peer* online = nullptr;
  std::unique_ptr<session_state> kept;  // while a persistent client is offline
  bool persistent = false;  // Clean Session 0
  bool dirty = false;       // changed since the log last saved it
  bool dropping = false;    // at its limits (logged once per run of drops)
};
/// The registry's order: by id, and found by a string_view.
struct by_client_id {
  using is_transparent = void;
  static std::string_view key(const client& c) noexcept { return c.id; }
  static std::string_view key(std::string_view id) noexcept { return id; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return key(a) < key(b);
  }
};

/// The broker's state and routing. The I/O layer makes a peer per socket (with
/// session_options()), feeds it bytes, calls pump() after every input or timeout, and writes
/// the peer's output when output_held() is false. With a store, QoS 1/2 messages are
/// acknowledged, and persistent sessions' output is written, only after commit() has made the
/// changes durable; the broker asks for a commit through the callback of on_commit_needed().
class broker {
 public:
  using log_sink = std::function<void(const std::string&)>;

  explicit broker(broker_options o = {}, store* durable = nullptr, log_sink log = {})
      : opts_(std::move(o)), store_(durable), log_(std::move(log)),
        session_options_(std::make_shared<const server_options>(make_session_options())) {
    if (store_ == nullptr) return;
    recovered_state r = store_->take_recovered();
    next_ref_ = r.next_ref;
    for (shared_message& m : r.retained) {
      const std::string topic(m->view().topic);
      retained_[topic] = std::move(m);
    }
    for (session_state& s : r.sessions) {
      client& c = entry(s.client_id);
      c.persistent = true;
      for (const stored_subscription& sub : s.subscriptions) {
        static_cast<void>(index_.add(sub.topic_filter, &c, sub.qos));
      }
      c.kept = std::make_unique<session_state>(std::move(s));
    }
    if (r.torn_bytes != 0) {
      say("persist: ignored a torn tail of " + std::to_string(r.torn_bytes) + " bytes");
    }
    say("persist: replayed " + std::to_string(r.records) + " records: " +
        std::to_string(retained_.size()) + " retained, " + std::to_string(clients_.size()) +
        " sessions");
    compact();  // a fresh snapshot: a short log, and no torn tail to append after
  }
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;

  const broker_options& options() const noexcept { return opts_; }
  /// The options for the server_session of a new connection: one object that every session
  /// points to, rather than a copy in each.
  const std::shared_ptr<const server_options>& session_options() const noexcept {
    return session_options_;
  }
  /// `f` is called (once until the next commit) when a change awaits commit().
  void on_commit_needed(std::function<void()> f) { commit_needed_ = std::move(f); }

  // ------------------------------------------------------------------ inputs

  /// Handles every event of `p`'s session, after bytes, a timeout or connection_lost.
  void pump(peer& p, time_point now) {
    while (std::optional<server_event> e = p.session.poll_event()) {
      std::visit([&](const auto& ev) { on(p, ev, now); }, *e);
    }
  }
  /// The peer is going away without its session having closed (the broker is stopping): it
  /// is forgotten as if its connection had dropped, without a will and without logging.
  void detach(peer& p) {
    std::erase_if(pending_acks_, [&p](const pending_ack& a) { return a.who == &p; });
    client* c = std::exchange(p.client_, nullptr);
    if (c == nullptr) return;
    --connected_;
    c->online = nullptr;
    if (c->persistent) {
      c->kept = std::make_unique<session_state>(p.session.take_state());
    } else {
      drop(*c);
    }
  }
  /// Whether `p`'s output must wait for commit(): a persistent session's state changed and is
  /// not yet durable (what it writes, e.g. a PUBREL, must survive a crash first).
  bool output_held(const peer& p) const noexcept {
    return store_ != nullptr && p.client_ != nullptr && p.client_->dirty;
  }

  // ------------------------------------------------------------------ durability

  /// Something awaits commit().
  bool commit_pending() const noexcept {
    return store_ != nullptr && (!dirty_.empty() || !pending_acks_.empty() || store_->pending());
  }
  /// Makes the changes so far durable as one group: saves the persistent sessions that
  /// changed, writes and syncs the log, then sends the acknowledgements that waited for it and
  /// releases the held output. Compacts the log when it has grown.
  void commit(time_point now) {
    commit_requested_ = false;
    if (store_ == nullptr) return;
    std::vector<peer*> released;
    for (const std::string& id : std::exchange(dirty_, {})) {
      const auto it = clients_.find(id);
      if (it == clients_.end() || !it->dirty) continue;
      client& c = mutable_entry(*it);
      save(c);
      c.dirty = false;
      if (c.online != nullptr) released.push_back(c.online);
    }
    if (store_->sync()) ++stats_.commits;
    for (const pending_ack& a : std::exchange(pending_acks_, {})) {
      a.who->session.acknowledge(a.packet_id, now);
      released.push_back(a.who);
    }
    for (peer* p : released) p->wake();
    if (store_->wants_compaction()) compact();
  }
  /// A clean stop: the last commit, and a snapshot so the next start replays little.
  void shutdown(time_point now) {
    commit(now);
    if (store_ != nullptr) compact();
  }

  // ------------------------------------------------------------------ inspection

  std::size_t connections() const noexcept { return connected_; }
  /// Client ids known: online, and persistent sessions offline.
  std::size_t clients() const noexcept { return clients_.size(); }
  std::size_t subscriptions() const noexcept { return index_.size(); }
  const std::map<std::string, shared_message, std::less<>>& retained() const noexcept {
    return retained_;
  }
  /// The kept state of an offline persistent session, or nullptr.
  const session_state* offline_session(std::string_view id) const {
    const auto it = clients_.find(id);
    if (it == clients_.end() || it->online != nullptr || !it->persistent) return nullptr;
    return it->kept.get();
  }
  const broker_stats& stats() const noexcept { return stats_; }

 private:
  server_options make_session_options() const {
    server_options o;
    o.max_inflight = opts_.max_inflight;
    o.max_queued = opts_.max_queued;
    o.max_output = opts_.max_output;
    o.max_packet_size = opts_.max_packet_size;
    o.connect_timeout = opts_.connect_timeout;
    o.manual_acks = store_ != nullptr;     // PUBACK/PUBREC after the commit
    o.report_packets = store_ != nullptr;  // PUBREC/PUBREL change what is saved
    o.policy.accept_long_3_1_client_ids = true;  // as mosquitto does
    return o;
  }

  struct pending_ack {
    peer* who;
    std::uint16_t packet_id;
  };

  // ---- one handler per event

  void on(peer& p, const events::connect_requested& e, time_point now) {
    const connect& c = e.request;
    if (const auto refusal = authenticate(c)) {
      static_cast<void>(p.session.reject(*refusal, now));
      return;
    }
    if (connected_ >= opts_.max_connections) {
      static_cast<void>(p.session.reject(connect_return_code::server_unavailable, now));
      return;
    }
    std::string id(c.client_id);
    if (id.empty()) {  // [MQTT-3.1.3-6]: the server assigns a unique one
      do {
        id = "mqttwire-" + std::to_string(++assigned_ids_);
      } while (clients_.contains(id));
    }
    // [MQTT-3.1.4-2]: a second connection with this id ends the first. Its closed event is
    // handled now, so its session state is taken before this one is accepted.
    if (const auto it = clients_.find(id); it != clients_.end() && it->online) {
      peer& old = *it->online;
      old.session.close(errc::session_taken_over, now);
      pump(old, now);
      old.wake();
    }
    client& slot = entry(id);
    std::optional<session_state> resumed;
    if (c.clean_session) {
      if (slot.persistent) forget(slot);  // [MQTT-3.1.2-6]: the old session goes
    } else if (slot.persistent) {
      // Acknowledgements the closed connection still held are not part of its state, yet the
      // session keeps those QoS 2 ids and answers a resent message at once: what its messages
      // changed is made durable first, so the answer never runs ahead of the disk.
      if (commit_pending()) commit(now);
      resumed = slot.kept ? std::move(*slot.kept) : session_state{};  // [MQTT-3.1.2-4]
      slot.kept.reset();
    }
    slot.persistent = !c.clean_session;
    slot.online = &p;
    slot.dropping = false;
    p.client_ = &slot;
    ++connected_;
    const bool present = resumed.has_value();
    static_cast<void>(p.session.accept(now, std::move(resumed)));
    if (slot.persistent) mark_dirty(slot);
    say("connect client=" + id + " version=" + std::string(to_string(c.protocol)) +
        " clean=" + (c.clean_session ? "1" : "0") + (present ? " resumed=1" : "") +
        " from=" + p.address());
  }

  void on(peer& p, const events::subscribe_requested& e, time_point now) {
    client& c = *p.client_;
    static_cast<void>(p.session.grant_up_to(e.packet_id, opts_.max_qos, now));
    for (const subscription s : e.subscriptions) {
      const qos_level granted = std::min(s.qos, opts_.max_qos);
      static_cast<void>(index_.add(s.topic_filter, &c, granted));  // [MQTT-3.8.4-3]
      // [MQTT-3.3.1-6]: the retained messages matching the new subscription, RETAIN 1
      // ([MQTT-3.3.1-8]), after the SUBACK that grant wrote.
      for (const auto& [topic, m] : retained_) {
        if (topic_matches(s.topic_filter, topic)) deliver(c, m, granted, true, now);
      }
    }
    if (c.persistent) mark_dirty(c);
  }

  void on(peer& p, const events::unsubscribe_requested& e, time_point) {
    client& c = *p.client_;
    for (const std::string_view filter : e.topic_filters) {
      static_cast<void>(index_.remove(filter, &c));  // compared literally ([MQTT-3.10.4-1])
    }
    if (c.persistent) mark_dirty(c);
  }

  void on(peer& p, const events::message& e, time_point now) {
    route(e.msg, p.session.version(), now);
    if (e.msg.qos == qos_level::at_most_once) return;
    if (store_ != nullptr) {
      // The PUBACK/PUBREC goes out with the commit that makes the routed message durable.
      pending_acks_.push_back({&p, *e.msg.packet_id});
      if (e.msg.qos == qos_level::exactly_once && p.client_->persistent) mark_dirty(*p.client_);
      request_commit();
    }
  }

  void on(peer& p, const events::delivered&, time_point) {
    if (p.client_ != nullptr && p.client_->persistent) mark_dirty(*p.client_);
  }

  void on(peer& p, const events::packet_received& e, time_point) {
    // PUBREC moves an outgoing QoS 2 message to its PUBREL, PUBREL releases an incoming id:
    // both change what a persistent session must find again after a crash.
    const bool changes = std::holds_alternative<pubrec>(e.pkt) || std::holds_alternative<pubrel>(e.pkt);
    if (changes && p.client_ != nullptr && p.client_->persistent) mark_dirty(*p.client_);
  }

  void on(peer& p, const events::closed& e, time_point now) {
    std::erase_if(pending_acks_, [&p](const pending_ack& a) { return a.who == &p; });
    client* c = std::exchange(p.client_, nullptr);
    log_closed(p, c, e);
    if (c != nullptr) {
      --connected_;
      c->online = nullptr;
      if (c->persistent) {
        c->kept = std::make_unique<session_state>(p.session.take_state());
        mark_dirty(*c);
      } else {
        drop(*c);
      }
    }
    // [MQTT-3.1.2-8]: the will, last, so it also reaches the client's own kept session.
    if (e.publish_will) {
      if (const std::optional<publish> will = p.session.will_message()) {
        route(*will, p.session.version(), now);
      }
    }
  }

  // ---- routing

  // Encodes the PUBLISH once, keeps it as the topic's retained message if asked, and hands it
  // to each matching client once, at the highest QoS it was granted ([MQTT-3.3.5-1]).
  void route(const publish& in, protocol_version v, time_point now) {
    publish p = in;
    p.dup = false;
    const shared_message m = encode(p, v);
    if (!m) return;
    ++stats_.published;
    if (p.retain) {
      const std::string topic(p.topic);
      if (p.payload.empty()) {  // [MQTT-3.3.1-10], -11: cleared, and not stored
        if (retained_.erase(topic) != 0 && store_ != nullptr) store_->unretain(topic);
      } else {  // [MQTT-3.3.1-5]: replaces the topic's retained message
        retained_[topic] = m;
        if (store_ != nullptr) store_->retain(m);
      }
      if (store_ != nullptr) request_commit();
    }
    // QoS 0 subscribers of a QoS 1/2 message get a copy without a packet id, encoded once on
    // first need, so every delivery copies bytes of the right layout and patches a few.
    shared_message at_qos0;
    index_.match_subscribers(p.topic, [&](client* c, qos_level granted) {
      const qos_level q = std::min(p.qos, granted);
      if (q == qos_level::at_most_once && p.qos != qos_level::at_most_once) {
        if (!at_qos0) {
          publish zero = p;
          zero.qos = qos_level::at_most_once;
          zero.packet_id.reset();
          at_qos0 = encode(zero, v);
        }
        if (at_qos0) deliver(*c, at_qos0, q, false, now);
      } else {
        deliver(*c, m, q, false, now);  // [MQTT-3.3.1-9]: RETAIN 0 to existing subscribers
      }
    });
  }

  void deliver(client& c, const shared_message& m, qos_level q, bool retain, time_point now) {
    errc e = errc::success;
    if (c.online != nullptr) {
      e = c.online->session.deliver(m, q, retain, now);
      if (e == errc::success) {
        c.online->wake();
        if (c.persistent && q != qos_level::at_most_once) mark_dirty(c);
      }
    } else if (c.persistent) {
      // [MQTT-3.1.2-5]: QoS 1/2 kept for the offline session (QoS 0 is not, as in mosquitto).
      const qos_level at = std::min(m->view().qos, q);
      if (at == qos_level::at_most_once) return;
      if (!c.kept) c.kept = std::make_unique<session_state>();
      e = c.kept->enqueue(m, at, opts_.max_queued);
      if (e == errc::success && store_ != nullptr) {
        store_->enqueue(c.id, m, at);
        request_commit();
      }
    }
    if (e == errc::success) {
      ++stats_.deliveries;
      c.dropping = false;
      return;
    }
    ++stats_.dropped;
    if (!c.dropping) {
      c.dropping = true;
      say("drop client=" + std::string(c.id) + " reason=" + std::string(to_string(e)));
    }
  }

  shared_message encode(const publish& p, protocol_version v) {
    auto o = owned<publish>::copy_of(p, v);
    if (!o) return nullptr;  // not reached: the session decoded (validated) it
    ++stats_.encodings;
    return make_tagged(std::move(*o), next_ref_++);
  }

  // ---- the registry

  client& entry(std::string_view id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) {
      client c;
      c.id = std::string(id);
      it = clients_.insert(std::move(c)).first;
    }
    return mutable_entry(*it);
  }
  // The set's elements are const for the sake of its order, which only the id decides: the
  // rest of an entry may change.
  static client& mutable_entry(const client& c) noexcept { return const_cast<client&>(c); }
  // A clean session ends: its subscriptions and the entry go.
  void drop(client& c) {
    index_.remove_all(&c);
    clients_.erase(clients_.find(c.id));  // by iterator: c.id is the key being erased
  }
  // A persistent session is discarded (the client connected with Clean Session 1).
  void forget(client& c) {
    index_.remove_all(&c);
    c.kept.reset();
    c.persistent = false;
    c.dirty = false;
    if (store_ != nullptr) {
      store_->forget(c.id);
      request_commit();
    }
  }

  std::optional<connect_return_code> authenticate(const connect& c) const {
    if (opts_.users.empty()) return std::nullopt;
    if (!c.username) return connect_return_code::not_authorized;
    const auto it = opts_.users.find(*c.username);
    if (it == opts_.users.end() || !c.password || *c.password != it->second) {
      return connect_return_code::bad_username_or_password;
    }
    return std::nullopt;
  }

  // ---- durability

  void mark_dirty(client& c) {
    if (store_ == nullptr || c.dirty) return;
    c.dirty = true;
    dirty_.emplace_back(c.id);
    request_commit();
  }
  void request_commit() {
    if (commit_requested_ || !commit_needed_) return;
    commit_requested_ = true;
    commit_needed_();
  }
  void save(const client& c) {
    session_state s = c.online != nullptr ? c.online->session.export_state()
                      : c.kept         ? *c.kept
                                       : session_state{};
    s.client_id = std::string(c.id);
    store_->save_session(s);
  }
  void compact() {
    std::vector<shared_message> retained;
    for (const auto& [topic, m] : retained_) retained.push_back(m);
    std::vector<session_state> sessions;
    for (const client& c : clients_) {
      if (!c.persistent) continue;
      sessions.push_back(c.online != nullptr ? c.online->session.export_state()
                         : c.kept            ? *c.kept
                                             : session_state{});
      sessions.back().client_id = c.id;
    }
    store_->rewrite(retained, sessions);
  }

  // ---- the log

  void say(const std::string& line) const {
    if (log_) log_(line);
  }
  void log_closed(const peer& p, const client* c, const events::closed& e) const {
    // "?": no CONNECT was read; "": it had an empty client id.
    std::string who = c != nullptr ? std::string(c->id) : "?";
    if (c == nullptr && p.session.connect_received()) {
      who = p.session.client_id().empty() ? "\"\"" : std::string(p.session.client_id());
    }
    if (e.refusal) {
      say("refused client=" + who + " code=" + std::string(refusal_name(*e.refusal)) +
          " from=" + p.address());
      return;
    }
    switch (e.reason.code) {
      case errc::success:
        return say("disconnect client=" + who + " reason=disconnect");
      case errc::keep_alive_timeout:
      case errc::connect_timeout:
      case errc::connection_lost:
      case errc::session_taken_over:
        return say("disconnect client=" + who + " reason=" + std::string(to_string(e.reason.code)));
      default:
        return say("protocol error client=" + who + " errc=" +
                   std::string(to_string(e.reason.code)) + " offset=" +
                   std::to_string(e.reason.offset) + " from=" + p.address());
    }
  }
  static std::string_view refusal_name(connect_return_code c) noexcept {
    switch (c) {
      case connect_return_code::accepted: return "accepted";
      case connect_return_code::unacceptable_protocol_version: return "unacceptable_protocol_version";
      case connect_return_code::identifier_rejected: return "identifier_rejected";
      case connect_return_code::server_unavailable: return "server_unavailable";
      case connect_return_code::bad_username_or_password: return "bad_username_or_password";
      case connect_return_code::not_authorized: return "not_authorized";
    }
    return "unknown";
  }

  broker_options opts_;
  store* store_;
  log_sink log_;
  std::shared_ptr<const server_options> session_options_;
  std::set<client, by_client_id> clients_;
  subscription_index<client*, qos_level> index_;
  std::map<std::string, shared_message, std::less<>> retained_;
  std::vector<pending_ack> pending_acks_;  // in arrival order
  std::vector<std::string> dirty_;         // clients to save at the next commit
  std::function<void()> commit_needed_;
  bool commit_requested_ = false;
  std::size_t connected_ = 0;
  std::uint64_t assigned_ids_ = 0;
  std::uint64_t next_ref_ = 1;
  broker_stats stats_;
};

}  // namespace mqttwire_broker

#endif  // MQTTWIRE_EXAMPLES_BROKER_BROKER_HPP
