// SPDX-License-Identifier: MIT
// mqttwire: what client_session and server_session share: bytes in (a framer), events out (a
// queue the caller polls), bytes out, the QoS flows, and the end of a connection.
#ifndef MQTTWIRE_SESSION_DETAIL_CORE_HPP
#define MQTTWIRE_SESSION_DETAIL_CORE_HPP

#include "mqttwire/error.hpp"
#include "mqttwire/framer.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/session/detail/flows.hpp"
#include "mqttwire/session/detail/lazy_deque.hpp"
#include "mqttwire/session/events.hpp"
#include "mqttwire/session/state.hpp"
#include "mqttwire/types.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <variant>
#include <vector>

namespace mqttwire::detail {

// The common part of both roles. `Derived` provides handle(const P&) for each of the 14 packet
// types (all of them, so that a missing one does not compile), stream_failed(error), which
// decides what a decode error means for its role, and framer_settings(), the framer_options of
// its input.
template <class Derived, class Event>
class session_core {
 public:
  // ---- bytes in ----

  /// Space for the next read from the socket (see framer::prepare); views in earlier events
  /// end here. Without a connection the bytes go nowhere.
  std::span<char> prepare(std::size_t n) {
    // Without a connection the space is still the framer's (commit() then drops what came).
    return input().prepare(n);
  }
  /// `n` bytes of the last prepare() were received at `now`.
  void commit(std::size_t n, time_point now) {
    self().saw(now);
    if (state_ == link_state::disconnected) return;
    if (n != 0) last_received_ = now;
    input().commit(n);
  }
  /// prepare() + copy + commit(); returns the bytes taken (all of them).
  std::size_t feed(bytes_view bytes, time_point now) {
    self().saw(now);
    if (state_ == link_state::disconnected) return bytes.size();
    if (!bytes.empty()) last_received_ = now;
    return input().feed(bytes);
  }
  /// Frees what a connection waiting for its peer need not hold: the input buffer while it
  /// holds no bytes (see framer::release_buffer) and then the framer itself (only its
  /// framer_position is kept; the next bytes make it again), the storage of the output, of the
  /// event queue and of the other queues while they are empty (the packet-id table while no id
  /// is in use), and a server's CONNECT once answered (server_session::request()).
  /// Returns the input-buffer bytes freed. For a server with many
  /// idle connections: call it before waiting for the socket to be readable, then prepare()
  /// what the socket has. Ends the views in earlier events.
  std::size_t release_idle_memory() noexcept {
    self().release_idle();
    if (busy_) {
      busy_->events.release_if_empty();
      busy_->outbound.release_if_empty();
      busy_->inbound.release_if_empty();
      busy_->out.release_if_empty();
      if (busy_->idle()) {
        self().output_released(busy_->out.total());
        busy_.reset();
      }
    }
    if (!framer_) return 0;
    const std::size_t freed = framer_->release_buffer();
    if (const std::optional<framer_position> at = framer_->position()) {
      parked_ = *at;
      framer_.reset();
    }
    return freed;
  }
  /// The socket ended (end of file or an error): what is buffered is still reported, then
  /// `closed` with connection_lost.
  void connection_lost(time_point now) {
    self().saw(now);
    eof_ = true;
  }

  // ---- events out ----

  /// The next event, or nullopt when the session needs more bytes, time or an answer.
  /// Received packets are handled here, one at a time, in order; none while the output holds
  /// max_output bytes or more (backpressure: write the output, then poll again).
  std::optional<Event> poll_event() {
    while (peek().events.empty() && reading()) {
      if (peek().out.size() >= limits().max_output) {
        // After the end of the stream the output can never be written: what is still buffered
        // is dropped unanswered (a QoS 1/2 sender sends it again, QoS 0 is at most once).
        if (eof_) self().end({errc::connection_lost, stream_offset()});
        break;
      }
      if (!framer_) {  // dropped while idle: no bytes have come since
        if (eof_) self().end({errc::connection_lost, stream_offset()});
        break;
      }
      result<packet> p = framer_->next();
      if (!p) {
        if (p.code() != errc::incomplete) {
          self().stream_failed(p.error());
        } else if (eof_) {
          self().end({errc::connection_lost, stream_offset()});
        }
        break;
      }
      if (report_packets_) work().events.emplace_back(events::packet_received{*p});
      std::visit([this](const auto& pkt) { self().handle(pkt); }, *p);
    }
    if (peek().events.empty()) return std::nullopt;
    Event e = std::move(busy_->events.front());
    busy_->events.pop_front();
    return e;
  }

  // ---- bytes out ----

  /// Bytes to send, in order; call consume_output() with what was written. Output holds whole
  /// packets, each begun while fewer than max_output bytes were waiting (see the class comment
  /// of each role for the few that are never held back).
  bytes_view output() const noexcept { return peek().out.pending(); }
  /// `n` bytes of output() were written. What waited for room (messages, acks, SUBACKs) is
  /// written now, so output() may grow again; poll_event() then handles received packets again.
  void consume_output(std::size_t n) {
    if (!busy_) return;  // nothing is pending
    busy_->out.consume(n);
    self().output_room();
  }
  /// Moves the pending bytes into `into` (its old contents dropped, its capacity reused by the
  /// session): for a caller with one asynchronous write in flight. As consume_output(), what
  /// waited for room is written after.
  void take_output(std::vector<char>& into) {
    if (!busy_) return into.clear();  // nothing is pending
    busy_->out.take(into);
    self().output_room();
  }
  bool wants_write() const noexcept { return !peek().out.empty(); }
  /// False while the output holds max_output bytes or more: received packets wait, so stop
  /// reading the socket until the output is written.
  bool wants_read() const noexcept { return peek().out.size() < limits().max_output; }

  // ---- state ----

  link_state state() const noexcept { return state_; }
  protocol_version version() const noexcept { return version_; }
  /// QoS 1/2 messages to the peer sent and not yet acknowledged, and those waiting behind them.
  std::size_t in_flight() const noexcept { return peek().outbound.in_flight(); }
  std::size_t queued() const noexcept { return peek().outbound.queued(); }
  /// Inbound acknowledgements held for acknowledge() (manual_acks).
  std::size_t pending_acks() const noexcept { return peek().inbound.pending_acks(); }

 protected:
  session_core(bool manual_acks, bool report_packets)
      : manual_acks_(manual_acks), report_packets_(report_packets) {}

  Derived& self() noexcept { return static_cast<Derived&>(*this); }
  const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
  // The limits are the role's (Derived::limits()): a server shares them between sessions.
  decltype(auto) limits() const noexcept { return self().limits(); }
  // Packets are handled while connected; the derived role may stop earlier (a server waiting
  // for its application to answer CONNECT).
  // With manual acks, reading also waits while max_unacknowledged messages are not yet
  // acknowledged: a peer cannot make the session hold more (backpressure instead of memory).
  bool reading() const noexcept {
    return state_ != link_state::disconnected &&
           peek().inbound.pending_acks() < limits().max_unacknowledged &&
           static_cast<const Derived&>(*this).may_read();
  }

  // Called by the packet handlers, so while the framer exists.
  std::size_t packet_offset() const noexcept {
    return static_cast<std::size_t>(framer_->packet_offset());
  }
  // Where the input stands, with or without a framer (the offset in errors at its end).
  std::size_t stream_offset() const noexcept {
    return static_cast<std::size_t>(framer_ ? framer_->stream_offset() : parked_.offset);
  }
  // A new input for a new connection, starting at stream offset 0 with `v`'s rules; made when
  // the first bytes come.
  void reset_input(protocol_version v) noexcept {
    framer_.reset();
    parked_ = framer_position{.version = v};
  }

  // Inbound PUBLISH, for both roles: acknowledge and report (or not) by its QoS. False when the
  // peer passed the unreleased limit (the connection is then ended).
  bool received_publish(const publish& p) {
    busy_state& b = work();
    switch (b.inbound.on_publish(p, b.out, limits())) {
      case inbound_verdict::deliver: b.events.emplace_back(events::message{p}); return true;
      case inbound_verdict::duplicate: return true;
      case inbound_verdict::over_limit: return false;
    }
    return false;
  }
  // PUBACK or PUBCOMP of one of our messages: report it and move the window on.
  void completed(ack_outcome o, std::uint16_t id) {
    if (!o.completed) return;  // an ack for an id not in flight (a late duplicate): ignored
    busy_state& b = work();
    b.events.emplace_back(events::delivered{id, o.qos});
    static_cast<void>(b.outbound.fill_window(b.out, limits(), version_));
  }
  // What both roles write when output is taken: released manual acks, then messages.
  void write_waiting() {
    if (state_ != link_state::connected || !busy_) return;  // without a block nothing waits
    busy_->inbound.flush(busy_->out, limits().max_output);
    static_cast<void>(busy_->outbound.fill_window(busy_->out, limits(), version_));
  }

  // The input. A framer is 216 bytes, and most connections of a server are idle most of the
  // time: release_idle_memory() drops an idle one, keeping its position, and the next bytes
  // make it again (input()), so an idle session holds 24 bytes of input rather than 216.
  framer& input() {
    if (!framer_) [[unlikely]] {
      framer_ = std::make_unique<framer>(parked_.version, self().framer_settings());
      framer_->resume(parked_);
    }
    return *framer_;
  }

  // What a connection uses only while it is busy: the output, the QoS flows, the events. All
  // of it is empty on an idle connection (112 bytes), so release_idle_memory() frees the block
  // then, and the next packet, command or event makes it again (work()). It stays while
  // anything in it holds state: messages in flight or queued, QoS 2 ids awaiting PUBREL, acks
  // held, output not taken, events not polled.
  struct busy_state {
    explicit busy_state(bool manual_acks) noexcept : inbound(manual_acks) {}
    output_buffer out;
    outbound_flow outbound;
    inbound_flow inbound;
    lazy_deque<Event> events;
    // Holds nothing: a new block would be the same.
    bool idle() const noexcept {
      return out.empty() && outbound.released() && inbound.released() && events.empty();
    }
  };
  // For changes: the block, made if need be.
  busy_state& work() {
    if (!busy_) [[unlikely]] busy_ = std::make_unique<busy_state>(manual_acks_);
    return *busy_;
  }
  // For reading: the block, or an empty one shared by all sessions (never changed).
  const busy_state& peek() const noexcept {
    static const busy_state none(false);
    return busy_ ? *busy_ : none;
  }

  std::unique_ptr<framer> framer_;  // while bytes are buffered, or until released
  framer_position parked_{};        // where a dropped framer was (or a new input starts)
  std::unique_ptr<busy_state> busy_;  // while busy (see busy_state)
  link_state state_ = link_state::disconnected;
  protocol_version version_ = protocol_version::v3_1_1;
  bool eof_ = false;
  bool manual_acks_ = false;
  bool report_packets_ = false;
  time_point last_received_{};  // when bytes last arrived
};

}  // namespace mqttwire::detail

#endif  // MQTTWIRE_SESSION_DETAIL_CORE_HPP
