// SPDX-License-Identifier: MIT
// mqttwire: the MQTT 3.1/3.1.1 client protocol state machine, with no I/O and no clock.
#ifndef MQTTWIRE_SESSION_CLIENT_HPP
#define MQTTWIRE_SESSION_CLIENT_HPP

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
#include "mqttwire/session/state.hpp"
#include "mqttwire/types.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mqttwire {

/// Limits and choices of a client_session. Every queue has a limit; what happens at each is
/// part of the contract (see client_session).
struct client_options {
  std::size_t max_inflight = 32;      ///< QoS 1/2 PUBLISH sent and not yet acknowledged
  std::size_t max_queued = 1000;      ///< QoS 1/2 PUBLISH waiting behind them (or for CONNACK)
  std::size_t max_output = 1u << 20;  ///< bytes of output not yet taken: QoS 0 past it is refused
  std::size_t max_unreleased = 1000;  ///< inbound QoS 2 ids awaiting PUBREL; past it: close
  /// With manual_acks, inbound QoS 1/2 not yet acknowledged; at it, reading waits.
  std::size_t max_unacknowledged = 1000;
  std::size_t max_packet_size = 1u << 20;  ///< largest inbound packet (framer_options)
  std::chrono::milliseconds connect_timeout{30'000};  ///< CONNACK wait after open()
  /// PINGRESP wait after a PINGREQ; 0 means the keep-alive itself.
  std::chrono::milliseconds ping_timeout{0};
  /// Acknowledge inbound QoS 1/2 only when the application calls acknowledge() (e.g. after
  /// storing the message); acks still go out in arrival order.
  bool manual_acks = false;
  /// Report every received packet as events::packet_received before its own event.
  bool report_packets = false;
  options rules{};  ///< decoding rules
};

/// One MQTT client's protocol state, in the sans-I/O style (the caller owns the socket and the
/// clock; the session owns the protocol). Inputs: commands (open, publish, subscribe,
/// unsubscribe, disconnect, acknowledge), bytes (prepare/commit or feed, connection_lost) and
/// time (on_timeout). Outputs, polled: events (poll_event), bytes to send (output /
/// consume_output, or take_output) and the next deadline. Nothing calls back into the caller.
///
/// After every input: drain poll_event() (the handling of received packets happens there, so
/// acknowledgements are written as events come out), write the output, then wait for the socket
/// or next_deadline(). Views in events live until the next prepare()/feed().
///
/// The protocol it keeps: keep-alive (a PINGREQ when nothing was sent for the keep-alive, the
/// peer dead when its PINGRESP does not come within ping_timeout); QoS 1 and 2 publishing with
/// packet ids from a packet_id_allocator and an in-flight window (messages past it wait in
/// order); inbound QoS 1 and QoS 2 with exactly-once delivery (the id is held until PUBREL,
/// [MQTT-4.3.3-2]); SUBSCRIBE/UNSUBSCRIBE matched to their acks (check_reply); and on a
/// reconnect, unacknowledged PUBLISH (DUP 1) and PUBREL sent again in their original order
/// ([MQTT-4.4.0-1], [MQTT-4.6.0-1]), then pending SUBSCRIBE/UNSUBSCRIBE (DUP 1 in MQTT 3.1).
/// A clean session (Clean Session 1) drops everything kept when it is opened ([MQTT-3.1.2-6]).
///
/// At the limits: publish() returns errc::queue_full (nothing is kept or sent) when
/// max_queued QoS 1/2 messages wait, and for QoS 0 when max_output bytes are not yet taken;
/// the connection is closed with too_many_unreleased past max_unreleased, and a packet over
/// max_packet_size closes it with packet_too_large; with manual_acks reading waits while
/// max_unacknowledged messages wait for acknowledge(). The first error closes the connection
/// (sticky until the next open()); the messages of a persistent session are kept for it.
///
/// The output bound: every packet is begun while output() holds fewer than max_output bytes,
/// except a PINGREQ and the DISCONNECT (2 bytes each, never held back), so output().size() <
/// max_output + the largest packet written + 4. While it holds more, nothing received is handled
/// (poll_event() handles no packet, wants_read() is false) and messages (those resent first),
/// released manual acks and SUBSCRIBE/UNSUBSCRIBE wait in order; they go out as
/// consume_output()/take_output() make room, so poll_event() again after writing.
class client_session : public detail::session_core<client_session, client_event> {
  using core = detail::session_core<client_session, client_event>;
  friend core;

 public:
  explicit client_session(client_options o = {}, session_state restored = {})
      : core(o.manual_acks, o.report_packets),
        limits_{o.max_inflight, o.max_queued, o.max_output, o.max_unreleased, o.max_unacknowledged},
        opts_(o) {
    restore(std::move(restored));
  }

  // ------------------------------------------------------------------ commands

  /// Starts a connection: writes CONNECT. Clean Session 1 drops the kept state first. Messages
  /// published while disconnected (QoS 1/2) go out after CONNACK. Errors: validate()'s code for
  /// the CONNECT, second_connect when a connection is already open.
  errc open(const connect& c, time_point now) {
    if (state_ != link_state::disconnected) return errc::second_connect;
    if (const errc e = validate(c); e != errc::success) return e;
    if (c.clean_session) forget_session();
    client_id_ = std::string(c.client_id);
    version_ = c.protocol;
    clean_session_ = c.clean_session;
    keep_alive_ = std::chrono::seconds(c.keep_alive);
    reset_input(version_);
    work().out.clear();
    work().inbound.new_connection();
    eof_ = false;
    ping_deadline_.reset();
    now_ = now;
    work().out.append(c, version_);
    note_output();
    connack_deadline_ = now + opts_.connect_timeout;
    state_ = link_state::connecting;
    return errc::success;
  }

  /// Publishes `p` (its packet_id and dup are ignored): QoS 0 is written at once; QoS 1/2 gets
  /// a packet id ([MQTT-2.3.1-2]), returned, and goes out now if connected and the in-flight
  /// window has room, or waits in order. A `delivered` event with that id follows its
  /// PUBACK/PUBCOMP. Errors: validate()'s code; not_connected (QoS 0 without a connection);
  /// queue_full (see the class comment).
  result<std::uint16_t> publish(const mqttwire::publish& p, time_point now) {
    now_ = now;
    mqttwire::publish out = p;
    out.dup = false;
    if (p.qos == qos_level::at_most_once) {
      out.packet_id.reset();
      if (const errc e = validate(out, version_, opts_.rules); e != errc::success) return error{e, 0};
      if (state_ != link_state::connected) return error{errc::not_connected, 0};
      if (work().out.size() >= limits_.max_output) return error{errc::queue_full, 0};
      work().out.append(out, version_);
      note_output();
      return std::uint16_t{0};
    }
    if (work().outbound.queued() >= limits_.max_queued) return error{errc::queue_full, 0};
    const auto id = work().outbound.allocate_id();
    if (!id) return error{errc::queue_full, 0};
    out.packet_id = *id;
    auto kept = make_shared_message(out, version_);
    if (!kept) {
      work().outbound.release_id(*id);
      return kept.error();
    }
    static_cast<void>(work().outbound.push({*id, out_stage::queued, p.qos, p.retain, std::move(*kept)},
                                     limits_));
    if (state_ == link_state::connected) {
      static_cast<void>(work().outbound.fill_window(work().out, limits_, version_));  // the id was taken above
      note_output();
    }
    return *id;
  }

  /// Subscribes: a SUBSCRIBE with a new packet id, returned; `subscribed` follows its SUBACK.
  /// Sent now when connected, after CONNACK when connecting. Errors: validate()'s code,
  /// not_connected, queue_full (no packet id free).
  result<std::uint16_t> subscribe(std::span<const subscription> filters, time_point now) {
    return request<mqttwire::subscribe>(filters, now);
  }
  /// Unsubscribes: an UNSUBSCRIBE; `unsubscribed` follows its UNSUBACK. Errors as subscribe().
  result<std::uint16_t> unsubscribe(std::span<const std::string_view> filters, time_point now) {
    return request<mqttwire::unsubscribe>(filters, now);
  }

  /// Ends the connection on purpose: writes DISCONNECT (the server then drops the will,
  /// [MQTT-3.14.4-3]) and reports `closed` with reason success. Write the output, then close the
  /// socket ([MQTT-3.14.4-1], -2). A persistent session keeps its messages for the next open().
  void disconnect(time_point now) {
    now_ = now;
    if (state_ == link_state::disconnected) return;
    work().out.append(mqttwire::disconnect{}, version_);
    end({});
  }

  /// Manual acknowledgement (client_options::manual_acks): the application owns the QoS 1/2
  /// message with this packet id now.
  void acknowledge(std::uint16_t packet_id, time_point now) {
    now_ = now;
    if (state_ != link_state::connected) return work().inbound.release(packet_id);
    work().inbound.acknowledge(packet_id, work().out, limits_.max_output);
    note_output();
  }

  // ------------------------------------------------------------------ events out

  /// The next event, or nullopt when the session needs more bytes (or time). Received packets
  /// are handled here, one at a time, in order.
  std::optional<client_event> poll_event() {
    std::optional<client_event> e = core::poll_event();
    note_output();
    return e;
  }

  // ------------------------------------------------------------------ time

  /// When to call on_timeout() next: the CONNACK deadline, the next PINGREQ, or the PINGRESP
  /// deadline. nullopt: no timer (disconnected, or keep-alive 0).
  std::optional<time_point> next_deadline() const noexcept {
    if (state_ == link_state::connecting) return connack_deadline_;
    if (state_ != link_state::connected) return std::nullopt;
    if (ping_deadline_) return ping_deadline_;
    if (keep_alive_.count() == 0) return std::nullopt;
    return last_sent_ + keep_alive_;
  }
  /// Runs the timers due at `now`; calls before a deadline do nothing.
  void on_timeout(time_point now) {
    now_ = now;
    if (state_ == link_state::connecting && now >= connack_deadline_) {
      end({errc::connect_timeout, 0});
      return;
    }
    if (state_ != link_state::connected) return;
    if (ping_deadline_) {
      if (now >= *ping_deadline_) {
        end({errc::keep_alive_timeout, stream_offset()});
      }
      return;
    }
    if (keep_alive_.count() != 0 && now >= last_sent_ + keep_alive_) {
      work().out.append(pingreq{}, version_);  // [MQTT-3.1.2-23]
      note_output();
      ping_deadline_ = now + (opts_.ping_timeout.count() != 0
                                  ? opts_.ping_timeout
                                  : std::chrono::duration_cast<std::chrono::milliseconds>(keep_alive_));
      work().events.emplace_back(events::keep_alive{});
    }
  }

  // ------------------------------------------------------------------ state

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
  /// Takes the kept state out (the session is left with none); only while disconnected.
  session_state take_state() {
    session_state s;
    if (state_ != link_state::disconnected) return export_state();
    s.client_id = client_id_;
    s.version = version_;
    s.outgoing = work().outbound.take();
    s.incoming_qos2 = work().inbound.take_unreleased();
    s.subscriptions = std::exchange(subscriptions_, {});
    requests_.clear();
    return s;
  }

 private:
  struct pending_request {
    owned_packet packet;   // the SUBSCRIBE or UNSUBSCRIBE as sent
    bool sent = false;     // went out on a connection already (3.1 resends it with DUP)
    bool written = false;  // went out on this connection
  };

  // ---- received packets, one handler per type (session_core::poll_event calls them) ----

  void handle(const connack& c) {
    if (state_ != link_state::connecting) return unexpected();
    if (c.return_code != connect_return_code::accepted) {
      return end({errc::connection_refused, packet_offset()}, c.return_code);
    }
    state_ = link_state::connected;
    // 3.1 has no Session Present: a persistent session is taken as resumed.
    const bool present =
        !clean_session_ && (version_ == protocol_version::v3_1 || c.session_present);
    // Without the server's side of the session, the ids it was to release are void (it may use
    // them for new messages); our unacknowledged messages are still sent again, which a server
    // without them takes as new ones (at least once holds; a PUBREL of an id it does not know is
    // answered with PUBCOMP).
    if (!present) work().inbound.clear();
    work().outbound.new_connection();
    for (pending_request& r : requests_) r.written = false;
    output_room();
    work().events.emplace_back(events::connected{present});
  }

  void handle(const mqttwire::publish& p) {
    if (state_ != link_state::connected) return unexpected();  // CONNACK first, [MQTT-3.2.0-1]
    if (!received_publish(p)) end({errc::too_many_unreleased, packet_offset()});
  }
  void handle(const puback& a) {
    if (state_ != link_state::connected) return unexpected();
    completed(work().outbound.on_puback(a.packet_id), a.packet_id);
  }
  void handle(const pubrec& a) {
    if (state_ != link_state::connected) return unexpected();
    // An unknown id is answered too, so a server that kept its half of a flow we lost can end it.
    if (!work().outbound.on_pubrec(a.packet_id, work().out).known) work().out.append_ack(0x62u, a.packet_id);
  }
  void handle(const pubrel& r) {
    if (state_ != link_state::connected) return unexpected();
    work().inbound.on_pubrel(r.packet_id, work().out);
  }
  void handle(const pubcomp& a) {
    if (state_ != link_state::connected) return unexpected();
    completed(work().outbound.on_pubcomp(a.packet_id), a.packet_id);
  }
  void handle(const suback& s) {
    if (state_ != link_state::connected) return unexpected();
    const auto it = find_request(s.packet_id, packet_type::subscribe);
    if (it == requests_.end()) return end({errc::packet_id_mismatch, packet_offset()});
    const auto& request = std::get<mqttwire::subscribe>(it->packet.view());
    if (const errc e = check_reply(request, s); e != errc::success) {
      return end({e, packet_offset()});
    }
    auto code = s.return_codes.begin();
    for (const subscription sub : request.subscriptions) {
      const std::uint8_t granted = *code;
      ++code;
      if (granted != suback_code::failure) remember(sub.topic_filter, static_cast<qos_level>(granted));
    }
    work().outbound.release_id(s.packet_id);
    requests_.erase(it);
    work().events.emplace_back(events::subscribed{s.packet_id, s.return_codes});
  }
  void handle(const unsuback& u) {
    if (state_ != link_state::connected) return unexpected();
    const auto it = find_request(u.packet_id, packet_type::unsubscribe);
    if (it == requests_.end()) return end({errc::packet_id_mismatch, packet_offset()});
    for (const std::string_view f : std::get<mqttwire::unsubscribe>(it->packet.view()).topic_filters) {
      std::erase_if(subscriptions_,
                    [f](const stored_subscription& sub) { return sub.topic_filter == f; });
    }
    work().outbound.release_id(u.packet_id);
    requests_.erase(it);
    work().events.emplace_back(events::unsubscribed{u.packet_id});
  }
  void handle(const pingresp&) {
    if (state_ != link_state::connected) return unexpected();
    ping_deadline_.reset();
  }
  // A server never sends these (3.1.1 §2.2.1 gives each packet its direction).
  void handle(const connect&) { unexpected(); }
  void handle(const mqttwire::subscribe&) { unexpected(); }
  void handle(const mqttwire::unsubscribe&) { unexpected(); }
  void handle(const pingreq&) { unexpected(); }
  void handle(const mqttwire::disconnect&) { unexpected(); }

  // ---- for session_core ----

  // Writes what waits for room in the output, each packet while fewer than max_output bytes
  // wait: acks released by acknowledge(), messages (those in flight again first, after a
  // reconnect), then SUBSCRIBE/UNSUBSCRIBE not yet sent on this connection, in order.
  void output_room() {
    if (state_ != link_state::connected) return;
    write_waiting();
    for (pending_request& r : requests_) {
      if (r.written) continue;
      if (work().out.size() >= limits_.max_output) break;
      // MQTT 3.1 marks the retransmission of a SUBSCRIBE/UNSUBSCRIBE (§2.4); 3.1.1 has no flag
      // ([MQTT-2.2.2-1]), so a request marked on a 3.1 connection is cleared again when the
      // session is opened with 3.1.1.
      static_cast<void>(r.packet.set_dup(r.sent && version_ == protocol_version::v3_1));
      work().out.append_bytes(std::string_view(r.packet.wire().data(), r.packet.wire().size()));
      r.sent = r.written = true;
    }
    note_output();
  }

  bool may_read() const noexcept { return true; }
  void stream_failed(error e) { end(e); }

  // The connection ends: one `closed` event. A persistent session keeps its state for the next
  // open(); a clean one lasted only for this connection ([MQTT-3.1.2-6]).
  void end(error reason, std::optional<connect_return_code> refusal = std::nullopt) {
    if (state_ == link_state::disconnected) return;
    state_ = link_state::disconnected;
    ping_deadline_.reset();
    if (clean_session_) forget_session();
    work().events.emplace_back(events::closed{reason, refusal, false});
  }

  // ---- helpers ----

  void unexpected() { end({errc::unexpected_packet, packet_offset()}); }

  // What was sent in a clean session is forgotten; messages never sent stay queued.
  void forget_session() {
    work().outbound.drop_in_flight();
    work().inbound.clear();
    for (const pending_request& r : requests_) release_request_id(r);
    requests_.clear();
    subscriptions_.clear();
  }
  void release_request_id(const pending_request& r) {
    std::visit(
        [this](const auto& p) {
          using P = std::remove_cvref_t<decltype(p)>;
          if constexpr (std::is_same_v<P, mqttwire::subscribe> ||
                        std::is_same_v<P, mqttwire::unsubscribe>) {
            work().outbound.release_id(p.packet_id);
          }
        },
        r.packet.view());
  }

  // Something was written: the keep-alive counts from the last packet sent ([MQTT-3.1.2-23]).
  void note_output() noexcept {
    const std::uint64_t total = released_output_ + peek().out.total();
    if (total != written_) {
      written_ = total;
      last_sent_ = now_;
    }
  }

  template <class P, class List>
  result<std::uint16_t> request(List filters, time_point now) {
    now_ = now;
    if (state_ == link_state::disconnected) return error{errc::not_connected, 0};
    const auto id = work().outbound.allocate_id();
    if (!id) return error{errc::queue_full, 0};
    P p{};
    p.packet_id = *id;
    if constexpr (std::is_same_v<P, mqttwire::subscribe>) {
      p.subscriptions = filters;
    } else {
      p.topic_filters = filters;
    }
    auto kept = owned<P>::copy_of(p, version_, opts_.rules);
    if (!kept) {
      work().outbound.release_id(*id);
      return kept.error();
    }
    requests_.push_back({owned_packet(std::move(*kept)), false, false});
    output_room();  // sent now when connected and the output has room
    return *id;
  }

  detail::lazy_deque<pending_request>::iterator find_request(std::uint16_t id, packet_type t) {
    return std::find_if(requests_.begin(), requests_.end(), [&](const pending_request& r) {
      if (r.packet.type() != t) return false;
      return std::visit(
          [id](const auto& p) {
            using P = std::remove_cvref_t<decltype(p)>;
            if constexpr (std::is_same_v<P, mqttwire::subscribe> ||
                          std::is_same_v<P, mqttwire::unsubscribe>) {
              return p.packet_id == id;
            } else {
              return false;
            }
          },
          r.packet.view());
    });
  }

  void remember(std::string_view filter, qos_level q) {
    for (stored_subscription& sub : subscriptions_) {
      if (sub.topic_filter == filter) {
        sub.qos = q;
        return;
      }
    }
    subscriptions_.push_back({std::string(filter), q});
  }

  void restore(session_state s) {
    client_id_ = std::move(s.client_id);
    version_ = s.version;
    work().outbound.restore(std::move(s.outgoing));
    work().inbound.restore(std::move(s.incoming_qos2));
    subscriptions_ = std::move(s.subscriptions);
  }

  const detail::flow_limits& limits() const noexcept { return limits_; }
  framer_options framer_settings() const noexcept {
    return {.max_packet_size = opts_.max_packet_size, .rules = opts_.rules};
  }
  void release_idle() noexcept { requests_.release_if_empty(); }
  // The busy block went, with `total` bytes of output appended in it (note_output() counts on).
  void output_released(std::uint64_t total) noexcept { released_output_ += total; }
  void saw(time_point now) noexcept { now_ = now; }  // for session_core

  detail::flow_limits limits_;
  client_options opts_;
  // SUBSCRIBE/UNSUBSCRIBE awaiting their acks, in order
  detail::lazy_deque<pending_request> requests_;
  std::vector<stored_subscription> subscriptions_;
  std::string client_id_;
  bool clean_session_ = true;
  std::chrono::seconds keep_alive_{0};
  std::uint64_t written_ = 0;  // bytes of output ever appended, when last_sent_ was set
  std::uint64_t released_output_ = 0;  // those appended in busy blocks since released
  time_point now_{};  // the latest time the caller gave
  time_point last_sent_{};
  time_point connack_deadline_{};
  std::optional<time_point> ping_deadline_{};
};

}  // namespace mqttwire

#endif  // MQTTWIRE_SESSION_CLIENT_HPP
