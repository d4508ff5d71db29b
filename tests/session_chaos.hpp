// SPDX-License-Identifier: MIT
// Test support for the sessions: a client_session and the server_sessions of a one-client broker
// over a seeded channel that splits each direction's bytes into random pieces, delays them on a
// virtual clock, and cuts the connection at random points; the client reconnects, the broker
// keeps the persistent session (serialised and read back at every reconnect, as a broker restart
// would). A run records what each side published and what arrived, for the guarantees to be
// checked (tests/test_session_random.cpp).
#ifndef MQTTWIRE_TESTS_SESSION_CHAOS_HPP
#define MQTTWIRE_TESTS_SESSION_CHAOS_HPP

#include <mqttwire/session/client.hpp>
#include <mqttwire/session/server.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace session_chaos {

using namespace mqttwire;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

/// splitmix64: small, fast, and the same sequence on every platform (the std distributions
/// are not).
class rng {
 public:
  explicit rng(std::uint64_t seed) noexcept : s_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// 0 .. n-1 (0 when n is 0).
  std::size_t below(std::size_t n) noexcept {
    return n == 0 ? 0 : static_cast<std::size_t>(next() % n);
  }
  bool percent(std::size_t p) noexcept { return below(100) < p; }
  bool permille(std::size_t p) noexcept { return below(1000) < p; }

 private:
  std::uint64_t s_;
};

/// What one run does, drawn from its seed (see config_for).
struct run_config {
  bool clean = false;  ///< Clean Session 1 on every connection
  protocol_version version = protocol_version::v3_1_1;
  std::uint16_t keep_alive = 0;  ///< seconds; 0: no keep-alive (only full cuts then)
  std::size_t max_inflight = 4;
  std::size_t max_queued = 50;
  std::size_t max_output = 1u << 20;  ///< small in some runs: output waits for room
  bool client_manual_acks = false;
  bool server_manual_acks = false;
  std::size_t max_piece = 16;   ///< largest piece the channel delivers at once
  milliseconds max_delay{100};  ///< longest a piece is delayed
  std::size_t cut_permille = 20;  ///< chance per step of a cut
  std::size_t reject_percent = 0;  ///< chance the broker refuses a CONNECT
  int steps = 300;  ///< random steps before the quiet end
};

inline run_config config_for(std::uint64_t seed, bool clean) {
  rng r(seed ^ 0xC0FFEEull);
  run_config c;
  c.clean = clean;
  c.version = r.percent(25) ? protocol_version::v3_1 : protocol_version::v3_1_1;
  c.keep_alive = r.percent(25) ? std::uint16_t{0} : static_cast<std::uint16_t>(2 + r.below(20));
  c.max_inflight = 1 + r.below(8);
  c.max_queued = 5 + r.below(60);
  c.client_manual_acks = r.percent(30);
  c.server_manual_acks = r.percent(30);
  c.max_piece = r.percent(20) ? 1 + r.below(3) : 1 + r.below(r.percent(50) ? 40 : 400);
  // Delays stay well inside the keep-alive, so only cuts (not slowness) end connections in
  // the quiet end.
  const std::size_t cap = c.keep_alive == 0 ? 500 : std::size_t{c.keep_alive} * 1000 / 5;
  c.max_delay = milliseconds(static_cast<long>(r.below(std::min<std::size_t>(cap, 500) + 1)));
  c.cut_permille = 5 + r.below(40);
  c.reject_percent = r.percent(20) ? 10 : 0;
  c.steps = 100 + static_cast<int>(r.below(300));
  if (r.percent(30)) c.max_output = 1 + r.below(64);
  return c;
}

/// Totals over runs, to show that the runs reached the interesting paths.
struct run_stats {
  std::size_t runs = 0, connections = 0, cuts = 0, half_cuts = 0, takeovers = 0, rejects = 0,
              round_trips = 0, disconnects = 0, keep_alive_timeouts = 0;
  std::size_t published[2][3] = {};   // [0]: client -> broker, [1]: broker -> client; by QoS
  std::size_t duplicates[2] = {};     // QoS 1 arrivals after the first
  std::size_t lost[2] = {};           // accepted QoS 1/2 that never arrived (clean runs only)
};

class world {
 public:
  world(std::uint64_t seed, const run_config& cfg, run_stats& stats)
      : cfg_(cfg), r_(seed), stats_(stats), client_(client_opts()) {}

  /// The whole run: random steps, then the quiet end. Returns the first broken guarantee ("" if
  /// none).
  std::string run() {
    ++stats_.runs;
    reconnect();
    for (int step = 0; step < cfg_.steps && problem_.empty(); ++step) random_step();
    if (problem_.empty()) quiet_end();
    if (problem_.empty()) check_guarantees();
    return problem_;
  }

 private:
  // ---------------------------------------------------------------- the channel

  struct segment {
    std::string bytes;
    time_point at;
    bool fin = false;  // the sender closed its socket: the peer reads end of file here
  };
  // One direction of a connection: in order, each piece after a random delay (never before the
  // piece ahead of it, as a byte stream).
  struct pipe {
    std::deque<segment> q;
    time_point last{};
    void push(segment s) {
      s.at = std::max(s.at, last);
      last = s.at;
      q.push_back(std::move(s));
    }
  };

  void send(pipe& p, bytes_view b) { send(p, std::string_view(b.data(), b.size())); }
  void send(pipe& p, std::string_view bytes) {
    while (!bytes.empty()) {
      const std::size_t n = std::min(bytes.size(), 1 + r_.below(cfg_.max_piece));
      p.push({std::string(bytes.substr(0, n)), now_ + delay(), false});
      bytes.remove_prefix(n);
    }
  }
  void send_fin(pipe& p) { p.push({{}, now_ + delay(), true}); }
  milliseconds delay() {
    return milliseconds(static_cast<long>(r_.below(static_cast<std::size_t>(cfg_.max_delay.count()) + 1)));
  }

  // ---------------------------------------------------------------- the sides

  struct server_end {
    server_session s;
    bool sock = true;            // its socket is still open (bytes reach it, its bytes go out)
    bool accepted = false;
    bool holds_session = false;  // accepted and not yet closed: the broker's session is in it
    bool closed = false;
    std::vector<std::uint16_t> acks;  // manual acks to give
    server_end(server_options o, time_point t) : s(o, t) {}
  };

  client_options client_opts() const {
    client_options o;
    o.max_inflight = cfg_.max_inflight;
    o.max_queued = cfg_.max_queued;
    o.manual_acks = cfg_.client_manual_acks;
    o.max_output = cfg_.max_output;
    o.connect_timeout = 10s;
    return o;
  }
  server_options server_opts() const {
    server_options o;
    o.max_inflight = cfg_.max_inflight;
    o.max_queued = cfg_.max_queued;
    o.manual_acks = cfg_.server_manual_acks;
    o.max_output = cfg_.max_output;
    o.connect_timeout = 10s;
    return o;
  }

  // What one direction published and what arrived. Payloads are the decimal sequence number.
  struct sent_message {
    std::string topic;
    qos_level qos = qos_level::at_most_once;
    bool accepted = false;     // the session took it (it may still be lost: see the checks)
    bool final_phase = false;  // published in the quiet end, on the last connection
  };
  struct flow_log {
    std::vector<sent_message> sent;
    std::vector<std::size_t> arrivals;   // per sequence number
    std::vector<std::size_t> delivered;  // `delivered` events per sequence number (client only)
    std::vector<std::size_t> order;      // sequence numbers in arrival order
  };

  void fail(std::string what) {
    if (problem_.empty()) problem_ = std::move(what);
  }

  // Appended piece by piece: g++ 12 at -O3 reports a false -Wrestrict for "literal" + string&&.
  static std::string describe(const sent_message& m, std::size_t seq) {
    std::string s = "#";
    s += std::to_string(seq);
    s += ' ';
    s += m.topic;
    s += " q";
    s += std::to_string(static_cast<int>(m.qos));
    return s;
  }

  void arrived(flow_log& log, const publish& m, const char* where) {
    std::size_t seq = 0;
    const auto [end, ec] = std::from_chars(m.payload.data(), m.payload.data() + m.payload.size(), seq);
    if (ec != std::errc{} || end != m.payload.data() + m.payload.size() || seq >= log.sent.size()) {
      return fail(std::string(where) + ": a message that was never published: " +
                  std::string(m.topic) + " '" + std::string(m.payload) + "'");
    }
    const sent_message& s = log.sent[seq];
    if (!s.accepted || s.topic != m.topic || s.qos != m.qos || m.retain) {
      return fail(std::string(where) + ": arrived unlike published: " + describe(s, seq) +
                  " came as " + std::string(m.topic) + " q" +
                  std::to_string(static_cast<int>(m.qos)) + (s.accepted ? "" : " (refused)"));
    }
    ++log.arrivals[seq];
    log.order.push_back(seq);
  }

  std::size_t publish_record(flow_log& log, std::string topic, qos_level q) {
    log.sent.push_back({std::move(topic), q, false, final_phase_});
    log.arrivals.push_back(0);
    log.delivered.push_back(0);
    return log.sent.size() - 1;
  }

  // ---------------------------------------------------------------- commands

  void client_publish() {
    const auto q = static_cast<qos_level>(r_.below(3));
    const std::size_t seq = publish_record(c2s_, "c/" + std::to_string(r_.below(3)), q);
    const std::string payload = std::to_string(seq);
    const auto id = client_.publish(
        publish{.qos = q, .topic = c2s_.sent[seq].topic, .payload = payload}, now_);
    if (!id) {
      const errc e = id.code();
      const bool expected = e == errc::queue_full || (q == qos_level::at_most_once && e == errc::not_connected);
      if (!expected) fail("client publish refused with " + std::string(to_string(e)));
      return;
    }
    c2s_.sent[seq].accepted = true;
    ++stats_.published[0][static_cast<int>(q)];
    if (q == qos_level::at_most_once) return;
    // An id is reused only after its flow ended (or a clean session dropped it).
    if (const auto it = id_to_seq_.find(*id); it != id_to_seq_.end() && !cfg_.clean) {
      fail("client packet id " + std::to_string(*id) + " handed out again while " +
           describe(c2s_.sent[it->second], it->second) + " is in flight");
    }
    id_to_seq_[*id] = seq;
  }

  server_end* live() {
    if (srv_ && srv_->holds_session) return srv_.get();
    for (auto& s : stale_) {
      if (s->holds_session) return s.get();
    }
    return nullptr;
  }

  void broker_deliver() {
    const auto q = static_cast<qos_level>(r_.below(3));
    const std::size_t seq = publish_record(s2c_, "s/" + std::to_string(r_.below(3)), q);
    const std::string payload = std::to_string(seq);
    const publish p{.qos = q, .topic = s2c_.sent[seq].topic,
                    .packet_id = q == qos_level::at_most_once ? std::nullopt
                                                              : std::optional<std::uint16_t>(1),
                    .payload = payload};
    auto m = make_shared_message(p, cfg_.version);
    if (!m) return fail("make_shared_message: " + std::string(to_string(m.code())));
    errc e = errc::not_connected;
    if (server_end* l = live(); l && l->s.state() == link_state::connected) {
      e = l->s.deliver(*m, qos_level::exactly_once, false, now_);
      if (e != errc::success && e != errc::queue_full) {
        return fail("deliver refused with " + std::string(to_string(e)));
      }
    } else if (!cfg_.clean && kept_) {
      // QoS 0 is dropped for an offline client (success, but nothing kept).
      e = kept_->enqueue(*m, q, cfg_.max_queued);
      if (q == qos_level::at_most_once) e = errc::not_connected;
    }
    if (e != errc::success) return;
    s2c_.sent[seq].accepted = true;
    ++stats_.published[1][static_cast<int>(q)];
  }

  void client_subscribe() {
    if (r_.percent(70)) {
      const subscription subs[] = {{"s/#", qos_level::exactly_once}};
      if (const auto id = client_.subscribe(subs, now_)) requests_[*id] = true;
    } else {
      const std::string_view filters[] = {"x/#"};
      if (const auto id = client_.unsubscribe(filters, now_)) requests_[*id] = false;
    }
  }

  void manual_acks() {
    if (!client_acks_.empty() && r_.percent(50)) {
      const std::size_t i = r_.below(client_acks_.size());
      client_.acknowledge(client_acks_[i].id, now_);
      client_acks_.erase(client_acks_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (srv_ && !srv_->acks.empty()) {
      const std::size_t i = r_.below(srv_->acks.size());
      srv_->s.acknowledge(srv_->acks[i], now_);
      srv_->acks.erase(srv_->acks.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  void all_manual_acks() {
    for (const held_ack& a : client_acks_) client_.acknowledge(a.id, now_);
    client_acks_.clear();
    if (srv_) {
      for (const std::uint16_t id : srv_->acks) srv_->s.acknowledge(id, now_);
      srv_->acks.clear();
    }
  }

  // A cut: the bytes in flight are lost. Usually both sides see it; with a keep-alive, sometimes
  // only one does and the other finds out by its timers.
  void cut() {
    if (!client_sock_ && !(srv_ && srv_->sock)) return;
    ++stats_.cuts;
    up_.q.clear();
    down_.q.clear();
    const std::size_t mode = cfg_.keep_alive == 0 ? 0 : r_.below(4);
    const bool client_told = mode != 2, server_told = mode != 3;
    if (mode >= 2) ++stats_.half_cuts;
    client_sock_ = false;
    if (client_told) client_.connection_lost(now_);
    if (srv_) {
      srv_->sock = false;
      if (server_told) srv_->s.connection_lost(now_);
    }
  }

  // A new connection: the client opens again; a server end the client left behind stays with
  // the broker until it notices (timers) or the new connection takes the session over.
  void reconnect() {
    if (srv_) {
      if (srv_->closed) {
        srv_.reset();
      } else {
        srv_->sock = false;
        stale_.push_back(std::move(srv_));
      }
    }
    std::erase_if(stale_, [](const auto& s) { return s->closed; });
    up_ = pipe{};
    down_ = pipe{};
    srv_ = std::make_unique<server_end>(server_opts(), now_);
    const errc e = client_.open(connect{.protocol = cfg_.version,
                                        .clean_session = cfg_.clean,
                                        .keep_alive = cfg_.keep_alive,
                                        .client_id = "chaos"},
                                now_);
    if (e != errc::success) return fail("open: " + std::string(to_string(e)));
    client_sock_ = true;
    client_closed_ = false;
    client_connected_ = false;
    ++stats_.connections;
  }

  // ---------------------------------------------------------------- events

  void on_client(const client_event& ev) {
    if (client_closed_) return fail("client event after closed");
    if (const auto* m = std::get_if<events::message>(&ev)) {
      if (!client_connected_) fail("client message before connected");
      arrived(s2c_, m->msg, "client");
      if (cfg_.client_manual_acks && m->msg.packet_id) {
        client_acks_.push_back({*m->msg.packet_id, m->msg.qos == qos_level::exactly_once});
      }
    } else if (const auto* d = std::get_if<events::delivered>(&ev)) {
      const auto it = id_to_seq_.find(d->packet_id);
      if (it == id_to_seq_.end()) return fail("client delivered an unknown id " + std::to_string(d->packet_id));
      const std::size_t seq = it->second;
      if (c2s_.sent[seq].qos != d->qos) fail("client delivered with the wrong QoS " + describe(c2s_.sent[seq], seq));
      ++c2s_.delivered[seq];
      id_to_seq_.erase(it);
    } else if (const auto* s = std::get_if<events::subscribed>(&ev)) {
      const auto it = requests_.find(s->packet_id);
      if (it == requests_.end() || !it->second) return fail("SUBACK for no SUBSCRIBE");
      if (std::vector<std::uint8_t>(s->return_codes.begin(), s->return_codes.end()) !=
          std::vector<std::uint8_t>{2}) {
        fail("SUBACK codes");
      }
      requests_.erase(it);
    } else if (const auto* u = std::get_if<events::unsubscribed>(&ev)) {
      const auto it = requests_.find(u->packet_id);
      if (it == requests_.end() || it->second) return fail("UNSUBACK for no UNSUBSCRIBE");
      requests_.erase(it);
    } else if (std::holds_alternative<events::connected>(ev)) {
      if (client_connected_) fail("client connected twice on one connection");
      client_connected_ = true;
      // A PUBACK held for the last connection is void; a PUBREC stays held until acknowledged,
      // unless the server kept nothing of the session.
      const bool present = std::get<events::connected>(ev).session_present;
      std::erase_if(client_acks_, [present](const held_ack& a) { return !present || !a.qos2; });
    } else if (const auto* c = std::get_if<events::closed>(&ev)) {
      client_closed_ = true;
      const errc e = c->reason.code;
      if (e == errc::keep_alive_timeout) ++stats_.keep_alive_timeouts;
      const bool fine = e == errc::success || e == errc::connection_lost ||
                        e == errc::keep_alive_timeout || e == errc::connect_timeout ||
                        (e == errc::connection_refused && rejected_);
      if (!fine) fail("client closed with " + std::string(to_string(e)) + " at " + std::to_string(c->reason.offset));
      if (client_sock_) {
        // Output still pending (DISCONNECT) is written before the socket closes.
        send(up_, client_.output());
        client_.consume_output(client_.output().size());
        send_fin(up_);
        client_sock_ = false;
      }
      std::erase_if(client_acks_, [](const held_ack& a) { return !a.qos2; });
      if (cfg_.clean) {
        client_acks_.clear();
        // A clean session forgets its requests with the connection.
        requests_.clear();
      }
      reconnect_at_ = now_ + milliseconds(static_cast<long>(r_.below(3000)));
    }
  }

  void on_server(server_end& e, const server_event& ev) {
    if (e.closed) return fail("server event after closed");
    if (const auto* c = std::get_if<events::connect_requested>(&ev)) {
      if (e.accepted) return fail("second connect_requested");
      if (c->request.client_id != "chaos" || c->request.clean_session != cfg_.clean) {
        return fail("connect_requested with the wrong CONNECT");
      }
      if (!final_phase_ && r_.percent(cfg_.reject_percent)) {
        ++stats_.rejects;
        rejected_ = true;
        if (e.s.reject(connect_return_code::not_authorized, now_) != errc::success) fail("reject");
        return;
      }
      rejected_ = false;
      // Another connection with this client id holds the session: it is taken over.
      each_end([&](server_end& other) {
        if (&other != &e && other.holds_session) {
          ++stats_.takeovers;
          other.s.close(errc::session_taken_over, now_);
          drain_server(other);
        }
      });
      std::optional<session_state> resume;
      if (cfg_.clean) {
        kept_.reset();
      } else if (kept_) {
        // As if the broker had restarted: the state goes through its serialised form.
        const auto saved = serialise(*kept_);
        if (!saved) return fail("serialise refused the state: " + std::string(to_string(saved.code())));
        const std::vector<char>& bytes = *saved;
        auto back = deserialise(bytes_view(bytes.data(), bytes.size()));
        if (!back) return fail("deserialise of a kept state: " + std::string(to_string(back.code())));
        if (!(*back == *kept_)) return fail("deserialise(serialise(state)) differs");
        if (serialise(*back) != result<std::vector<char>>(bytes)) return fail("serialise of the read-back state differs");
        ++stats_.round_trips;
        resume = std::move(*back);
        kept_.reset();
      }
      if (e.s.accept(now_, std::move(resume)) != errc::success) return fail("accept");
      e.accepted = e.holds_session = true;
    } else if (const auto* m = std::get_if<events::message>(&ev)) {
      if (!e.accepted) fail("server message before accept");
      arrived(c2s_, m->msg, "broker");
      if (cfg_.server_manual_acks && m->msg.packet_id) e.acks.push_back(*m->msg.packet_id);
    } else if (const auto* d = std::get_if<events::delivered>(&ev)) {
      ++server_delivered_[static_cast<int>(d->qos)];
    } else if (const auto* s = std::get_if<events::subscribe_requested>(&ev)) {
      if (e.s.grant_up_to(s->packet_id, qos_level::exactly_once, now_) != errc::success) {
        fail("grant");
      }
    } else if (std::holds_alternative<events::unsubscribe_requested>(ev)) {
      // the UNSUBACK is written by the session
    } else if (const auto* x = std::get_if<events::closed>(&ev)) {
      e.closed = true;
      const errc code = x->reason.code;
      if (code == errc::keep_alive_timeout) ++stats_.keep_alive_timeouts;
      const bool fine = code == errc::success || code == errc::connection_lost ||
                        code == errc::keep_alive_timeout || code == errc::connect_timeout ||
                        code == errc::session_taken_over ||
                        (code == errc::connection_refused && !e.accepted);
      if (!fine) {
        fail("server closed with " + std::string(to_string(code)) + " at " +
             std::to_string(x->reason.offset));
      }
      if (e.sock) {
        send(down_, e.s.output());
        e.s.consume_output(e.s.output().size());
        send_fin(down_);
        e.sock = false;
      }
      if (e.holds_session) {
        e.holds_session = false;
        if (!cfg_.clean) kept_ = e.s.take_state();
      }
      e.acks.clear();
    }
  }

  // Calls f(server_end&) for the current end and every stale one.
  template <class F>
  void each_end(F f) {
    if (srv_) f(*srv_);
    for (auto& s : stale_) f(*s);
  }

  bool drain_client() {
    bool moved = false;
    while (auto ev = client_.poll_event()) {
      moved = true;
      on_client(*ev);
    }
    return moved;
  }
  bool drain_server(server_end& e) {
    bool moved = false;
    while (auto ev = e.s.poll_event()) {
      moved = true;
      on_server(e, *ev);
    }
    return moved;
  }

  // Hands one piece to a session, by feed() or by prepare()/commit(), at random.
  template <class Session>
  void give(Session& s, const std::string& bytes) {
    if (r_.percent(50)) {
      if (s.feed(bytes_view(bytes.data(), bytes.size()), now_) != bytes.size()) fail("feed took less");
      return;
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
      const std::span<char> space = s.prepare(bytes.size() - done);
      if (space.empty()) return fail("prepare gave no room");
      std::copy_n(bytes.data() + done, space.size(), space.data());
      s.commit(space.size(), now_);
      done += space.size();
    }
  }

  bool deliver_due() {
    bool moved = false;
    while (!up_.q.empty() && up_.q.front().at <= now_) {
      segment seg = std::move(up_.q.front());
      up_.q.pop_front();
      moved = true;
      if (!srv_ || !srv_->sock) continue;
      if (seg.fin) {
        srv_->s.connection_lost(now_);
      } else {
        give(srv_->s, seg.bytes);
      }
      drain_server(*srv_);
    }
    while (!down_.q.empty() && down_.q.front().at <= now_) {
      segment seg = std::move(down_.q.front());
      down_.q.pop_front();
      moved = true;
      if (!client_sock_) continue;
      if (seg.fin) {
        client_.connection_lost(now_);
      } else {
        give(client_, seg.bytes);
      }
      drain_client();
    }
    return moved;
  }

  bool flush() {
    bool moved = false;
    if (!client_.output().empty()) {
      moved = true;
      // Sometimes only part of it, as a socket that takes less than offered.
      const bytes_view out = client_.output();
      const std::size_t n = r_.percent(30) ? 1 + r_.below(out.size()) : out.size();
      if (client_sock_) send(up_, out.first(n));
      client_.consume_output(n);
    }
    each_end([&](server_end& e) {
      if (e.s.output().empty()) return;
      moved = true;
      if (e.sock && &e == srv_.get()) {
        // Sometimes by take_output(), as a caller with one write in flight does.
        if (r_.percent(50)) {
          std::vector<char> out;
          e.s.take_output(out);
          send(down_, std::string_view(out.data(), out.size()));
        } else {
          const bytes_view out = e.s.output();
          const std::size_t n = r_.percent(30) ? 1 + r_.below(out.size()) : out.size();
          send(down_, out.first(n));
          e.s.consume_output(n);
        }
      } else {
        e.s.consume_output(e.s.output().size());
      }
    });
    return moved;
  }

  // Runs everything due at now_ until nothing moves.
  void settle() {
    for (int round = 0; round < 100'000; ++round) {
      bool moved = deliver_due();
      client_.on_timeout(now_);
      each_end([this](server_end& e) { e.s.on_timeout(now_); });
      moved = drain_client() || moved;
      each_end([&](server_end& e) { moved = drain_server(e) || moved; });
      moved = flush() || moved;
      if (!problem_.empty() || !moved) return;
    }
    fail("the sessions never settle");
  }

  std::optional<time_point> next_wakeup() {
    std::optional<time_point> next;
    const auto consider = [&next](std::optional<time_point> t) {
      if (t && (!next || *t < *next)) next = t;
    };
    if (!up_.q.empty()) consider(up_.q.front().at);
    if (!down_.q.empty()) consider(down_.q.front().at);
    consider(client_.next_deadline());
    each_end([&](server_end& e) { consider(e.s.next_deadline()); });
    if (client_.state() == link_state::disconnected && !client_sock_) consider(reconnect_at_);
    return next;
  }

  void advance() {
    if (r_.percent(50)) {
      if (const auto t = next_wakeup()) now_ = std::max(now_, *t);
    } else {
      now_ += milliseconds(static_cast<long>(r_.below(static_cast<std::size_t>(cfg_.max_delay.count()) * 2 + 2)));
    }
  }

  void random_step() {
    const std::size_t pick = r_.below(100);
    if (pick < 30) {
      client_publish();
    } else if (pick < 50) {
      broker_deliver();
    } else if (pick < 55) {
      manual_acks();
    } else if (pick < 58) {
      client_subscribe();
    } else if (pick < 59) {
      if (client_.state() == link_state::connected) {
        ++stats_.disconnects;
        client_.disconnect(now_);
      }
    } else {
      advance();
    }
    if (r_.permille(cfg_.cut_permille)) cut();
    settle();
    if (client_.state() == link_state::disconnected && !client_sock_ && now_ >= reconnect_at_) {
      reconnect();
      settle();
    }
  }

  // Leaves the channel alone (no cuts) until both sides have nothing in flight.
  bool quiet() {
    if (client_.state() != link_state::connected || !srv_ || srv_->s.state() != link_state::connected) {
      return false;
    }
    for (const auto& s : stale_) {
      if (!s->closed) return false;
    }
    return up_.q.empty() && down_.q.empty() && client_.in_flight() == 0 && client_.queued() == 0 &&
           srv_->s.in_flight() == 0 && srv_->s.queued() == 0 && client_.pending_acks() == 0 &&
           srv_->s.pending_acks() == 0 && client_.export_state().incoming_qos2.empty() &&
           srv_->s.export_state().incoming_qos2.empty() && requests_.empty() &&
           client_.output().empty() && srv_->s.output().empty();
  }

  void quiet_end() {
    final_phase_ = true;
    bool published = false;
    for (int round = 0; round < 20'000 && problem_.empty(); ++round) {
      if (client_.state() == link_state::disconnected && !client_sock_) {
        reconnect();
      }
      all_manual_acks();
      settle();
      if (!published && client_.state() == link_state::connected && srv_ &&
          srv_->s.state() == link_state::connected) {
        // On the last connection, a few more of each: these must arrive even in a clean session.
        published = true;
        for (int i = 0; i < 3; ++i) {
          client_publish();
          broker_deliver();
        }
        settle();
      }
      if (published && quiet()) return;
      const auto t = next_wakeup();
      now_ = t ? std::max(now_, *t) : now_ + 100ms;
    }
    if (problem_.empty()) {
      fail("no quiet end: client " + std::to_string(client_.in_flight()) + " in flight, " +
           std::to_string(client_.queued()) + " queued; server " +
           (srv_ ? std::to_string(srv_->s.in_flight()) + " in flight, " +
                       std::to_string(srv_->s.queued()) + " queued"
                 : std::string("none")));
    }
  }

  // ---------------------------------------------------------------- the guarantees

  void check_flow(const flow_log& log, int dir, const char* name) {
    std::map<std::pair<std::string, qos_level>, std::size_t> last_first;  // per topic and QoS
    std::vector<bool> seen(log.sent.size(), false);
    for (const std::size_t seq : log.order) {
      if (seen[seq]) continue;
      seen[seq] = true;
      const sent_message& m = log.sent[seq];
      if (m.qos == qos_level::at_most_once) continue;
      const auto key = std::make_pair(m.topic, m.qos);
      if (const auto it = last_first.find(key); it != last_first.end() && it->second > seq) {
        return fail(std::string(name) + ": " + describe(m, seq) + " arrived first after #" +
                    std::to_string(it->second));
      }
      last_first[key] = seq;
    }
    std::size_t qos12 = 0;
    for (std::size_t seq = 0; seq < log.sent.size(); ++seq) {
      const sent_message& m = log.sent[seq];
      const std::size_t n = log.arrivals[seq];
      if (!m.accepted) continue;  // arrived() refuses those
      if (m.qos != qos_level::at_most_once) ++qos12;
      switch (m.qos) {
        case qos_level::at_most_once:
          if (n > 1) return fail(std::string(name) + ": QoS 0 " + describe(m, seq) + " arrived " + std::to_string(n) + " times");
          break;
        case qos_level::at_least_once:
          if (n > 1) stats_.duplicates[dir] += n - 1;
          // A clean session sends nothing again on a new connection: no duplicates either.
          if (cfg_.clean && n > 1) return fail(std::string(name) + ": clean QoS 1 " + describe(m, seq) + " arrived twice");
          if (n == 0 && (!cfg_.clean || m.final_phase)) {
            return fail(std::string(name) + ": QoS 1 " + describe(m, seq) + " never arrived");
          }
          break;
        case qos_level::exactly_once:
          if (n > 1) return fail(std::string(name) + ": QoS 2 " + describe(m, seq) + " arrived " + std::to_string(n) + " times");
          if (n == 0 && (!cfg_.clean || m.final_phase)) {
            return fail(std::string(name) + ": QoS 2 " + describe(m, seq) + " never arrived");
          }
          break;
      }
      if (m.qos != qos_level::at_most_once && n == 0) ++stats_.lost[dir];
      if (dir == 0 && m.qos != qos_level::at_most_once) {
        // The publisher hears of each completed flow once; in a persistent session every flow
        // completes, in a clean one a dropped message is never completed, and a completed one
        // has arrived.
        const std::size_t d = log.delivered[seq];
        if (d > 1 || (d == 0 && (!cfg_.clean || m.final_phase)) || (d == 1 && n == 0)) {
          return fail(std::string(name) + ": " + describe(m, seq) + " delivered " + std::to_string(d) +
                      " times, arrived " + std::to_string(n));
        }
      }
    }
    if (dir == 1 && !cfg_.clean) {
      const std::size_t d = server_delivered_[1] + server_delivered_[2];
      if (d != qos12) {
        fail(std::string(name) + ": " + std::to_string(d) + " delivered events for " +
             std::to_string(qos12) + " QoS 1/2 messages");
      }
    }
  }

  void check_guarantees() {
    check_flow(c2s_, 0, "client -> broker");
    check_flow(s2c_, 1, "broker -> client");
  }

  run_config cfg_;
  rng r_;
  run_stats& stats_;
  time_point now_ = time_point{} + std::chrono::hours(1);
  client_session client_;
  bool client_sock_ = false;
  bool client_closed_ = false;
  bool client_connected_ = false;
  time_point reconnect_at_{};
  pipe up_, down_;  // client -> server, server -> client
  std::unique_ptr<server_end> srv_;                 // the end of the current connection
  std::vector<std::unique_ptr<server_end>> stale_;  // ends of earlier connections not yet closed
  std::optional<session_state> kept_;  // the broker's session while no connection holds it
  bool rejected_ = false;
  bool final_phase_ = false;
  flow_log c2s_, s2c_;
  std::map<std::uint16_t, std::size_t> id_to_seq_;  // client's QoS 1/2 in flight
  std::map<std::uint16_t, bool> requests_;  // client SUBSCRIBE (true) / UNSUBSCRIBE awaiting acks
  struct held_ack {
    std::uint16_t id;
    bool qos2;  // a PUBREC, which a session keeps held over a reconnect
  };
  std::vector<held_ack> client_acks_;
  std::size_t server_delivered_[3] = {};
  std::string problem_;
};

}  // namespace session_chaos

#endif  // MQTTWIRE_TESTS_SESSION_CHAOS_HPP
