// SPDX-License-Identifier: MIT
// mqttwire: what a persistent MQTT session keeps between connections, as plain data, and its
// serialised form (so a broker or client can keep it across a reconnect or a restart).
#ifndef MQTTWIRE_SESSION_STATE_HPP
#define MQTTWIRE_SESSION_STATE_HPP

#include "mqttwire/decode.hpp"
#include "mqttwire/detail/wire.hpp"
#include "mqttwire/error.hpp"
#include "mqttwire/owned.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/topic.hpp"
#include "mqttwire/types.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mqttwire {

/// The caller's monotonic clock. Sessions never read a clock: every call that depends on time
/// takes `now`, and next_deadline() says when to call in again.
using time_point = std::chrono::steady_clock::time_point;

/// A PUBLISH kept for sending, shared between the sessions it goes to: a broker keeps each
/// message once (its wire form, see owned.hpp) however many subscribers it has. Each session
/// writes it with its own packet identifier, QoS, DUP and RETAIN.
using shared_message = std::shared_ptr<const owned<publish>>;

/// Makes a shared_message from a packet (one allocation for the bytes, one for the control
/// block). Errors: validate()'s.
inline result<shared_message> make_shared_message(const publish& p,
                                                  protocol_version v = protocol_version::v3_1_1) {
  auto o = owned<publish>::copy_of(p, v);
  if (!o) return o.error();
  return std::make_shared<const owned<publish>>(std::move(*o));
}

/// Where an outgoing QoS 1 or 2 message is in its flow (3.1.1 §4.3.2, §4.3.3).
enum class out_stage : std::uint8_t {
  queued,            ///< not sent yet: waits for a connection or for room in the in-flight window
  awaiting_puback,   ///< QoS 1, PUBLISH sent
  awaiting_pubrec,   ///< QoS 2, PUBLISH sent
  awaiting_pubcomp,  ///< QoS 2, PUBREL sent (the PUBLISH is never sent again, [MQTT-4.3.3-1])
};

/// One message a session still has to bring to its peer.
struct outgoing_message {
  /// 0 while a server's message is queued (it gets an identifier when it is first sent); a
  /// client's messages get theirs when published, so publish() can return it.
  std::uint16_t packet_id = 0;
  out_stage stage = out_stage::queued;
  qos_level qos = qos_level::at_least_once;  ///< the QoS it is delivered at (1 or 2)
  bool retain = false;                       ///< RETAIN as it goes out ([MQTT-3.3.1-8], -9)
  shared_message message{};                  ///< null once only the PUBREL is left
  friend bool operator==(const outgoing_message& a, const outgoing_message& b) noexcept {
    const bool same_bytes = (!a.message && !b.message) ||
                            (a.message && b.message && *a.message == *b.message);
    return a.packet_id == b.packet_id && a.stage == b.stage && a.qos == b.qos &&
           a.retain == b.retain && same_bytes;
  }
};

/// A subscription held by a session: the filter and the QoS granted (server side) or asked for
/// and granted (client side).
struct stored_subscription {
  std::string topic_filter{};
  qos_level qos = qos_level::at_most_once;
  friend bool operator==(const stored_subscription&, const stored_subscription&) = default;
};

/// What a persistent session keeps between connections ([MQTT-4.1.0-1], 3.1.1 §4.1): the
/// messages to its peer not yet acknowledged, in the order they were published (those in
/// flight first, then the queued ones), the packet identifiers of QoS 2 messages received and
/// not yet released (PUBREL), and the subscriptions. Take it out of a session with
/// take_state(), give it to the next one, or serialise() it for a restart.
struct session_state {
  std::string client_id{};
  protocol_version version = protocol_version::v3_1_1;
  std::vector<outgoing_message> outgoing{};
  std::vector<std::uint16_t> incoming_qos2{};
  std::vector<stored_subscription> subscriptions{};

  bool empty() const noexcept {
    return outgoing.empty() && incoming_qos2.empty() && subscriptions.empty();
  }
  friend bool operator==(const session_state&, const session_state&) = default;

  /// For a broker holding the session of an offline client ([MQTT-3.1.2-5]): queues `message`
  /// for it at `qos` (the lower of the message's QoS and the grant, [MQTT-3.8.4-6]). QoS 0 is not
  /// queued for an offline client (the choice mosquitto makes too): returns success and drops
  /// it. Errors: queue_full when `max_queued` messages are already queued (the new one is dropped,
  /// the older ones kept).
  errc enqueue(shared_message message, qos_level qos, std::size_t max_queued) {
    if (qos == qos_level::at_most_once) return errc::success;
    const auto queued = static_cast<std::size_t>(std::count_if(
        outgoing.begin(), outgoing.end(),
        [](const outgoing_message& m) { return m.stage == out_stage::queued; }));
    if (queued >= max_queued) return errc::queue_full;
    outgoing.push_back({0, out_stage::queued, qos, false, std::move(message)});
    return errc::success;
  }
};

// ---------------------------------------------------------------- serialised form
//
// "MQWS", format 1, then the fields in order. Integers are big-endian; every count and length
// is checked on reading, and every stored PUBLISH is the packet's own MQTT wire form, decoded
// (validated) again when read. So a saved session can be inspected with the CLI, and a damaged
// file is refused with errc::corrupt_session_state at the offset of the first bad byte.
//
//   magic "MQWS"  u8 format (1)  u8 protocol level (3 or 4)
//   u16 client id length, bytes
//   u32 outgoing count, each: u8 stage, u8 qos, u8 retain, u16 packet id,
//                             u32 length, the PUBLISH (empty for awaiting_pubcomp)
//   u32 incoming QoS 2 count, each u16 packet id
//   u32 subscription count, each: u8 qos, u16 length, the topic filter

namespace detail {

inline void put_be(std::vector<char>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(ch(static_cast<unsigned>(v >> (8 * i))));
}

class state_reader {
 public:
  explicit state_reader(bytes_view in) noexcept : in_(in) {}
  bool take(std::size_t n, std::string_view& out) noexcept {
    if (in_.size() - pos_ < n) return fail();
    out = std::string_view(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool uint(int bytes, std::uint64_t& out) noexcept {
    std::string_view s;
    if (!take(static_cast<std::size_t>(bytes), s)) return false;
    out = 0;
    for (const char c : s) out = (out << 8) | u8(c);
    return true;
  }
  bool fail() noexcept {
    if (!failed_) fault_ = pos_;
    failed_ = true;
    return false;
  }
  // Marks the field that starts at `at` as the fault.
  bool fail_at(std::size_t at) noexcept {
    if (!failed_) fault_ = at;
    failed_ = true;
    return false;
  }
  std::size_t pos() const noexcept { return pos_; }
  bool at_end() const noexcept { return pos_ == in_.size(); }
  error failure() const noexcept { return {errc::corrupt_session_state, fault_}; }

 private:
  bytes_view in_;
  std::size_t pos_ = 0;
  std::size_t fault_ = 0;
  bool failed_ = false;
};

constexpr bool stage_fits(out_stage s, qos_level q) noexcept {
  switch (s) {
    case out_stage::queued: return q != qos_level::at_most_once;
    case out_stage::awaiting_puback: return q == qos_level::at_least_once;
    case out_stage::awaiting_pubrec:
    case out_stage::awaiting_pubcomp: return q == qos_level::exactly_once;
  }
  return false;
}

}  // namespace detail

/// The state as bytes (the format above). A client id or topic filter longer than 65,535 bytes
/// cannot be written (nor can it come from a session: MQTT strings are that long at most):
/// errc::string_too_long, with the offset in the output where its length would have gone.
/// May throw std::bad_alloc.
inline result<std::vector<char>> serialise(const session_state& s) {
  constexpr std::size_t max_string = 65535;
  std::vector<char> out{'M', 'Q', 'W', 'S', '\x01'};
  out.push_back(detail::ch(static_cast<unsigned>(s.version)));
  if (s.client_id.size() > max_string) return error{errc::string_too_long, out.size()};
  detail::put_be(out, s.client_id.size(), 2);
  out.insert(out.end(), s.client_id.begin(), s.client_id.end());
  detail::put_be(out, s.outgoing.size(), 4);
  for (const outgoing_message& m : s.outgoing) {
    out.push_back(detail::ch(static_cast<unsigned>(m.stage)));
    out.push_back(detail::ch(static_cast<unsigned>(m.qos)));
    out.push_back(m.retain ? '\x01' : '\x00');
    detail::put_be(out, m.packet_id, 2);
    const bytes_view wire = m.message ? m.message->wire() : bytes_view{};
    detail::put_be(out, wire.size(), 4);
    out.insert(out.end(), wire.begin(), wire.end());
  }
  detail::put_be(out, s.incoming_qos2.size(), 4);
  for (const std::uint16_t id : s.incoming_qos2) detail::put_be(out, id, 2);
  detail::put_be(out, s.subscriptions.size(), 4);
  for (const stored_subscription& sub : s.subscriptions) {
    out.push_back(detail::ch(static_cast<unsigned>(sub.qos)));
    if (sub.topic_filter.size() > max_string) return error{errc::string_too_long, out.size()};
    detail::put_be(out, sub.topic_filter.size(), 2);
    out.insert(out.end(), sub.topic_filter.begin(), sub.topic_filter.end());
  }
  return out;
}

/// Reads what serialise() wrote, checking everything: the magic and format, the protocol level,
/// the client id (UTF-8), each message's stage against its QoS, each PUBLISH (decoded again
/// under the state's version), packet identifiers (non-zero, none twice among the outgoing
/// messages nor among the QoS 2 ids), each filter (validate_topic_filter), and that nothing
/// follows. Errors: corrupt_session_state at the offset of the first bad field. May throw
/// std::bad_alloc.
inline result<session_state> deserialise(bytes_view in) {
  detail::state_reader r(in);
  const auto corrupt_at = [&r](std::size_t at) {
    r.fail_at(at);
    return r.failure();
  };
  session_state s;
  std::string_view magic;
  std::uint64_t format = 0, level = 0, n = 0;
  if (!r.take(4, magic) || magic != "MQWS") return corrupt_at(0);
  if (!r.uint(1, format) || format != 1) return corrupt_at(4);
  if (!r.uint(1, level) || (level != 3 && level != 4)) return corrupt_at(5);
  s.version = static_cast<protocol_version>(level);
  std::string_view id;
  const std::size_t id_at = r.pos();
  if (!r.uint(2, n) || !r.take(static_cast<std::size_t>(n), id)) return r.failure();
  if (detail::check_utf8(id, false)) return corrupt_at(id_at);
  s.client_id = std::string(id);

  std::vector<std::uint16_t> ids;
  if (!r.uint(4, n)) return r.failure();
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::size_t at = r.pos();
    std::uint64_t stage = 0, qos = 0, retain = 0, pid = 0, len = 0;
    if (!r.uint(1, stage) || !r.uint(1, qos) || !r.uint(1, retain) || !r.uint(2, pid) ||
        !r.uint(4, len)) {
      return r.failure();
    }
    if (stage > 3 || qos > 2 || retain > 1 ||
        !detail::stage_fits(static_cast<out_stage>(stage), static_cast<qos_level>(qos))) {
      return corrupt_at(at);
    }
    outgoing_message m{static_cast<std::uint16_t>(pid), static_cast<out_stage>(stage),
                       static_cast<qos_level>(qos), retain == 1, nullptr};
    // Only a queued message may lack its identifier; identifiers are unique.
    if ((m.packet_id == 0 && m.stage != out_stage::queued) ||
        (m.packet_id != 0 && std::find(ids.begin(), ids.end(), m.packet_id) != ids.end())) {
      return corrupt_at(at);
    }
    if (m.packet_id != 0) ids.push_back(m.packet_id);
    const std::size_t wire_at = r.pos();
    std::string_view wire;
    if (!r.take(static_cast<std::size_t>(len), wire)) return r.failure();
    if (m.stage == out_stage::awaiting_pubcomp) {
      if (!wire.empty()) return corrupt_at(wire_at);
    } else {
      auto msg = owned<publish>::from_wire(bytes_view(wire.data(), wire.size()), s.version);
      if (!msg) return corrupt_at(wire_at);
      m.message = std::make_shared<const owned<publish>>(std::move(*msg));
    }
    s.outgoing.push_back(std::move(m));
  }
  if (!r.uint(4, n)) return r.failure();
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::size_t at = r.pos();
    std::uint64_t pid = 0;
    if (!r.uint(2, pid)) return r.failure();
    const auto p = static_cast<std::uint16_t>(pid);
    if (p == 0 || std::find(s.incoming_qos2.begin(), s.incoming_qos2.end(), p) !=
                      s.incoming_qos2.end()) {
      return corrupt_at(at);
    }
    s.incoming_qos2.push_back(p);
  }
  if (!r.uint(4, n)) return r.failure();
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::size_t at = r.pos();
    std::uint64_t qos = 0, len = 0;
    std::string_view filter;
    if (!r.uint(1, qos) || !r.uint(2, len) || !r.take(static_cast<std::size_t>(len), filter)) {
      return r.failure();
    }
    if (qos > 2 || validate_topic_filter(filter).code != errc::success) {
      return corrupt_at(at);
    }
    s.subscriptions.push_back({std::string(filter), static_cast<qos_level>(qos)});
  }
  if (!r.at_end()) return corrupt_at(r.pos());
  return s;
}

}  // namespace mqttwire

#endif  // MQTTWIRE_SESSION_STATE_HPP
