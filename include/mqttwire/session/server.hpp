// SPDX-License-Identifier: MIT
// mqttwire: the MQTT 3.1/3.1.1 server protocol state machine of one connection, with no I/O
// and no clock. Routing between connections (subscriptions, retained messages) is the broker's.
#ifndef MQTTWIRE_SESSION_SERVER_HPP
#define MQTTWIRE_SESSION_SERVER_HPP

#include "mqttwire/encode.hpp"
#include "mqttwire/error.hpp"
#include "mqttwire/framer.hpp"
#include "mqttwire/options.hpp"
#include "mqttwire/owned.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/response.hpp"
#include "mqttwire/session/detail/core.hpp"
#include "mqttwire/session/detail/flows.hpp"
#include "mqttwire/session/detail/lazy_deque.hpp"
#include "mqttwire/session/events.hpp"
#include "mqttwire/session/id_string.hpp"
#include "mqttwire/session/state.hpp"
#include "mqttwire/types.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mqttwire {

/// Limits and choices of a server_session. Every queue has a limit; what happens at each is
/// part of the contract (see server_session).
struct server_options {
  std::size_t max_inflight = 32;      ///< QoS 1/2 deliveries sent and not yet acknowledged
  std::size_t max_queued = 1000;      ///< QoS 1/2 deliveries waiting behind them
  std::size_t max_output = 1u << 20;  ///< bytes of output not yet taken: QoS 0 past it is dropped
  std::size_t max_unreleased = 1000;  ///< inbound QoS 2 ids awaiting PUBREL; past it: close
  /// With manual_acks, inbound QoS 1/2 not yet acknowledged; at it, reading waits.
  std::size_t max_unacknowledged = 1000;
  std::size_t max_packet_size = 1u << 20;  ///< largest inbound packet (framer_options)
  /// The CONNECT must arrive this long after the session was made (a slow or idle peer holds
  /// a connection for at most this long before it is known who it is).
  std::chrono::milliseconds connect_timeout{10'000};
  /// SUBSCRIBEs reported and not yet answered by grant(); at it, reading waits.
  std::size_t max_pending_grants = 64;
  /// Acknowledge inbound QoS 1/2 (PUBACK, PUBREC) only when the application calls
  /// acknowledge(), e.g. once the message is written durably; acks still go out in arrival order.
  bool manual_acks = false;
  /// Report every received packet as events::packet_received before its own event.
  bool report_packets = false;
  options rules{};          ///< decoding rules
  connect_policy policy{};  ///< what connack_code_for accepts
};

/// The server side of one connection, in the sans-I/O style: the caller (a broker) owns the
/// socket, the clock and the routing; the session owns the protocol. Same inputs and outputs as
/// client_session (bytes in, poll_event, output, next_deadline / on_timeout), with the server's
/// events and answers:
/// - `connect_requested` for a CONNECT that the packet alone does not refuse: answer accept()
///   (with the kept state of a resumed session) or reject(). A CONNECT the packet refuses
///   (connack_code_for, or an unsupported protocol level) is answered by the session itself
///   with its CONNACK code, and `closed` follows. Nothing after the CONNECT is read until it is
///   answered ([MQTT-3.1.4-5]).
/// - `subscribe_requested`: answer grant() with one return code per filter ([MQTT-3.8.4-1]).
/// - `unsubscribe_requested`: the UNSUBACK is already written ([MQTT-3.10.4-4], -5).
/// - `message`: a PUBLISH to route. QoS 1 and 2 are acknowledged (at once, or at acknowledge()
///   with manual_acks); a QoS 2 message is handed over exactly once ([MQTT-4.3.3-2]).
/// - `delivered`: a delivery of ours (deliver()) has been acknowledged.
/// - `closed`, with publish_will when the will of the CONNECT must be published now.
/// The session enforces: CONNECT first, no second CONNECT (framer_options::
/// require_connect_first); the CONNECT deadline; the keep-alive watchdog (closed with
/// keep_alive_timeout after 1.5 times the client's keep-alive without a byte, [MQTT-3.1.2-24]);
/// outbound deliveries at the lower of the message's and the granted QoS with the session's own
/// packet ids and in-flight window; redelivery of a resumed session's messages in their
/// original order ([MQTT-4.4.0-1]).
///
/// At the limits: deliver() drops a QoS 0 message when max_output bytes are not yet taken and
/// a QoS 1/2 one when max_queued wait, returning errc::queue_full either way (the older ones
/// are kept); past max_unreleased the connection is closed with too_many_unreleased; a packet
/// over max_packet_size closes it with packet_too_large; reading waits (backpressure, nothing
/// is dropped) while max_pending_grants SUBSCRIBEs wait for grant() and, with manual_acks, while
/// max_unacknowledged messages wait for acknowledge().
///
/// Commands take the time for symmetry with client_session; a server needs it only at its
/// inputs (bytes, timeouts, accept), so reject, grant, deliver, acknowledge and close ignore it
/// (the session keeps no copy of the caller's clock: 8 bytes less per connection).
///
/// The output bound: every packet is begun while output() holds fewer than max_output bytes,
/// so output().size() < max_output + the largest packet written. While it holds more, nothing
/// received is handled (poll_event() handles no packet, wants_read() is false) and messages
/// (those resent first), released manual acks and SUBACKs of grant() wait in order; they go out
/// as consume_output()/take_output() make room, so poll_event() again after writing.
class server_session : public detail::session_core<server_session, server_event> {
  using core = detail::session_core<server_session, server_event>;
  friend core;

 public:
  /// A session for a connection accepted at `opened` (the CONNECT deadline counts from it),
  /// with its own copy of the options.
  explicit server_session(server_options o = {}, time_point opened = {})
      : server_session(std::make_shared<const server_options>(std::move(o)), opened, shared_tag{}) {}
  /// The same, with options made once and shared by many sessions (a broker's connections):
  /// each session holds a pointer to them rather than its own copy. `shared` must not be null.
  static server_session with_shared_options(std::shared_ptr<const server_options> shared,
                                            time_point opened = {}) {
    return server_session(std::move(shared), opened, shared_tag{});
  }

  // ------------------------------------------------------------------ answers

  /// Acknowledgements a closed connection still held for acknowledge() are not part of the
  /// state: before resuming, make sure the messages it reported are owned (e.g. on disk), since
  /// a resent QoS 2 message whose id is kept is answered at once.
  /// Accepts the CONNECT: CONNACK 0, with Session Present when `resumed` holds the kept state
  /// of a persistent session (Clean Session 0; [MQTT-3.2.2-1] .. -3). Its unacknowledged
  /// messages go out again (DUP 1, PUBREL), then the queued ones. `resumed` is ignored for a
  /// clean session. Errors: unexpected_packet when no CONNECT awaits an answer.
  errc accept(time_point now, std::optional<session_state> resumed = std::nullopt) {
    if (state_ != link_state::authorizing) return errc::unexpected_packet;
    const connect& c = request_->view();
    const bool resume = resumed.has_value() && !c.clean_session;
    work().out.append(answer_connect(c, resume, connect_return_code::accepted, opts_->policy), version_);
    state_ = link_state::connected;
    last_received_ = now;
    if (resume) {
      work().outbound.restore(std::move(resumed->outgoing));
      work().inbound.restore(std::move(resumed->incoming_qos2));
      subscriptions_ = std::move(resumed->subscriptions);
    }
    work().outbound.new_connection();
    static_cast<void>(work().outbound.fill_window(work().out, limits(), version_));
    return errc::success;
  }

  /// Refuses the CONNECT with `code` (not accepted), e.g. bad_username_or_password; `closed`
  /// with connection_refused follows and the will is not published. Errors: unexpected_packet
  /// when no CONNECT awaits an answer.
  errc reject(connect_return_code code, time_point /*now*/) {
    if (state_ != link_state::authorizing || code == connect_return_code::accepted) {
      return errc::unexpected_packet;
    }
    refuse(code);
    return errc::success;
  }

  /// Answers the SUBSCRIBE with this packet id: one return code per filter (granted QoS, or
  /// 0x80 in 3.1.1; see suback_code_for). Granted subscriptions become part of the session
  /// state. Errors: packet_id_mismatch (no such SUBSCRIBE awaits), return_code_count_mismatch,
  /// invalid_suback_return_code, not_connected.
  errc grant(std::uint16_t packet_id, std::span<const std::uint8_t> codes, time_point /*now*/) {
    if (state_ != link_state::connected) return errc::not_connected;
    const auto it = std::find_if(requests_.begin(), requests_.end(),
                                 [packet_id](const owned<mqttwire::subscribe>& r) {
                                   return r.view().packet_id == packet_id;
                                 });
    if (it == requests_.end()) return errc::packet_id_mismatch;
    const suback reply{.packet_id = packet_id, .return_codes = codes};
    if (const errc e = check_reply(it->view(), reply); e != errc::success) return e;
    if (const errc e = validate(reply, version_); e != errc::success) return e;
    auto code = codes.begin();
    for (const subscription sub : it->view().subscriptions) {
      const std::uint8_t granted = *code;
      ++code;
      if (granted != suback_code::failure) remember(sub.topic_filter, static_cast<qos_level>(granted));
    }
    // Held back while the output is full, behind any SUBACK held already.
    if (held_subacks_.empty() && work().out.size() < limits().max_output) {
      work().out.append(reply, version_);
    } else {
      std::string bytes;
      static_cast<void>(encode_to(reply, std::back_inserter(bytes), version_));
      held_subacks_.push_back(std::move(bytes));
    }
    requests_.erase(it);
    return errc::success;
  }
  /// grant() with, for each filter, suback_code_for(requested, maximum): grants everything up to
  /// `maximum`.
  errc grant_up_to(std::uint16_t packet_id, qos_level maximum, time_point now) {
    const auto it = std::find_if(requests_.begin(), requests_.end(),
                                 [packet_id](const owned<mqttwire::subscribe>& r) {
                                   return r.view().packet_id == packet_id;
                                 });
    if (it == requests_.end()) return errc::packet_id_mismatch;
    std::vector<std::uint8_t> codes;
    for (const subscription sub : it->view().subscriptions) {
      codes.push_back(*suback_code_for(sub.qos, maximum, version_));
    }
    return grant(packet_id, codes, now);
  }

  /// Sends `message` to this client at the lower of its QoS and `granted` ([MQTT-3.8.4-6]),
  /// with RETAIN `retain` (1 only for retained messages sent because of a new subscription,
  /// [MQTT-3.3.1-8], -9). QoS 0 is written at once; QoS 1/2 gets this session's packet id when it
  /// enters the in-flight window, or waits in order. The message's bytes are shared, not copied,
  /// until they are written. Errors: not_connected (queue into the kept state instead, see
  /// session_state::enqueue), queue_full, packet_too_large (a QoS 0 message of the largest
  /// size has no room for a packet id).
  errc deliver(const shared_message& message, qos_level granted, bool retain, time_point /*now*/) {
    if (state_ != link_state::connected) return errc::not_connected;
    const qos_level q = std::min(message->view().qos, granted);
    if (!detail::fits_at(*message, q)) return errc::packet_too_large;
    if (q == qos_level::at_most_once) {
      if (work().out.size() >= limits().max_output) return errc::queue_full;
      work().out.append_publish(*message, q, 0, false, retain);  // [MQTT-4.3.1-1]
      return errc::success;
    }
    if (const errc e = work().outbound.push({0, out_stage::queued, q, retain, message}, limits());
        e != errc::success) {
      return e;
    }
    static_cast<void>(work().outbound.fill_window(work().out, limits(), version_));
    return errc::success;
  }

  /// Manual acknowledgement (server_options::manual_acks): the broker owns the QoS 1/2 message
  /// with this packet id now (e.g. it is on disk); its PUBACK/PUBREC goes out in arrival order.
  void acknowledge(std::uint16_t packet_id, time_point /*now*/) {
    if (state_ == link_state::connected) work().inbound.acknowledge(packet_id, work().out, limits().max_output);
  }

  /// Ends the connection from the broker's side, e.g. with session_taken_over when another
  /// connection has the same client id ([MQTT-3.1.4-2]); `closed` follows, with the will when
  /// the connection had been accepted.
  void close(errc reason, time_point /*now*/) {
    end({reason, 0});
  }

  // ------------------------------------------------------------------ time

  /// When to call on_timeout() next: the CONNECT deadline, or the keep-alive watchdog.
  std::optional<time_point> next_deadline() const noexcept {
    if (state_ == link_state::connecting) return connect_deadline_;
    if (state_ != link_state::connected || watchdog_.count() == 0) return std::nullopt;
    return last_received_ + watchdog_;
  }
  /// Runs the timers due at `now`; calls before a deadline do nothing.
  void on_timeout(time_point now) {
    if (state_ == link_state::connecting && now >= connect_deadline_) {
      end({errc::connect_timeout, 0});
    } else if (state_ == link_state::connected && watchdog_.count() != 0 &&
               now >= last_received_ + watchdog_) {
      // [MQTT-3.1.2-24]: as if the network had failed, so the will is published.
      end({errc::keep_alive_timeout, stream_offset()});
    }
  }

  // ------------------------------------------------------------------ state

  /// The CONNECT of this connection, with its credentials: empty before it arrives, and once
  /// it has been answered (accept(), reject()) and release_idle_memory() called, which keeps of
  /// it only what the connection still needs: client_id(), clean_session(), will_message(). A
  /// caller that needs more (the user name, say) copies it at connect_requested.
  const owned<connect>& request() const noexcept {
    static const owned<connect> none;
    return request_ ? *request_ : none;
  }
  /// A CONNECT has been read (client_id() and clean_session() are its own).
  bool connect_received() const noexcept { return connect_received_; }
  std::string_view client_id() const noexcept { return client_id_; }
  bool clean_session() const noexcept { return clean_session_; }
  /// The will as the PUBLISH to send when `closed` says publish_will ([MQTT-3.1.2-16], -17).
  /// At QoS 1/2 its packet id is a placeholder (1): each delivery gets the subscriber's own.
  std::optional<mqttwire::publish> will_message() const {
    if (!will_) return std::nullopt;
    return will_->view();
  }
  /// A copy of what a persistent session keeps (messages are shared, not copied).
  session_state export_state() const {
    session_state s;
    s.client_id = client_id_;
    s.version = version_;
    s.outgoing.assign(peek().outbound.messages().begin(), peek().outbound.messages().end());
    s.incoming_qos2 = peek().inbound.unreleased();
    s.subscriptions = subscriptions_;
    return s;
  }
  /// Takes the kept state out, for the next connection of a persistent session
  /// ([MQTT-3.1.2-4]); call it after `closed` (the session is left with none).
  session_state take_state() {
    session_state s;
    s.client_id = client_id_;
    s.version = version_;
    s.outgoing = work().outbound.take();
    s.incoming_qos2 = work().inbound.take_unreleased();
    s.subscriptions = std::exchange(subscriptions_, {});
    return s;
  }

 private:
  struct shared_tag {};
  server_session(std::shared_ptr<const server_options> o, time_point opened, shared_tag)
      : core(o->manual_acks, o->report_packets), opts_(std::move(o)) {
    // The version is the CONNECT's once it is read; 3.1.1 rules until then.
    reset_input(protocol_version::v3_1_1);
    state_ = link_state::connecting;
    last_received_ = opened;
    connect_deadline_ = opened + opts_->connect_timeout;
  }

  // ---- received packets, one handler per type (session_core::poll_event calls them) ----

  void handle(const connect& c) {
    // The framer has checked it is the first packet and the only CONNECT. All of it is kept
    // until it is answered; what outlives that is copied apart (see release_idle()).
    auto kept = owned<connect>::copy_of(c, c.protocol);
    if (!kept) return end({kept.code(), packet_offset()});  // not reached: c was decoded
    if (c.will) {
      const last_will& w = *c.will;
      auto will = owned<mqttwire::publish>::copy_of(
          mqttwire::publish{.qos = w.qos, .retain = w.retain, .topic = w.topic,
                            .packet_id = w.qos == qos_level::at_most_once
                                             ? std::nullopt
                                             : std::optional<std::uint16_t>(1),
                            .payload = w.payload},
          c.protocol, opts_->rules);
      if (!will) return end({will.code(), packet_offset()});  // not reached: c was decoded
      will_ = std::make_unique<owned<mqttwire::publish>>(std::move(*will));
    }
    request_ = std::make_unique<owned<connect>>(std::move(*kept));
    client_id_ = c.client_id;
    clean_session_ = c.clean_session;
    connect_received_ = true;
    version_ = c.protocol;
    const std::uint32_t seconds = c.keep_alive;
    watchdog_ = std::chrono::milliseconds(std::uint64_t{seconds} * 1500u);  // 1.5 x keep-alive
    if (const connect_return_code code = connack_code_for(c, opts_->policy);
        code != connect_return_code::accepted) {
      return refuse(code);
    }
    state_ = link_state::authorizing;
    work().events.emplace_back(events::connect_requested{request_->view()});
  }
  void handle(const mqttwire::publish& p) {
    if (!received_publish(p)) end({errc::too_many_unreleased, packet_offset()});
  }
  void handle(const puback& a) { completed(work().outbound.on_puback(a.packet_id), a.packet_id); }
  void handle(const pubrec& a) {
    if (!work().outbound.on_pubrec(a.packet_id, work().out).known) work().out.append_ack(0x62u, a.packet_id);
  }
  void handle(const pubrel& r) { work().inbound.on_pubrel(r.packet_id, work().out); }
  void handle(const pubcomp& a) { completed(work().outbound.on_pubcomp(a.packet_id), a.packet_id); }
  void handle(const mqttwire::subscribe& s) {
    // Kept until grant(): the answer may come after the input buffer has moved on.
    auto kept = owned<mqttwire::subscribe>::copy_of(s, version_);
    if (!kept) {
      // Only an empty 3.1 SUBSCRIBE (tolerated by the decoder) is not encodable, and no SUBACK
      // can answer it (a SUBACK needs a return code): the connection ends.
      return end({kept.code(), packet_offset()});
    }
    requests_.push_back(std::move(*kept));
    work().events.emplace_back(events::subscribe_requested{s.packet_id, s.subscriptions});
  }
  void handle(const mqttwire::unsubscribe& u) {
    for (const std::string_view f : u.topic_filters) {  // compared literally ([MQTT-3.10.4-1])
      std::erase_if(subscriptions_,
                    [f](const stored_subscription& sub) { return sub.topic_filter == f; });
    }
    work().out.append_ack(0xB0u, u.packet_id);
    work().events.emplace_back(events::unsubscribe_requested{u.packet_id, u.topic_filters});
  }
  void handle(const pingreq&) { work().out.append(pingresp{}, version_); }  // [MQTT-3.12.4-1]
  void handle(const mqttwire::disconnect&) { end({}); }  // the will is dropped ([MQTT-3.14.4-3])
  // A client never sends these (3.1.1 §2.2.1 gives each packet its direction).
  void handle(const connack&) { unexpected(); }
  void handle(const suback&) { unexpected(); }
  void handle(const unsuback&) { unexpected(); }
  void handle(const pingresp&) { unexpected(); }

  // ---- for session_core ----

  framer_options framer_settings() const noexcept {
    return {.max_packet_size = opts_->max_packet_size,
            .rules = opts_->rules,
            .require_connect_first = true};
  }
  detail::flow_limits limits() const noexcept {
    const server_options& o = *opts_;
    return {o.max_inflight, o.max_queued, o.max_output, o.max_unreleased, o.max_unacknowledged};
  }
  // release_idle_memory(): an answered CONNECT is dropped, as the largest part of an idle
  // connection's session after the framer (its views in connect_requested end there, as the
  // views of every earlier event do).
  void release_idle() noexcept {
    if (state_ != link_state::connecting && state_ != link_state::authorizing) request_.reset();
    requests_.release_if_empty();
    held_subacks_.release_if_empty();
  }

  void output_released(std::uint64_t) noexcept {}  // a server counts no output
  void saw(time_point) noexcept {}  // nor keeps the caller's time

  // The output was written: what waited for room goes out (SUBACKs, acks, messages).
  void output_room() {
    if (state_ != link_state::connected) return;
    while (!held_subacks_.empty() && work().out.size() < limits().max_output) {
      work().out.append_bytes(held_subacks_.front());
      held_subacks_.pop_front();
    }
    write_waiting();
  }

  // Nothing after CONNECT is read while the broker decides on it ([MQTT-3.1.4-5]), nor while
  // max_pending_grants SUBSCRIBEs wait for grant().
  bool may_read() const noexcept {
    return state_ != link_state::authorizing && requests_.size() < opts_->max_pending_grants;
  }
  void stream_failed(error e) {
    // An unsupported protocol level is answered with CONNACK 1 before closing (3.1.1 §3.1.2.2).
    if (state_ == link_state::connecting) {
      if (const auto code = connack_for(e.code)) {
        work().out.append(connack{.return_code = *code}, protocol_version::v3_1_1);
        return end(e, code);
      }
    }
    end(e);
  }

  // The connection ends: one `closed` event; the will is due when the connection had been
  // accepted and did not end with DISCONNECT ([MQTT-3.1.2-8], [MQTT-3.14.4-3]).
  void end(error reason, std::optional<connect_return_code> refusal = std::nullopt) {
    if (state_ == link_state::disconnected) return;
    const bool accepted = state_ == link_state::connected;
    state_ = link_state::disconnected;
    const bool will = accepted && reason.code != errc::success && will_ != nullptr;
    work().events.emplace_back(events::closed{reason, refusal, will});
  }

  void refuse(connect_return_code code) {
    // [MQTT-3.2.2-4]: no Session Present with a refusal; then close ([MQTT-3.2.2-5]).
    work().out.append(connack{.return_code = code}, version_);
    end({errc::connection_refused, 0}, code);
  }
  void unexpected() { end({errc::unexpected_packet, packet_offset()}); }

  void remember(std::string_view filter, qos_level q) {
    for (stored_subscription& sub : subscriptions_) {
      if (sub.topic_filter == filter) {  // [MQTT-3.8.4-3]: the same filter replaces
        sub.qos = q;
        return;
      }
    }
    subscriptions_.push_back({std::string(filter), q});
  }

  std::shared_ptr<const server_options> opts_;
  std::unique_ptr<owned<connect>> request_;  // the CONNECT, until release_idle() once answered
  std::unique_ptr<owned<mqttwire::publish>> will_;  // from the CONNECT, when it has one
  id_string client_id_;  // inline up to 23 bytes: no heap block for the usual ids
  detail::lazy_deque<owned<mqttwire::subscribe>> requests_;  // SUBSCRIBEs awaiting grant()
  detail::lazy_deque<std::string> held_subacks_;  // granted while the output was full, in order
  std::vector<stored_subscription> subscriptions_;
  // The CONNECT deadline while connecting, and from the CONNECT on the keep-alive watchdog
  // (1.5 x keep-alive, 0 for none): never both, so they share 8 bytes (every read checks the
  // state first; handle(connect) sets the watchdog).
  union {
    time_point connect_deadline_{};
    std::chrono::milliseconds watchdog_;
  };
  bool connect_received_ = false;
  bool clean_session_ = true;
};

}  // namespace mqttwire

#endif  // MQTTWIRE_SESSION_SERVER_HPP
