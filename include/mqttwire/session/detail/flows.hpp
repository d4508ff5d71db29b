// SPDX-License-Identifier: MIT
// mqttwire: the QoS flows both session roles share (3.1.1 §4.3 to §4.6): the output buffer,
// the outgoing messages with their in-flight window, and the inbound QoS 1/2 acknowledgements.
// Every transition of a message's flow is in this file; client.hpp and server.hpp only route
// packets and commands to it.
#ifndef MQTTWIRE_SESSION_DETAIL_FLOWS_HPP
#define MQTTWIRE_SESSION_DETAIL_FLOWS_HPP

#include "mqttwire/detail/wire.hpp"
#include "mqttwire/encode.hpp"
#include "mqttwire/error.hpp"
#include "mqttwire/owned.hpp"
#include "mqttwire/packet_id_allocator.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/session/detail/lazy_deque.hpp"
#include "mqttwire/session/state.hpp"
#include "mqttwire/types.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace mqttwire::detail {

// Bytes a session has written and the caller has not yet taken. Sent bytes are dropped from
// the front by consume(); the buffer is compacted only when the dead prefix is large, so a
// caller that writes a little at a time does not make us move the rest each time.
class output_buffer {
 public:
  bytes_view pending() const noexcept { return {bytes_.data() + head_, bytes_.size() - head_}; }
  // Bytes ever appended: a change tells that something was written (the client's keep-alive
  // counts from the last packet it sent).
  std::uint64_t total() const noexcept { return consumed_ + bytes_.size(); }
  std::size_t size() const noexcept { return bytes_.size() - head_; }
  bool empty() const noexcept { return size() == 0; }
  void consume(std::size_t n) noexcept {
    head_ += std::min(n, size());
    if (head_ == bytes_.size()) drop_all();
  }
  // Hands the pending bytes over by swapping buffers (the caller's comes back empty, so its
  // capacity is reused: one write in flight, no copy).
  void take(std::vector<char>& into) {
    drop_head();
    into.clear();
    into.swap(bytes_);
    consumed_ += into.size();
  }
  void clear() noexcept { drop_all(); }
  // Frees the buffer while nothing is pending (an idle connection).
  void release_if_empty() noexcept {
    if (!empty()) return;
    drop_all();
    std::vector<char>().swap(bytes_);
  }
  void compact() {
    if (head_ > 4096 && head_ * 2 > bytes_.size()) drop_head();
  }
  // Appends one packet the library validated (or built from validated parts).
  template <packet_struct P>
  void append(const P& p, protocol_version v) {
    compact();
    static_cast<void>(encode_to(p, std::back_inserter(bytes_), v));
  }
  void append_ack(unsigned first_byte, std::uint16_t id) {
    compact();
    const char ack[4] = {ch(first_byte), '\x02', ch(unsigned{id} >> 8), ch(id)};
    bytes_.insert(bytes_.end(), ack, ack + 4);
  }
  void append_bytes(std::string_view s) {
    compact();
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }

  // Writes a kept PUBLISH as it goes to this peer: its own QoS, packet id, DUP and RETAIN.
  // When the kept bytes have the layout needed (a packet id, or not), they are copied and four
  // bits and two bytes patched; otherwise the fixed header and id are rewritten around the
  // kept topic and payload. Nothing is validated again: the message was validated when kept.
  void append_publish(const owned<publish>& m, qos_level qos, std::uint16_t id, bool dup,
                      bool retain) {
    compact();
    const publish& p = m.view();
    const bool with_id = qos != qos_level::at_most_once;
    const unsigned first = 0x30u | (dup ? 0x08u : 0u) | (static_cast<unsigned>(qos) << 1) |
                           (retain ? 0x01u : 0u);
    const std::size_t start = bytes_.size();
    if (with_id == (p.qos != qos_level::at_most_once)) {
      const bytes_view w = m.wire();
      bytes_.insert(bytes_.end(), w.begin(), w.end());
      bytes_[start] = ch(first);
      if (with_id) {
        const auto at = start + static_cast<std::size_t>(p.topic.data() - w.data()) + p.topic.size();
        bytes_[at] = ch(unsigned{id} >> 8);
        bytes_[at + 1] = ch(id);
      }
      return;
    }
    const std::size_t body = 2 + p.topic.size() + (with_id ? 2u : 0u) + p.payload.size();
    bytes_.push_back(ch(first));
    std::size_t rest = body;
    do {
      unsigned group = static_cast<unsigned>(rest & 0x7Fu);
      rest >>= 7;
      if (rest != 0) group |= 0x80u;
      bytes_.push_back(ch(group));
    } while (rest != 0);
    bytes_.push_back(ch(static_cast<unsigned>(p.topic.size() >> 8)));
    bytes_.push_back(ch(static_cast<unsigned>(p.topic.size())));
    bytes_.insert(bytes_.end(), p.topic.begin(), p.topic.end());
    if (with_id) {
      bytes_.push_back(ch(unsigned{id} >> 8));
      bytes_.push_back(ch(id));
    }
    bytes_.insert(bytes_.end(), p.payload.begin(), p.payload.end());
  }

 private:
  void drop_head() {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
    consumed_ += head_;
    head_ = 0;
  }
  void drop_all() noexcept {
    consumed_ += bytes_.size();
    bytes_.clear();
    head_ = 0;
  }

  std::vector<char> bytes_;
  std::size_t head_ = 0;
  std::uint64_t consumed_ = 0;  // bytes that left bytes_ (sent, taken or dropped)
};

// Whether a kept message can go out at `qos` without passing the protocol's size limit (a QoS 0
// message at the largest size has no room for the packet id a QoS 1 delivery adds).
inline bool fits_at(const owned<publish>& m, qos_level qos) noexcept {
  const publish& p = m.view();
  const std::size_t body = 2 + p.topic.size() + (qos != qos_level::at_most_once ? 2u : 0u) +
                           p.payload.size();
  return body <= max_remaining_length;
}

// Limits of one session, all set by the caller.
struct flow_limits {
  std::size_t max_inflight = 32;       // QoS 1/2 messages sent and not yet acknowledged
  std::size_t max_queued = 1000;       // QoS 1/2 messages waiting behind them
  std::size_t max_output = 1u << 20;   // bytes of output the caller has not taken
  std::size_t max_unreleased = 1000;   // inbound QoS 2 ids awaiting PUBREL
  std::size_t max_unacknowledged = 1000;  // inbound QoS 1/2 awaiting acknowledge() (manual acks)
};

// What an acknowledgement did to the outgoing flow.
struct ack_outcome {
  bool known = false;       // the id was in flight at the stage the ack answers
  bool completed = false;   // the flow ended (PUBACK, PUBCOMP): a `delivered` event
  qos_level qos = qos_level::at_least_once;
};

// The outgoing QoS 1/2 messages of one session, in publish order: those in flight form the
// front of the list ([MQTT-4.6.0-1]: they were sent in order), the queued ones the back.
class outbound_flow {
 public:
  std::size_t in_flight() const noexcept { return in_flight_; }
  std::size_t queued() const noexcept { return messages_.size() - in_flight_; }
  bool empty() const noexcept { return messages_.empty(); }
  // Nothing held, not even storage: as a new flow (release_if_empty() leads here when empty).
  bool released() const noexcept { return messages_.empty() && !ids_; }
  const lazy_deque<outgoing_message>& messages() const noexcept { return messages_; }

  // Queues a message at the back. Errors: queue_full at the limit (nothing changes).
  errc push(outgoing_message m, const flow_limits& limits) {
    if (queued() >= limits.max_queued) return errc::queue_full;
    messages_.push_back(std::move(m));
    return errc::success;
  }
  // A packet identifier for a new message, or nullopt when 65,535 are taken.
  std::optional<std::uint16_t> allocate_id() {
    if (!ids_) ids_ = std::make_unique<packet_id_allocator>();
    return ids_->allocate();
  }
  void release_id(std::uint16_t id) noexcept {
    if (ids_) ids_->release(id);
  }

  // A new connection: every message in flight is to be written again ([MQTT-4.4.0-1]).
  void new_connection() noexcept { written_ = 0; }

  // Writes what may go out now, each packet only while the output holds fewer than
  // max_output bytes (the rest waits for the caller to write the output and call again):
  // first the messages in flight not yet written on this connection, in their original order
  // with their original id ([MQTT-4.4.0-1], [MQTT-4.6.0-1]): a PUBLISH with DUP 1
  // ([MQTT-3.3.1-1]), or the PUBREL if PUBREC had come (with DUP in MQTT 3.1, §2.4); then queued
  // messages while the window has room (3.1.1 §4.3: each gets its id and goes out with DUP 0).
  // Returns false when no packet id was free (the caller closes or waits).
  bool fill_window(output_buffer& out, const flow_limits& limits, protocol_version v) {
    for (; written_ < in_flight_; ++written_) {
      if (out.size() >= limits.max_output) return true;
      const outgoing_message& m = messages_[written_];
      if (m.stage == out_stage::awaiting_pubcomp) {
        out.append_ack(v == protocol_version::v3_1 ? 0x6Au : 0x62u, m.packet_id);
      } else {
        out.append_publish(*m.message, m.qos, m.packet_id, true, m.retain);
      }
    }
    while (in_flight_ < messages_.size() && in_flight_ < limits.max_inflight &&
           out.size() < limits.max_output) {
      outgoing_message& m = messages_[in_flight_];
      if (m.packet_id == 0) {
        const auto id = allocate_id();
        if (!id) return false;
        m.packet_id = *id;
      }
      m.stage = m.qos == qos_level::at_least_once ? out_stage::awaiting_puback
                                                  : out_stage::awaiting_pubrec;
      out.append_publish(*m.message, m.qos, m.packet_id, false, m.retain);
      ++in_flight_;
      ++written_;
    }
    return true;
  }

  // PUBACK: the end of a QoS 1 flow ([MQTT-4.3.2-1]).
  ack_outcome on_puback(std::uint16_t id) { return complete(id, out_stage::awaiting_puback); }
  // PUBREC: answer PUBREL and drop the message's bytes, which are never sent again
  // ([MQTT-4.3.3-1]). A PUBREC for an id already at PUBREL (a resend crossed ours) is answered
  // again, harmlessly.
  ack_outcome on_pubrec(std::uint16_t id, output_buffer& out) {
    const auto it = find(id);
    if (it == in_flight_end() ||
        (it->stage != out_stage::awaiting_pubrec && it->stage != out_stage::awaiting_pubcomp)) {
      return {};
    }
    it->stage = out_stage::awaiting_pubcomp;
    it->message.reset();
    out.append_ack(0x62u, id);
    return {true, false, qos_level::exactly_once};
  }
  // PUBCOMP: the end of a QoS 2 flow.
  ack_outcome on_pubcomp(std::uint16_t id) { return complete(id, out_stage::awaiting_pubcomp); }

  // A persistent session's messages, in order; `restore` puts them back (ids reserved again).
  std::vector<outgoing_message> take() {
    std::vector<outgoing_message> all(std::make_move_iterator(messages_.begin()),
                                      std::make_move_iterator(messages_.end()));
    clear();
    return all;
  }
  void restore(std::vector<outgoing_message> all) {
    clear();
    for (outgoing_message& m : all) {
      if (m.packet_id != 0) {
        if (!ids_) ids_ = std::make_unique<packet_id_allocator>();
        ids_->reserve(m.packet_id);
      }
      if (m.stage != out_stage::queued) ++in_flight_;
      messages_.push_back(std::move(m));
    }
    // In-flight messages come first; anything else would break resend order.
    std::stable_partition(messages_.begin(), messages_.end(),
                          [](const outgoing_message& m) { return m.stage != out_stage::queued; });
  }
  // A clean session's end: what was sent is forgotten ([MQTT-3.1.2-6]); what was never sent
  // (published before a connection, or waiting for the window) stays queued for the next one.
  void drop_in_flight() noexcept {
    for (std::size_t i = 0; i < in_flight_; ++i) release_id(messages_[i].packet_id);
    messages_.erase(messages_.begin(), in_flight_end());
    in_flight_ = 0;
    written_ = 0;
  }
  // Everything goes, the packet ids too.
  void clear() noexcept {
    messages_.clear();
    in_flight_ = 0;
    written_ = 0;
    ids_.reset();
  }
  // An idle connection with nothing outgoing frees the queue's storage and the 8 KiB id table
  // (made again at the next message; any id may then be taken, none is in use).
  void release_if_empty() noexcept {
    if (!messages_.empty()) return;
    messages_.release_if_empty();
    if (ids_ && ids_->empty()) ids_.reset();
  }

 private:
  lazy_deque<outgoing_message>::iterator find(std::uint16_t id) {
    return std::find_if(messages_.begin(), in_flight_end(),
                        [id](const outgoing_message& m) { return m.packet_id == id; });
  }
  lazy_deque<outgoing_message>::iterator in_flight_end() {
    return messages_.begin() + static_cast<std::ptrdiff_t>(in_flight_);
  }
  ack_outcome complete(std::uint16_t id, out_stage expected) {
    const auto it = find(id);
    if (it == in_flight_end() || it->stage != expected) return {};
    const qos_level q = it->qos;
    // A message not yet written again on this connection can be acknowledged only by a peer
    // that answers what it got before: the cursor stays on the next one to write.
    if (it - messages_.begin() < static_cast<std::ptrdiff_t>(written_)) --written_;
    messages_.erase(it);
    --in_flight_;
    release_id(id);
    return {true, true, q};
  }

  lazy_deque<outgoing_message> messages_;
  // 32 bits are enough, each message in flight has its own 16-bit packet id; they keep an idle
  // session 8 bytes smaller (every connection of a broker has one).
  std::uint32_t in_flight_ = 0;
  std::uint32_t written_ = 0;  // messages in flight (from the front) written on this connection
  // Made on first use: an idle session (most of a broker's) does not pay its 8 KiB.
  std::unique_ptr<packet_id_allocator> ids_;
};

// What to do with an inbound PUBLISH.
enum class inbound_verdict : std::uint8_t {
  deliver,    // hand it to the application
  duplicate,  // a QoS 2 resend before PUBREL: acknowledged again, not delivered ([MQTT-4.3.3-2])
  over_limit, // too many QoS 2 messages awaiting PUBREL: close (too_many_unreleased)
};

// The receiving side of QoS 1 and 2 (3.1.1 §4.3.2, §4.3.3): the ids of QoS 2 messages delivered
// and not yet released, and the acknowledgements. With manual acknowledgement the application
// says when it owns a message (e.g. once written durably); the acks still go out in the order
// the messages arrived ([MQTT-4.6.0-2], [MQTT-4.6.0-3]).
class inbound_flow {
 public:
  explicit inbound_flow(bool manual = false) noexcept : manual_(manual) {}

  inbound_verdict on_publish(const publish& p, output_buffer& out, const flow_limits& limits) {
    if (p.qos == qos_level::at_most_once) return inbound_verdict::deliver;
    const std::uint16_t id = *p.packet_id;
    if (p.qos == qos_level::at_least_once) {
      ack(0x40u, id, out);  // [MQTT-4.3.2-2]
      return inbound_verdict::deliver;
    }
    if (std::find(unreleased_.begin(), unreleased_.end(), id) != unreleased_.end()) {
      // Still waiting for an ack we hold back: one PUBREC answers both. Otherwise answer again.
      if (!is_pending(id)) out.append_ack(0x50u, id);
      return inbound_verdict::duplicate;
    }
    if (unreleased_.size() >= limits.max_unreleased) return inbound_verdict::over_limit;
    unreleased_.push_back(id);
    ack(0x50u, id, out);
    return inbound_verdict::deliver;
  }

  // PUBREL: the id may be used for a new message again; PUBCOMP always goes back, also for an
  // id already released (our PUBCOMP was lost and the sender resent its PUBREL).
  void on_pubrel(std::uint16_t id, output_buffer& out) {
    const auto it = std::find(unreleased_.begin(), unreleased_.end(), id);
    if (it != unreleased_.end()) unreleased_.erase(it);
    out.append_ack(0x70u, id);
  }

  // Manual mode: the application owns the message with this id now; acks held for it go out,
  // and so does every later one already released, in arrival order (see flush()).
  void acknowledge(std::uint16_t id, output_buffer& out, std::size_t max_output) {
    release(id);
    flush(out, max_output);
  }
  // Without a connection: the ack is released but cannot be written. A PUBREC so released is
  // not kept for the next connection (the resent message is answered at once: it is owned).
  void release(std::uint16_t id) noexcept {
    for (pending_ack& a : pending_) {
      if (a.id == id) a.ready = true;
    }
  }
  // Writes the released acks at the front, each while the output holds fewer than
  // `max_output` bytes; the others wait for the next call.
  void flush(output_buffer& out, std::size_t max_output) {
    while (!pending_.empty() && pending_.front().ready && out.size() < max_output) {
      out.append_ack(pending_.front().first_byte, pending_.front().id);
      pending_.pop_front();
    }
  }
  std::size_t pending_acks() const noexcept { return pending_.size(); }
  // Nothing held: as a new flow (but for the storage, which release_if_empty() frees).
  bool released() const noexcept { return unreleased_.empty() && pending_.empty(); }

  const std::vector<std::uint16_t>& unreleased() const noexcept { return unreleased_; }
  std::vector<std::uint16_t> take_unreleased() {
    pending_.clear();
    return std::exchange(unreleased_, {});
  }
  void restore(std::vector<std::uint16_t> ids) {
    unreleased_ = std::move(ids);
    pending_.clear();
  }
  // A new connection: a PUBACK held for the old one is void (the peer sends its QoS 1 message
  // again, and it is delivered again); a PUBREC the application has not released yet stays
  // held, so the resent QoS 2 message is answered only once it is owned (a duplicate finds it
  // pending and waits for it).
  void new_connection() {
    erase_if(pending_, [](const pending_ack& a) { return a.ready || a.first_byte != 0x50u; });
  }
  void clear() noexcept {
    unreleased_.clear();
    pending_.clear();
  }
  // An idle connection frees what holds nothing (the ids awaiting PUBREL stay).
  void release_if_empty() noexcept {
    pending_.release_if_empty();
    if (unreleased_.empty()) std::vector<std::uint16_t>().swap(unreleased_);
  }

 private:
  struct pending_ack {
    unsigned first_byte;
    std::uint16_t id;
    bool ready;
  };
  void ack(unsigned first_byte, std::uint16_t id, output_buffer& out) {
    if (!manual_) {
      out.append_ack(first_byte, id);
      return;
    }
    pending_.push_back({first_byte, id, false});
  }
  bool is_pending(std::uint16_t id) const noexcept {
    return std::any_of(pending_.begin(), pending_.end(),
                       [id](const pending_ack& a) { return a.id == id; });
  }

  bool manual_;
  std::vector<std::uint16_t> unreleased_;
  lazy_deque<pending_ack> pending_;
};

}  // namespace mqttwire::detail

#endif  // MQTTWIRE_SESSION_DETAIL_FLOWS_HPP
