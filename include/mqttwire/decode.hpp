// SPDX-License-Identifier: MIT
// mqttwire: decoding MQTT 3.1/3.1.1 control packets from bytes (no I/O, no allocation).
#ifndef MQTTWIRE_DECODE_HPP
#define MQTTWIRE_DECODE_HPP

#include "mqttwire/detail/config.hpp"
#include "mqttwire/detail/utf8.hpp"
#include "mqttwire/detail/wire.hpp"
#include "mqttwire/error.hpp"
#include "mqttwire/options.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/topic.hpp"
#include "mqttwire/types.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace mqttwire {

/// The fixed header: what a stream reader needs to know how many bytes the packet takes.
struct frame_header {
  packet_type type = packet_type::connect;
  std::uint8_t flags = 0;              ///< bits 3-0 of the first byte
  std::uint32_t remaining_length = 0;  ///< bytes after the fixed header
  std::uint8_t header_size = 0;        ///< 2..5: the type byte and the Remaining Length field
  /// Bytes of the whole packet.
  constexpr std::size_t size() const noexcept { return header_size + std::size_t{remaining_length}; }
  friend constexpr bool operator==(const frame_header&, const frame_header&) = default;
};

/// What decode_into returns: a code and one number, small enough to come back in two registers
/// (the packet itself is written into the caller's object). On success `size` is the number of
/// bytes the packet took from the front of the input (where the next packet starts); on failure
/// it is the offset of the fault, exactly error::offset of decode().
struct decode_result {
  errc ec = errc::success;
  std::size_t size = 0;

  constexpr explicit operator bool() const noexcept { return ec == errc::success; }
  /// The failure as decode() reports it; {success, 0} on success.
  constexpr mqttwire::error error() const noexcept {
    return ec == errc::success ? mqttwire::error{} : mqttwire::error{ec, size};
  }
  friend constexpr bool operator==(const decode_result&, const decode_result&) = default;
};

namespace detail {

// Fixed-header flags of every packet but PUBLISH and CONNECT (spec reference §2.3, §2.4).
constexpr bool flags_allowed(packet_type t, std::uint8_t flags, protocol_version v,
                             const options& opts) noexcept {
  const std::uint8_t required = canonical_flags(t);
  if (flags == required) return true;
  if (v == protocol_version::v3_1) {
    if (!opts.strict_3_1) return true;  // 3.1 §2.6: unused bits carry no receiver rule
    return may_carry_dup_in_3_1(t) && flags == (required | 0x08u);  // a retransmission
  }
  return false;
}

// Everything the first byte alone proves wrong, under the rules of version `v`.
constexpr errc check_first_byte(std::uint8_t first, protocol_version v,
                                const options& opts) noexcept {
  const unsigned type = first >> 4;
  const auto flags = static_cast<std::uint8_t>(first & 0x0Fu);
  if (type == 0 || type == 15) return errc::reserved_packet_type;
  const auto t = static_cast<packet_type>(type);
  if (t == packet_type::publish) {
    const unsigned qos = (flags >> 1) & 0x03u;
    if (qos == 3) return errc::invalid_qos;  // [MQTT-3.3.1-4]; 3.1 calls it reserved
    if (qos == 0 && (flags & 0x08u) != 0) {
      // [MQTT-3.3.1-2] is a sender rule, so [MQTT-4.8.0-1] makes the 3.1.1 receiver close; 3.1
      // only calls DUP meaningless without QoS, so its tolerant mode lets it through.
      const bool reject = v == protocol_version::v3_1_1 ? !opts.tolerate_dup_with_qos0
                                                         : opts.strict_3_1;
      if (reject) return errc::dup_with_qos0;
    }
    return errc::success;
  }
  if (t == packet_type::connect) {
    // CONNECT names its version only inside the body: 3.1.1 requires 0000 ([MQTT-2.2.2-2]), a
    // tolerant 3.1 decoder ignores the bits; strict_3_1 requires 0000 of both.
    return opts.strict_3_1 && flags != 0 ? errc::invalid_fixed_header_flags : errc::success;
  }
  return flags_allowed(t, flags, v, opts) ? errc::success : errc::invalid_fixed_header_flags;
}

// Whether a body of `length` bytes can hold a packet of this type at all (spec reference §2.7):
// fixed layouts have one size, the others a least size. Only the fixed header is needed, so a
// stream reader refuses such a packet before waiting for its body. A list packet whose body is
// just its packet id breaks the rule that names the empty list, so that code is given.
constexpr errc check_length(packet_type t, std::uint8_t flags, std::uint32_t length,
                            protocol_version v, const options& opts) noexcept {
  constexpr errc ok = errc::success;
  constexpr errc impossible = errc::impossible_remaining_length;
  // 3.1 is silent on empty SUBSCRIBE/UNSUBSCRIBE lists and the tolerant mode accepts them.
  const bool lists_required = v == protocol_version::v3_1_1 || opts.strict_3_1;
  switch (t) {
    // protocol name (6 or 8), level, flags, keep alive, client id prefix (the id may be empty)
    case packet_type::connect: return length >= 12 ? ok : impossible;
    case packet_type::connack:
    case packet_type::puback:
    case packet_type::pubrec:
    case packet_type::pubrel:
    case packet_type::pubcomp:
    case packet_type::unsuback: return length == 2 ? ok : impossible;
    // a topic of at least one byte ([MQTT-4.7.3-1]), and a packet id unless QoS is 0
    case packet_type::publish: return length >= ((flags & 0x06u) != 0 ? 5u : 3u) ? ok : impossible;
    // packet id, then filters of at least one byte with a QoS byte each ([MQTT-3.8.3-3])
    case packet_type::subscribe:
      if (length >= 6) return ok;
      if (length != 2) return impossible;
      return lists_required ? errc::empty_subscription_list : ok;
    case packet_type::suback:  // packet id and at least one return code
      if (length >= 3) return ok;
      return length == 2 ? errc::empty_return_code_list : impossible;
    case packet_type::unsubscribe:  // packet id, then filters of at least one byte ([MQTT-3.10.3-2])
      if (length >= 5) return ok;
      if (length != 2) return impossible;
      return lists_required ? errc::empty_unsubscribe_list : ok;
    case packet_type::pingreq:
    case packet_type::pingresp:
    case packet_type::disconnect: return length == 0 ? ok : impossible;
  }
  return impossible;
}


// The fixed header, with every check peek_header makes and in its order. The decoders' fast
// path reads short headers itself and comes here for the exact outcome of everything else.
struct header_read {
  errc ec = errc::success;
  std::size_t at = 0;  // offset of the fault
  frame_header h{};
};

constexpr header_read read_header(const char* in, std::size_t n, protocol_version v,
                                  const options& opts) noexcept {
  if (n == 0) return {errc::incomplete, 0, {}};
  const std::uint8_t first = u8(in[0]);
  if (const errc e = check_first_byte(first, v, opts); e != errc::success) return {e, 0, {}};
  const auto type = static_cast<packet_type>(first >> 4);
  const auto flags = static_cast<std::uint8_t>(first & 0x0Fu);
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (n <= 1 + i) return {errc::incomplete, n, {}};
    const std::uint8_t b = u8(in[1 + i]);
    value |= std::uint32_t{b & 0x7Fu} << (7 * i);
    if ((b & 0x80u) == 0) {
      // A longer encoding than needed ends in a zero group (e.g. 80 00 for 0).
      if (opts.reject_non_minimal_length && i > 0 && b == 0) {
        return {errc::non_minimal_remaining_length, 1, {}};
      }
      if (const errc e = check_length(type, flags, value, v, opts); e != errc::success) {
        return {e, 1, {}};
      }
      return {errc::success, 0, frame_header{type, flags, value, static_cast<std::uint8_t>(2 + i)}};
    }
  }
  // Both versions cap the field at four bytes, so a continuation bit here is already fatal.
  return {errc::malformed_remaining_length, 4, {}};
}

// The outcome of a fixed header the fast path does not read itself: short input, a long or
// malformed Remaining Length. Only failures come here (the caller has seen that it cannot go on).
MQTTWIRE_COLD constexpr decode_result header_fault(const char* in, std::size_t n,
                                                   protocol_version v,
                                                   const options& opts) noexcept {
  const header_read h = read_header(in, n, v, opts);
  return {h.ec, h.at};
}

}  // namespace detail

/// Reads the fixed header from the front of `in` and checks what it alone can prove, under the
/// rules of version `v` and `opts` (as `decode` would): needs 1 to 5 bytes, whatever the packet's
/// size, so a reader learns how many bytes to wait for and refuses garbage without waiting for
/// the body it announces. Errors, each as soon as the bytes that prove it are there:
/// incomplete (offset = in.size()); at offset 0 reserved_packet_type, invalid_fixed_header_flags,
/// invalid_qos, dup_with_qos0; malformed_remaining_length (4: a fourth length byte that still has
/// its continuation bit); at offset 1 non_minimal_remaining_length (only with
/// options::reject_non_minimal_length) and impossible_remaining_length (a fixed-size packet of
/// another size, or a body too short for the type: spec reference §2.7), or for a list packet
/// whose body is only its packet id empty_subscription_list, empty_unsubscribe_list or
/// empty_return_code_list.
constexpr result<frame_header> peek_header(bytes_view in,
                                           protocol_version v = protocol_version::v3_1_1,
                                           const options& opts = default_options) noexcept {
  const detail::header_read h = detail::read_header(in.data(), in.size(), v, opts);
  if (h.ec != errc::success) return error{h.ec, h.at};
  return h.h;
}

/// One decoded packet and the number of bytes it took from the front of the input.
struct decoded {
  packet pkt{};
  std::size_t size = 0;

  constexpr decoded() noexcept = default;
  constexpr decoded(packet p, std::size_t n) noexcept : pkt(std::move(p)), size(n) {}
  /// Builds the packet in place from one packet struct (no intermediate variant).
  template <packet_struct P>
  constexpr decoded(const P& p, std::size_t n) noexcept : pkt(std::in_place_type<P>, p), size(n) {}
  /// A value-initialised packet of type P: a placeholder that decode_into then overwrites
  /// (cheaper than the default, which zeroes a whole CONNECT).
  template <packet_struct P>
  constexpr decoded(std::in_place_type_t<P> t, std::size_t n) noexcept : pkt(t), size(n) {}
  friend constexpr bool operator==(const decoded&, const decoded&) = default;
};

namespace detail {

// Shifts a fault found inside a field to an offset in the caller's buffer (past the prefix).
constexpr error at_field(error e, std::size_t prefix_offset) noexcept {
  return {e.code, prefix_offset + 2 + e.offset};
}

constexpr error check_string(std::string_view s, std::size_t prefix_offset,
                             const options& opts) noexcept {
  if (const auto fault = check_utf8(s, opts.reject_control_characters)) {
    return {fault.code, prefix_offset + 2 + fault.offset};
  }
  return {};
}

// MQTT 3.1 §2.2 gives 32,767 characters as the topic limit; only the strict 3.1 mode holds to it.
constexpr bool over_3_1_topic_limit(std::size_t size, protocol_version v,
                                    const options& opts) noexcept {
  return size > 32'767 && v == protocol_version::v3_1 && opts.strict_3_1;
}

constexpr error check_topic_name(std::string_view topic, std::size_t prefix_offset,
                                 protocol_version v, const options& opts) noexcept {
  if (const error e = validate_topic_name(topic, opts); e.code != errc::success) {
    return at_field(e, prefix_offset);
  }
  if (over_3_1_topic_limit(topic.size(), v, opts)) return {errc::topic_too_long, prefix_offset};
  return {};
}

constexpr error check_topic_filter(std::string_view filter, std::size_t prefix_offset,
                                   protocol_version v, const options& opts) noexcept {
  if (const error e = validate_topic_filter(filter, opts); e.code != errc::success) {
    return at_field(e, prefix_offset);
  }
  if (over_3_1_topic_limit(filter.size(), v, opts)) return {errc::topic_too_long, prefix_offset};
  return {};
}

// DUP of PUBREL/SUBSCRIBE/UNSUBSCRIBE: meaningful in 3.1 only (3.1.1 requires flags 0010).
constexpr bool dup_of(unsigned first, protocol_version v) noexcept {
  return v == protocol_version::v3_1 && (first & 0x08u) != 0;
}

// How a decoded packet reaches the caller's object, once the whole packet has passed (so the
// object is left as it was on failure): `fill(P&)` assigns every member of the struct, which is
// the alternative of a packet, or the caller's struct itself. Assigning the members in place
// lets the compiler store each field once; building a struct and copying it in goes through
// the stack.
template <packet_struct P, class Fill>
MQTTWIRE_ALWAYS_INLINE constexpr void put(packet& out, Fill&& fill) noexcept {
  if (std::is_constant_evaluated()) {
    // clang 14 cannot evaluate libstdc++'s emplace (it names the new member before it is
    // active); assigning a whole variant works in both compilers, and costs only here.
    P p{};
    fill(p);
    out = packet(std::in_place_type<P>, p);
  } else {
    fill(out.template emplace<P>());
  }
}
template <packet_struct P, class Fill>
MQTTWIRE_ALWAYS_INLINE constexpr void put(P& out, Fill&& fill) noexcept {
  if (std::is_constant_evaluated()) {
    // clang 14 treats an optional that reset() disengaged as holding an uninitialised value,
    // which it then refuses to copy; a fresh struct has none.
    P p{};
    fill(p);
    out = p;
  } else {
    fill(out);
  }
}
// The same with every member given in order, for the large CONNECT: the struct is built in
// place from them. (Value-initialising it first, as emplace<P>() does, becomes a 30-step
// `rep stos` in g++ 12, and copying a built one a 30-step `rep movs`.) g++ builds an aggregate
// from parentheses (P0960) inside emplace; elsewhere the members are assigned.
template <packet_struct P, class... Members>
MQTTWIRE_ALWAYS_INLINE constexpr P& put_members(packet& out, Members&&... members) noexcept {
  if (std::is_constant_evaluated()) {
    out = packet(std::in_place_type<P>, P{std::forward<Members>(members)...});
    return std::get<P>(out);
  } else {
#if defined(__cpp_aggregate_paren_init)
    return out.template emplace<P>(std::forward<Members>(members)...);
#else
    P& p = out.template emplace<P>();
    p = P{std::forward<Members>(members)...};
    return p;
#endif
  }
}
template <packet_struct P, class... Members>
MQTTWIRE_ALWAYS_INLINE constexpr P& put_members(P& out, Members&&... members) noexcept {
  if (std::is_constant_evaluated()) {
    out = P{std::forward<Members>(members)...};
    return out;
  } else {
    // P is trivially destructible and has no const member, so a new object may take the old
    // one's place (and the caller's references then name it, [basic.life]/8).
    return *::new (static_cast<void*>(&out)) P{std::forward<Members>(members)...};
  }
}


// A PUBLISH into the caller's object (both forms). Into a packet its members are built in place;
// into the caller's struct, assigning them is cheaper than a new object.
template <class Out>
MQTTWIRE_ALWAYS_INLINE constexpr void store_publish(Out& out, unsigned first, std::string_view topic,
                                                    std::uint16_t id,
                                                    std::string_view payload) noexcept {
  const unsigned qos = (first >> 1) & 0x03u;
  if constexpr (std::is_same_v<Out, packet>) {
    put_members<publish>(out, (first & 0x08u) != 0, static_cast<qos_level>(qos),
                         (first & 0x01u) != 0, topic,
                         qos != 0 ? std::optional<std::uint16_t>(id) : std::nullopt, payload);
  } else {
    put<publish>(out, [&](publish& p) {
      p.dup = (first & 0x08u) != 0;
      p.qos = static_cast<qos_level>(qos);
      p.retain = (first & 0x01u) != 0;
      p.topic = topic;
      if (qos != 0) {
        p.packet_id = id;
      } else {
        p.packet_id.reset();
      }
      p.payload = payload;
    });
  }
}

// The decoder in two forms. decode_exact reads the fixed header with every check in order and
// runs the scalar string checks of utf8.hpp and topic.hpp; it is the only form in constant
// evaluation. decode_fast (run time only, one function per packet type) reads the usual headers
// itself and accepts strings by the vector ASCII check alone; whatever it is not sure of (an
// unusual first byte or length, non-ASCII text, an empty topic, a misplaced wildcard) it answers
// not_sure(), and its caller decodes the packet again with decode_exact, which finds the fault
// and its offset. So the fast form never decides a fault of its own beyond the ones its code
// states, makes no call, and keeps nothing alive for a second attempt: few registers to save.
MQTTWIRE_ALWAYS_INLINE constexpr decode_result not_sure() noexcept { return {not_sure_code, 0}; }
template <class Out>
constexpr decode_result decode_exact(const char* in, std::size_t n, Out& out, protocol_version v,
                                     const options& opts) noexcept;

// A length-prefixed field at `pos` (string or binary): its bytes, and pos moved past it. A fault
// is at the field's prefix, which is `pos` on return.
MQTTWIRE_ALWAYS_INLINE constexpr errc read_field(const char* in, std::size_t& pos, std::size_t end,
                                                 std::string_view& field) noexcept {
  if (end - pos < 2) return errc::packet_too_short;
  const std::size_t length = read_be16(in + pos);
  if (length > end - pos - 2) return errc::string_exceeds_packet;
  field = std::string_view(in + pos + 2, length);
  pos += 2 + length;
  return errc::success;
}

// The exact bodies. Each runs once the fixed header passed and the whole packet is in `in`: the
// body is [begin, end), and `first` is the packet's first byte.

template <class P, class Out>
constexpr decode_result decode_ack(const char* in, std::size_t begin,
                                                          std::size_t end, unsigned first,
                                                          protocol_version v, Out& out) noexcept {
  // The header proved the body is exactly the packet identifier.
  const std::uint16_t id = read_be16(in + begin);
  if (id == 0) return {errc::packet_id_zero, begin};  // [MQTT-2.3.1-1]; 3.1 §2.4
  put<P>(out, [&](P& p) {
    p.packet_id = id;
    if constexpr (requires { p.dup; }) p.dup = dup_of(first, v);
  });
  return {errc::success, end};
}

template <class Out>
constexpr decode_result decode_connack(const char* in, std::size_t begin,
                                                              std::size_t end, protocol_version v,
                                                              const options& opts,
                                                              Out& out) noexcept {
  const std::uint8_t ack_flags = u8(in[begin]);
  const std::uint8_t code = u8(in[begin + 1]);
  bool session_present = false;
  if (v == protocol_version::v3_1_1) {  // 3.1 ignores byte 1 ("topic name compression response")
    // Sender MUSTs, so [MQTT-4.8.0-1] makes the receiver close unless told to tolerate them.
    if (!opts.tolerate_connack_reserved_flags && (ack_flags & 0xFEu) != 0) {
      return {errc::connack_reserved_flags, begin};
    }
    session_present = (ack_flags & 0x01u) != 0;
  }
  if (code > 5) return {errc::invalid_connack_return_code, begin + 1};
  if (!opts.tolerate_session_present_with_error && session_present && code != 0) {
    return {errc::session_present_with_error, begin};
  }
  put<connack>(out, [&](connack& c) {
    c.session_present = session_present;
    c.return_code = static_cast<connect_return_code>(code);
  });
  return {errc::success, end};
}

template <class Out>
constexpr decode_result decode_publish(const char* in, std::size_t begin,
                                                              std::size_t end,
                                                              unsigned first, protocol_version v,
                                                              const options& opts,
                                                              Out& out) noexcept {
  // The header checked the QoS and DUP bits, and that the body holds the topic's prefix and
  // one byte (and the packet identifier's two at QoS 1 and 2).
  const unsigned qos = (first >> 1) & 0x03u;
  std::size_t pos = begin;
  const std::size_t length = read_be16(in + pos);
  if (length > end - pos - 2) return {errc::string_exceeds_packet, pos};
  const std::string_view topic(in + pos + 2, length);
  if (const error fault = check_topic_name(topic, pos, v, opts); fault.code != errc::success) {
    return {fault.code, fault.offset};
  }
  pos += 2 + length;
  std::uint16_t id = 0;
  if (qos != 0) {
    if (end - pos < 2) return {errc::packet_too_short, pos};
    id = read_be16(in + pos);
    if (id == 0) return {errc::packet_id_zero, pos};
    pos += 2;
  }
  store_publish(out, first, topic, id, std::string_view(in + pos, end - pos));
  return {errc::success, end};
}

template <class Out>
constexpr decode_result decode_connect(const char* in, std::size_t begin, std::size_t end,
                                       unsigned first, const options& opts, Out& out) noexcept {
  // The header proved 12 body bytes at least: a protocol name of up to 6, level, flags and keep
  // alive fit in them, so only the fields after keep alive need bounds checks.
  std::size_t pos = begin;
  const std::size_t name_length = read_be16(in + pos);
  if (name_length > end - pos - 2) return {errc::string_exceeds_packet, pos};
  const std::string_view name(in + pos + 2, name_length);
  protocol_version v;
  if (name == "MQTT") {
    v = protocol_version::v3_1_1;
  } else if (name == "MQIsdp") {
    v = protocol_version::v3_1;
  } else {
    return {errc::invalid_protocol_name, pos};
  }
  pos += 2 + name_length;
  // Only (MQTT, 4) and (MQIsdp, 3) exist; any other level is answered with CONNACK 1.
  if (u8(in[pos]) != static_cast<std::uint8_t>(v)) return {errc::unsupported_protocol_level, pos};
  // The version is known only now: 3.1.1 requires flags 0000 ([MQTT-2.2.2-2]).
  if (!flags_allowed(packet_type::connect, static_cast<std::uint8_t>(first & 0x0Fu), v, opts)) {
    return {errc::invalid_fixed_header_flags, 0};
  }
  const std::size_t flags_at = pos + 1;
  const std::uint8_t flags = u8(in[flags_at]);
  const bool v311 = v == protocol_version::v3_1_1;
  const bool has_username = (flags & 0x80u) != 0;
  const bool has_password = (flags & 0x40u) != 0;
  const bool will_retain = (flags & 0x20u) != 0;
  const unsigned will_qos = (flags >> 3) & 0x03u;
  const bool has_will = (flags & 0x04u) != 0;
  if (v311 && (flags & 0x01u) != 0) return {errc::reserved_connect_flag, flags_at};
  if (has_will) {
    if (will_qos == 3) return {errc::invalid_will_qos, flags_at};
  } else if (v311) {  // 3.1 disregards Will QoS and Will Retain without a will
    if (will_qos != 0) return {errc::will_qos_without_will, flags_at};
    if (will_retain) return {errc::will_retain_without_will, flags_at};
  }
  if (has_password && !has_username) return {errc::password_without_username, flags_at};

  const std::uint16_t keep_alive = read_be16(in + pos + 2);
  pos += 4;

  error fault;
  std::size_t at = pos;
  std::string_view client_id, will_topic, will_payload, user, pass;
  if (pos == end) return {errc::missing_client_id, pos};
  if (const errc e = read_field(in, pos, end, client_id); e != errc::success) return {e, at};
  if (fault = check_string(client_id, at, opts); fault.code != errc::success) {
    return {fault.code, fault.offset};
  }
  if (has_will) {
    if (pos == end) return {errc::missing_will, pos};
    at = pos;
    if (const errc e = read_field(in, pos, end, will_topic); e != errc::success) return {e, at};
    if (fault = check_topic_name(will_topic, at, v, opts); fault.code != errc::success) {
        return {fault.code, fault.offset};
    }
    if (pos == end) return {errc::missing_will, pos};
    at = pos;
    if (const errc e = read_field(in, pos, end, will_payload); e != errc::success) return {e, at};
  }
  // 3.1 §3.1: "the Remaining Length takes precedence": a flagged field the packet ends before
  // counts as absent. 3.1.1 requires it ([MQTT-3.1.2-19], [MQTT-3.1.2-21]).
  bool got_username = false, got_password = false;
  if (has_username) {
    if (pos == end) {
      if (v311) return {errc::missing_username, pos};
    } else {
      at = pos;
      if (const errc e = read_field(in, pos, end, user); e != errc::success) return {e, at};
      if (fault = check_string(user, at, opts); fault.code != errc::success) {
            return {fault.code, fault.offset};
      }
      got_username = true;
    }
  }
  if (has_password) {
    if (pos == end) {
      if (v311) return {errc::missing_password, pos};
    } else {
      at = pos;
      if (const errc e = read_field(in, pos, end, pass); e != errc::success) return {e, at};
      got_password = true;
    }
  }
  // [MQTT-3.1.4-1]: the CONNECT must be exactly its fields (3.1 is silent; mosquitto agrees).
  if (pos != end) return {errc::trailing_bytes, pos};
  using optional_view = std::optional<std::string_view>;
  put_members<connect>(
      out, v, (flags & 0x02u) != 0, keep_alive, client_id,
      has_will ? std::optional<last_will>(last_will{will_topic, will_payload,
                                                    static_cast<qos_level>(will_qos), will_retain})
               : std::nullopt,
      got_username ? optional_view(user) : std::nullopt,
      got_password ? optional_view(pass) : std::nullopt);
  return {errc::success, end};
}

template <class Out>
constexpr decode_result decode_subscribe(const char* in, std::size_t begin, std::size_t end,
                                         unsigned first, protocol_version v,
                                         const options& opts, Out& out) noexcept {
  // The header proved the packet identifier is there (and, unless a tolerant 3.1 empty list,
  // one filter's prefix, a byte and a QoS).
  const std::uint16_t id = read_be16(in + begin);
  if (id == 0) return {errc::packet_id_zero, begin};
  const std::size_t list_at = begin + 2;
  const bool strict = v == protocol_version::v3_1_1 || opts.strict_3_1;
  std::size_t pos = list_at;
  while (pos != end) {
    std::string_view filter;
    const std::size_t at = pos;
    if (const errc e = read_field(in, pos, end, filter); e != errc::success) return {e, at};
    if (const error fault = check_topic_filter(filter, at, v, opts); fault.code != errc::success) {
        return {fault.code, fault.offset};
    }
    if (pos == end) return {errc::packet_too_short, pos};
    const std::uint8_t requested = u8(in[pos]);
    // [MQTT-3-8.3-4]: bits 7-2 are reserved; 3.1 calls them "not used" and sets no rule.
    if (strict && (requested & 0xFCu) != 0) return {errc::requested_qos_reserved_bits, pos};
    if ((requested & 0x03u) == 3) return {errc::invalid_requested_qos, pos};
    ++pos;
  }
  // [MQTT-3.8.3-3]; 3.1 does not say, and mosquitto accepts an empty list from a 3.1 client.
  if (strict && pos == list_at) return {errc::empty_subscription_list, list_at};
  put_members<subscribe>(
      out, id, dup_of(first, v),
      wire_list<subscription>::from_wire(std::string_view(in + list_at, end - list_at)));
  return {errc::success, end};
}

template <class Out>
constexpr decode_result decode_suback(const char* in, std::size_t begin, std::size_t end,
                                      protocol_version v, Out& out) noexcept {
  // The header proved the packet identifier and one return code are there.
  const std::uint16_t id = read_be16(in + begin);
  if (id == 0) return {errc::packet_id_zero, begin};
  const std::size_t list_at = begin + 2;
  for (std::size_t pos = list_at; pos != end; ++pos) {
    const std::uint8_t code = u8(in[pos]);
    const bool granted = code <= 2;
    const bool failure = code == suback_code::failure && v == protocol_version::v3_1_1;
    if (!granted && !failure) return {errc::invalid_suback_return_code, pos};
  }
  put_members<suback>(
      out, id, wire_list<std::uint8_t>::from_wire(std::string_view(in + list_at, end - list_at)));
  return {errc::success, end};
}

template <class Out>
constexpr decode_result decode_unsubscribe(const char* in, std::size_t begin, std::size_t end,
                                           unsigned first, protocol_version v,
                                           const options& opts, Out& out) noexcept {
  const std::uint16_t id = read_be16(in + begin);
  if (id == 0) return {errc::packet_id_zero, begin};
  const std::size_t list_at = begin + 2;
  std::size_t pos = list_at;
  while (pos != end) {
    std::string_view filter;
    const std::size_t at = pos;
    if (const errc e = read_field(in, pos, end, filter); e != errc::success) return {e, at};
    if (const error fault = check_topic_filter(filter, at, v, opts); fault.code != errc::success) {
        return {fault.code, fault.offset};
    }
  }
  // [MQTT-3.10.3-2]; as for SUBSCRIBE, 3.1 is silent and tolerated unless strict.
  const bool strict = v == protocol_version::v3_1_1 || opts.strict_3_1;
  if (strict && pos == list_at) return {errc::empty_unsubscribe_list, list_at};
  put_members<unsubscribe>(
      out, id, dup_of(first, v),
      wire_list<std::string_view>::from_wire(std::string_view(in + list_at, end - list_at)));
  return {errc::success, end};
}

// The body of a packet of type T whose header passed.
template <packet_type T, class Out>
constexpr decode_result decode_body(const char* in, std::size_t begin,
                                                           std::size_t end,
                                                           unsigned first, protocol_version v,
                                                           const options& opts,
                                                           Out& out) noexcept {
  if constexpr (T == packet_type::connect) {
    return decode_connect(in, begin, end, first, opts, out);
  } else if constexpr (T == packet_type::connack) {
    return decode_connack(in, begin, end, v, opts, out);
  } else if constexpr (T == packet_type::publish) {
    return decode_publish(in, begin, end, first, v, opts, out);
  } else if constexpr (T == packet_type::puback) {
    return decode_ack<puback>(in, begin, end, first, v, out);
  } else if constexpr (T == packet_type::pubrec) {
    return decode_ack<pubrec>(in, begin, end, first, v, out);
  } else if constexpr (T == packet_type::pubrel) {
    return decode_ack<pubrel>(in, begin, end, first, v, out);
  } else if constexpr (T == packet_type::pubcomp) {
    return decode_ack<pubcomp>(in, begin, end, first, v, out);
  } else if constexpr (T == packet_type::subscribe) {
    return decode_subscribe(in, begin, end, first, v, opts, out);
  } else if constexpr (T == packet_type::suback) {
    return decode_suback(in, begin, end, v, out);
  } else if constexpr (T == packet_type::unsubscribe) {
    return decode_unsubscribe(in, begin, end, first, v, opts, out);
  } else if constexpr (T == packet_type::unsuback) {
    return decode_ack<unsuback>(in, begin, end, first, v, out);
  } else {
    // PINGREQ, PINGRESP, DISCONNECT: the header proved the body empty.
    using P = std::variant_alternative_t<static_cast<std::size_t>(T) - 1, packet>;
    put<P>(out, [](P&) {});
    return {errc::success, end};
  }
}

template <class Out>
MQTTWIRE_NOINLINE constexpr decode_result decode_exact(const char* in, std::size_t n, Out& out,
                                                       protocol_version v,
                                                       const options& opts) noexcept {
  const header_read h = read_header(in, n, v, opts);
  if (h.ec != errc::success) return {h.ec, h.at};
  const std::size_t begin = h.h.header_size;
  const std::size_t end = h.h.size();
  if (n < end) return {errc::incomplete, n};
  const unsigned first = u8(in[0]);
  if constexpr (std::is_same_v<Out, packet>) {
    switch (h.h.type) {
#define MQTTWIRE_DETAIL_BODY(T) \
  case packet_type::T: return decode_body<packet_type::T>(in, begin, end, first, v, opts, out)
      MQTTWIRE_DETAIL_BODY(connect);
      MQTTWIRE_DETAIL_BODY(connack);
      MQTTWIRE_DETAIL_BODY(publish);
      MQTTWIRE_DETAIL_BODY(puback);
      MQTTWIRE_DETAIL_BODY(pubrec);
      MQTTWIRE_DETAIL_BODY(pubrel);
      MQTTWIRE_DETAIL_BODY(pubcomp);
      MQTTWIRE_DETAIL_BODY(subscribe);
      MQTTWIRE_DETAIL_BODY(suback);
      MQTTWIRE_DETAIL_BODY(unsubscribe);
      MQTTWIRE_DETAIL_BODY(unsuback);
      MQTTWIRE_DETAIL_BODY(pingreq);
      MQTTWIRE_DETAIL_BODY(pingresp);
      MQTTWIRE_DETAIL_BODY(disconnect);
#undef MQTTWIRE_DETAIL_BODY
    }
    return {errc::reserved_packet_type, 0};  // unreachable: read_header rejects 0 and 15
  } else {
    return decode_body<type_of_v<Out>>(in, begin, end, first, v, opts, out);
  }
}

// ---- the fast form ----
//
// Each fast body takes a packet whose usual header decode_fast has read, and either accepts it
// (and then stores exactly what the exact body would) or answers not_sure(): a fast body never
// reports a fault itself, so it needs no error codes or offsets, only the checks that prove a
// packet valid under every rule set the fast path serves. Pointers replace offsets: `p` walks
// the body, `e` is its end, and the size returned is e - in.

// A length-prefixed field at p that fits before e: its bytes, and p moved past it.
MQTTWIRE_ALWAYS_INLINE inline bool take_field(const char*& p, const char* e,
                                              std::string_view& field) noexcept {
  if (e - p < 2) return false;
  const std::size_t length = read_be16(p);
  if (length > static_cast<std::size_t>(e - p) - 2) return false;
  field = std::string_view(p + 2, length);
  p += 2 + length;
  return true;
}

// A topic name the fast path takes: 1 to 32,767 bytes (the strict 3.1 limit is left to the
// exact form), checked into `batch` (its verdict comes at the end).
template <bool Controls>
MQTTWIRE_ALWAYS_INLINE inline bool add_topic_name(ascii_batch<Controls>& batch,
                                                  std::string_view topic) noexcept {
  if (topic.empty() || topic.size() > 32'767) return false;
  batch.template add<ascii_rule::topic_name>(topic.data(), topic.size());
  return true;
}

template <class P, class Out>
MQTTWIRE_ALWAYS_INLINE inline decode_result fast_ack(const char* in, const char* p, const char* e,
                                                     Out& out) noexcept {
  const std::uint16_t id = read_be16(p);
  if (id == 0) return not_sure();
  // The canonical first byte has no DUP, so a PUBREL's dup is false.
  put<P>(out, [id](P& a) {
    a.packet_id = id;
    if constexpr (requires { a.dup; }) a.dup = false;
  });
  return {errc::success, static_cast<std::size_t>(e - in)};
}

template <class Out>
MQTTWIRE_ALWAYS_INLINE inline decode_result fast_connack(const char* in, const char* p,
                                                         const char* e, protocol_version v,
                                                         Out& out) noexcept {
  const unsigned ack_flags = u8(p[0]);
  const unsigned code = u8(p[1]);
  // 3.1 ignores byte 1; 3.1.1 allows only Session Present, and only with code 0.
  const bool session_present = v == protocol_version::v3_1_1 && ack_flags == 1;
  if (code > 5 || (v == protocol_version::v3_1_1 && ack_flags > (code == 0 ? 1u : 0u))) {
    return not_sure();
  }
  put<connack>(out, [&](connack& c) {
    c.session_present = session_present;
    c.return_code = static_cast<connect_return_code>(code);
  });
  return {errc::success, static_cast<std::size_t>(e - in)};
}

template <bool Controls, class Out>
MQTTWIRE_ALWAYS_INLINE inline decode_result fast_publish(const char* in, const char* p,
                                                         const char* e, unsigned first,
                                                         Out& out) noexcept {
  // The header proved the topic's prefix and a byte are there.
  const std::size_t topic_size = read_be16(p);
  if (topic_size > static_cast<std::size_t>(e - p) - 2) return not_sure();
  const std::string_view topic(p + 2, topic_size);
  p += 2 + topic_size;
  if (topic.empty() || topic.size() > 32'767) return not_sure();
  if constexpr (Controls) {
    if (!ascii_batch<true>::template of<ascii_rule::topic_name>(topic.data(), topic.size()).ok()) {
      return not_sure();
    }
  } else {
    if (!ascii_name_accept(topic.data(), topic.size())) return not_sure();
  }
  const unsigned qos = (first >> 1) & 0x03u;
  std::uint16_t id = 0;
  if (qos != 0) {
    if (e - p < 2) return not_sure();
    id = read_be16(p);
    if (id == 0) return not_sure();
    p += 2;
  }
  store_publish(out, first, topic, id, std::string_view(p, static_cast<std::size_t>(e - p)));
  return {errc::success, static_cast<std::size_t>(e - in)};
}

// The connect flags byte (3.1.1 §3.1.2.3, 3.1 §3.1) the fast path takes, as a bit per value:
// 3.1.1 refuses the reserved bit, Will QoS 3, Will QoS or Will Retain without a will and a
// password without a user name; 3.1 only Will QoS 3 with a will and the password rule.
constexpr bool connect_flags_usual(unsigned flags, protocol_version v) noexcept {
  const bool has_will = (flags & 0x04u) != 0;
  const unsigned will_qos = (flags >> 3) & 0x03u;
  if ((flags & 0x40u) != 0 && (flags & 0x80u) == 0) return false;
  if (v == protocol_version::v3_1_1 && (flags & 0x01u) != 0) return false;
  if (has_will) return will_qos != 3;
  if (v == protocol_version::v3_1) return true;
  return will_qos == 0 && (flags & 0x20u) == 0;
}
// For every flags byte, [3.1.1, 3.1][flags]: 0 when connect_flags_usual refuses it, otherwise
// the number of length-prefixed fields that follow the keep alive (the client id, the will's
// topic and message, the user name, the password), so that one load gives both.
struct connect_flag_table {
  std::uint8_t fields[2][256]{};
};
inline constexpr connect_flag_table connect_flags_table = [] {
  connect_flag_table t{};
  for (unsigned f = 0; f < 256; ++f) {
    const unsigned fields = 1u + ((f & 0x04u) != 0 ? 2u : 0u) + ((f & 0x80u) != 0 ? 1u : 0u) +
                            ((f & 0x40u) != 0 ? 1u : 0u);
    t.fields[0][f] = static_cast<std::uint8_t>(
        connect_flags_usual(f, protocol_version::v3_1_1) ? fields : 0);
    t.fields[1][f] = static_cast<std::uint8_t>(
        connect_flags_usual(f, protocol_version::v3_1) ? fields : 0);
  }
  return t;
}();

// A length-prefixed field of CONNECT at p, with one bounds test: `slack` is the bytes left
// before e minus two for the prefix of this field and of each one after it, so a field fits,
// with room left for the prefixes still to come, exactly when its length is at most `slack`.
// Taking it leaves slack minus its length for the next one (whose prefix is then known to be
// there). Precondition: slack >= 0, which proves the prefix at p is before e.
MQTTWIRE_ALWAYS_INLINE inline bool take_connect_field(const char*& p, std::ptrdiff_t& slack,
                                                      std::string_view& field) noexcept {
  const std::size_t length = read_be16(p);
  if (length > static_cast<std::size_t>(slack)) return false;
  field = std::string_view(p + 2, length);
  p += 2 + length;
  slack -= static_cast<std::ptrdiff_t>(length);
  return true;
}

template <bool Controls, class Out>
MQTTWIRE_ALWAYS_INLINE inline decode_result fast_connect(const char* in, const char* p,
                                                         const char* e, Out& out) noexcept {
  // The header proved at least 12 body bytes: name, level, flags and keep alive of either
  // version fit. "\0\4MQTT\4" or "\0\6MQIsdp\3" (spec reference §3.1).
  protocol_version v;
  if (std::memcmp(p, "\0\4MQTT\4", 7) == 0) {
    v = protocol_version::v3_1_1;
    p += 7;
  } else if (std::memcmp(p, "\0\6MQIsdp\3", 9) == 0) {
    v = protocol_version::v3_1;
    p += 9;
  } else {
    return not_sure();
  }
  const unsigned flags = u8(p[0]);
  const unsigned fields = connect_flags_table.fields[v == protocol_version::v3_1 ? 1 : 0][flags];
  if (fields == 0) return not_sure();
  const std::uint16_t keep_alive = read_be16(p + 1);
  p += 3;
  // Every prefix must fit: the one test here stands for the "two bytes left" test of each field.
  std::ptrdiff_t slack = (e - p) - 2 * static_cast<std::ptrdiff_t>(fields);
  if (slack < 0) return not_sure();
  ascii_batch<Controls> batch;
  std::string_view client_id, will_topic, will_payload, user, pass;
  if (!take_connect_field(p, slack, client_id)) return not_sure();
  batch.template add<ascii_rule::string>(client_id.data(), client_id.size());
  const bool has_will = (flags & 0x04u) != 0;
  if (has_will) {
    if (!take_connect_field(p, slack, will_topic) || !add_topic_name(batch, will_topic) ||
        !take_connect_field(p, slack, will_payload)) {
      return not_sure();
    }
  }
  const bool has_username = (flags & 0x80u) != 0;
  if (has_username) {
    if (!take_connect_field(p, slack, user)) return not_sure();
    batch.template add<ascii_rule::string>(user.data(), user.size());
  }
  const bool has_password = (flags & 0x40u) != 0;
  if (has_password && !take_connect_field(p, slack, pass)) return not_sure();
  // With no prefix to come, slack is the bytes left: none may be.
  if (slack != 0 || !batch.ok()) return not_sure();
  using optional_view = std::optional<std::string_view>;
  put_members<connect>(
      out, v, (flags & 0x02u) != 0, keep_alive, client_id,
      has_will ? std::optional<last_will>(last_will{will_topic, will_payload,
                                                    static_cast<qos_level>((flags >> 3) & 0x03u),
                                                    (flags & 0x20u) != 0})
               : std::nullopt,
      has_username ? optional_view(user) : std::nullopt,
      has_password ? optional_view(pass) : std::nullopt);
  return {errc::success, static_cast<std::size_t>(e - in)};
}

// SUBSCRIBE and UNSUBSCRIBE: the packet identifier, then at least one filter (the header
// proved room for it), each with a requested QoS of 0..2 for SUBSCRIBE.
template <bool Controls, bool WithQos, class Out>
MQTTWIRE_ALWAYS_INLINE inline decode_result fast_filter_list(const char* in, const char* p,
                                                             const char* e, Out& out) noexcept {
  const std::uint16_t id = read_be16(p);
  if (id == 0) return not_sure();
  p += 2;
  const char* const list = p;
  do {
    std::string_view filter;
    // The vector test refuses empty filters and those over 32,767 bytes (the strict 3.1 limit).
    if (!take_field(p, e, filter) ||
        !ascii_fast_accept_as<ascii_rule::topic_filter, Controls>(filter.data(), filter.size())) {
      return not_sure();
    }
    if constexpr (WithQos) {
      if (p == e || u8(*p) > 2) return not_sure();
      ++p;
    }
  } while (p != e);
  const std::string_view wire(list, static_cast<std::size_t>(e - list));
  if constexpr (WithQos) {
    put_members<subscribe>(out, id, false, wire_list<subscription>::from_wire(wire));
  } else {
    put_members<unsubscribe>(out, id, false, wire_list<std::string_view>::from_wire(wire));
  }
  return {errc::success, static_cast<std::size_t>(e - in)};
}

template <class Out>
MQTTWIRE_ALWAYS_INLINE inline decode_result fast_suback(const char* in, const char* p,
                                                        const char* e, protocol_version v,
                                                        Out& out) noexcept {
  const std::uint16_t id = read_be16(p);
  if (id == 0) return not_sure();
  const char* const list = p + 2;
  const bool failure_allowed = v == protocol_version::v3_1_1;
  for (const char* c = list; c != e; ++c) {
    const unsigned code = u8(*c);
    if (code > 2 && !(code == suback_code::failure && failure_allowed)) return not_sure();
  }
  put_members<suback>(out, id,
                      wire_list<std::uint8_t>::from_wire(
                          std::string_view(list, static_cast<std::size_t>(e - list))));
  return {errc::success, static_cast<std::size_t>(e - in)};
}

// The least Remaining Length of a PUBLISH that decode_fast takes, by the flags nibble: the
// topic's prefix and one byte, and the packet identifier at QoS 1 and 2. QoS 3 and DUP at
// QoS 0 have none: check_first_byte decides those.
inline constexpr std::uint32_t publish_least_length[16] = {
    3, 3, 5, 5, 5, 5, 0xFFFF'FFFFu, 0xFFFF'FFFFu,                      // DUP 0: QoS 0, 1, 2, 3
    0xFFFF'FFFFu, 0xFFFF'FFFFu, 5, 5, 5, 5, 0xFFFF'FFFFu, 0xFFFF'FFFFu,  // DUP 1
};

// The fixed headers decode_fast takes: the canonical first byte of each type (any PUBLISH but
// QoS 3 and DUP at QoS 0; CONNECT with flags 0000, which both versions allow), and the one body
// size of a fixed layout, or at least the least one (a list of one element at least). Every
// rule set accepts these; anything else goes to the exact form.
template <packet_type T>
MQTTWIRE_ALWAYS_INLINE constexpr bool header_is_usual(unsigned first, std::uint32_t length) noexcept {
  if constexpr (T == packet_type::publish) {
    return length >= publish_least_length[first & 0x0Fu];
  } else {
    constexpr unsigned canonical = (static_cast<unsigned>(T) << 4) | canonical_flags(T);
    const bool first_ok = first == canonical;
    switch (T) {
      case packet_type::connect: return first_ok && length >= 12;
      case packet_type::subscribe: return first_ok && length >= 6;
      case packet_type::suback: return first_ok && length >= 3;
      case packet_type::unsubscribe: return first_ok && length >= 5;
      case packet_type::pingreq:
      case packet_type::pingresp:
      case packet_type::disconnect: return first_ok && length == 0;
      default: return first_ok && length == 2;  // CONNACK and the packet-identifier-only acks
    }
  }
}

// header_is_usual for a type known only at run time (a stream reader's look at a fixed header
// before its body arrives), from a table by type nibble. The reserved types have a first byte of
// another type, so they never match.
struct usual_header {
  std::uint8_t first;
  std::uint32_t least;
  std::uint32_t most;
};
inline constexpr std::uint32_t any_length = 0xFFFF'FFFFu;
inline constexpr usual_header usual_headers[16] = {
    {0x10, 0, 0},            // reserved (0x10 is CONNECT's: no first byte of type 0 matches)
    {0x10, 12, any_length},  // CONNECT
    {0x20, 2, 2},            // CONNACK
    {0x30, 0, 0},            // PUBLISH: publish_least_length instead
    {0x40, 2, 2},            // PUBACK
    {0x50, 2, 2},            // PUBREC
    {0x62, 2, 2},            // PUBREL
    {0x70, 2, 2},            // PUBCOMP
    {0x82, 6, any_length},   // SUBSCRIBE
    {0x90, 3, any_length},   // SUBACK
    {0xA2, 5, any_length},   // UNSUBSCRIBE
    {0xB0, 2, 2},            // UNSUBACK
    {0xC0, 0, 0},            // PINGREQ
    {0xD0, 0, 0},            // PINGRESP
    {0xE0, 0, 0},            // DISCONNECT
    {0x00, 0, 0},            // reserved (0x00 is type 0's: no first byte of type 15 matches)
};

MQTTWIRE_ALWAYS_INLINE constexpr bool header_is_usual(unsigned first, std::uint32_t length) noexcept {
  const unsigned type = first >> 4;
  if (type == static_cast<unsigned>(packet_type::publish)) {
    return length >= publish_least_length[first & 0x0Fu];
  }
  const usual_header& u = usual_headers[type];
  return first == u.first && length >= u.least && length <= u.most;
}

// The table says what header_is_usual<T> says (decode_fast keeps the per-type form, whose
// constants g++ compiles to fewer instructions): every first byte of each type, at the lengths
// around its bounds.
template <unsigned... T>
constexpr bool usual_headers_agree(std::integer_sequence<unsigned, T...>) noexcept {
  const auto agrees = [](auto type) {
    constexpr auto t = static_cast<packet_type>(decltype(type)::value);
    for (unsigned flags = 0; flags < 16; ++flags) {
      const unsigned first = (static_cast<unsigned>(t) << 4) | flags;
      for (const std::uint32_t length : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 11u, 12u, 13u, any_length}) {
        if (header_is_usual<t>(first, length) != header_is_usual(first, length)) return false;
      }
    }
    return true;
  };
  return (agrees(std::integral_constant<unsigned, T>{}) && ...);
}
static_assert(usual_headers_agree(std::integer_sequence<unsigned, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                        11, 12, 13, 14>{}));

// The whole size of the packet at `in` when its fixed header is all among the `n` bytes and is
// a usual one, which every rule set accepts: then read_header() would succeed with this size.
// 0 otherwise (a short, unusual, over-long or refused non-minimal header), for read_header() to
// decide. A framer calls it for each packet that is still incomplete at the end of a read.
MQTTWIRE_ALWAYS_INLINE constexpr std::size_t usual_packet_size(const char* in, std::size_t n,
                                                               const options& opts) noexcept {
  if (n < 2) return 0;
  const unsigned first = u8(in[0]);
  std::uint32_t length = 0;
  std::size_t begin = 1;
  unsigned b = 0x80u;
  for (unsigned shift = 0; b >= 0x80u; shift += 7) {
    if (begin == n || begin == 5) return 0;
    b = u8(in[begin++]);
    length |= std::uint32_t{b & 0x7Fu} << shift;
  }
  if (b == 0 && begin > 2 && opts.reject_non_minimal_length) return 0;
  if (!header_is_usual(first, length)) return 0;
  return begin + length;
}

template <packet_type T, bool Controls, class Out>
MQTTWIRE_ALWAYS_INLINE inline decode_result fast_body(const char* in, const char* p,
                                                      const char* e, unsigned first,
                                                      protocol_version v, Out& out) noexcept {
  if constexpr (T == packet_type::connect) {
    return fast_connect<Controls>(in, p, e, out);
  } else if constexpr (T == packet_type::connack) {
    return fast_connack(in, p, e, v, out);
  } else if constexpr (T == packet_type::publish) {
    return fast_publish<Controls>(in, p, e, first, out);
  } else if constexpr (T == packet_type::subscribe) {
    return fast_filter_list<Controls, true>(in, p, e, out);
  } else if constexpr (T == packet_type::suback) {
    return fast_suback(in, p, e, v, out);
  } else if constexpr (T == packet_type::unsubscribe) {
    return fast_filter_list<Controls, false>(in, p, e, out);
  } else if constexpr (T == packet_type::pingreq || T == packet_type::pingresp ||
                       T == packet_type::disconnect) {
    using P = std::variant_alternative_t<static_cast<std::size_t>(T) - 1, packet>;
    put<P>(out, [](P&) {});
    return {errc::success, static_cast<std::size_t>(e - in)};
  } else {
    using P = std::variant_alternative_t<static_cast<std::size_t>(T) - 1, packet>;
    return fast_ack<P>(in, p, e, out);
  }
}

// Packets whose strings the fast path checks: their bodies come in two forms, for
// options::reject_control_characters off and on.
template <packet_type T>
inline constexpr bool has_strings = T == packet_type::connect || T == packet_type::publish ||
                                    T == packet_type::subscribe || T == packet_type::unsubscribe;

// One packet whose type nibble is T's, at run time.
template <packet_type T, class Out>
MQTTWIRE_NOINLINE decode_result decode_fast(const char* in, std::size_t n, Out& out,
                                            protocol_version v, const options& opts) noexcept {
  // Precondition: n >= 2 (the callers send shorter inputs to the exact form).
  const unsigned first = u8(in[0]);
  // The Remaining Length (spec reference §2.5). An incomplete, over-long or (when refused)
  // non-minimal field goes to the exact form, which checks the first byte first.
  std::uint32_t length = u8(in[1]);
  std::size_t begin = 2;
  if (length >= 0x80u) {
    length &= 0x7Fu;
    unsigned b = 0x80u;
    for (unsigned shift = 7; b >= 0x80u; shift += 7) {
      if (begin == n || begin == 5) return not_sure();
      b = u8(in[begin++]);
      length |= std::uint32_t{b & 0x7Fu} << shift;
    }
    if (b == 0 && opts.reject_non_minimal_length) return not_sure();
  }
  if (!header_is_usual<T>(first, length)) return not_sure();
  const std::size_t end = begin + length;
  if (n < end) return {errc::incomplete, n};
  if constexpr (has_strings<T>) {
    if (opts.reject_control_characters) [[unlikely]] {
      return fast_body<T, true>(in, in + begin, in + end, first, v, out);
    }
  }
  return fast_body<T, false>(in, in + begin, in + end, first, v, out);
}

using decode_fn = decode_result (*)(const char*, std::size_t, packet&, protocol_version,
                                    const options&) noexcept;
MQTTWIRE_COLD inline decode_result decode_reserved(const char*, std::size_t, packet&,
                                                  protocol_version, const options&) noexcept {
  return not_sure();
}
// decode_fast of each type nibble; the reserved types 0 and 15 get decode_exact's answer.
inline constexpr decode_fn decode_fast_by_type[16] = {
    decode_reserved,
    decode_fast<packet_type::connect, packet>,
    decode_fast<packet_type::connack, packet>,
    decode_fast<packet_type::publish, packet>,
    decode_fast<packet_type::puback, packet>,
    decode_fast<packet_type::pubrec, packet>,
    decode_fast<packet_type::pubrel, packet>,
    decode_fast<packet_type::pubcomp, packet>,
    decode_fast<packet_type::subscribe, packet>,
    decode_fast<packet_type::suback, packet>,
    decode_fast<packet_type::unsubscribe, packet>,
    decode_fast<packet_type::unsuback, packet>,
    decode_fast<packet_type::pingreq, packet>,
    decode_fast<packet_type::pingresp, packet>,
    decode_fast<packet_type::disconnect, packet>,
    decode_reserved,
};

}  // namespace detail

/// Decodes one packet from the front of `in` into `out`, which the caller owns: the fast entry
/// point, with exactly the checks, outcomes and offsets of decode() (which is built on it).
/// Returns {success, bytes the packet took} or {code, offset of the fault}; errc::incomplete
/// (offset in.size()) means a proper prefix of a packet: read more bytes and call again.
/// `out` is assigned only on success and is left as it was on failure. Its strings, payload and
/// lists are views into `in` and live as long as the bytes of `in` do.
MQTTWIRE_ALWAYS_INLINE constexpr decode_result decode_into(
    bytes_view in, packet& out, protocol_version v = protocol_version::v3_1_1,
    const options& opts = default_options) noexcept {
  // Fewer than two bytes, constant evaluation and whatever the fast form is not sure of: the
  // exact form.
  if (std::is_constant_evaluated() || in.size() < 2) {
    return detail::decode_exact(in.data(), in.size(), out, v, opts);
  }
  const decode_result r =
      detail::decode_fast_by_type[detail::u8(in[0]) >> 4](in.data(), in.size(), out, v, opts);
  if (r.ec != errc::success && r.ec == detail::not_sure_code) [[unlikely]] {
    return detail::decode_exact(in.data(), in.size(), out, v, opts);
  }
  return r;
}

/// The typed form, for a caller that knows which packet comes (a client awaiting a PUBACK, a
/// broker taking PUBLISHes): decodes into the struct itself, with no variant. When the type bits
/// of the first byte name another type, it returns errc::unexpected_packet_type at offset 0 and
/// reads nothing else; otherwise it gives exactly what decode_into(in, packet&) gives (empty
/// input: incomplete at 0). `out` is assigned only on success; views as for decode_into.
template <packet_struct P>
MQTTWIRE_ALWAYS_INLINE constexpr decode_result decode_into(bytes_view in, P& out,
                                    protocol_version v = protocol_version::v3_1_1,
                                    const options& opts = default_options) noexcept {
  if (in.empty()) return {errc::incomplete, 0};
  if (detail::u8(in[0]) >> 4 != static_cast<unsigned>(type_of_v<P>)) {
    return {errc::unexpected_packet_type, 0};
  }
  if (std::is_constant_evaluated() || in.size() < 2) {
    return detail::decode_exact(in.data(), in.size(), out, v, opts);
  }
  const decode_result r = detail::decode_fast<type_of_v<P>>(in.data(), in.size(), out, v, opts);
  if (r.ec != errc::success && r.ec == detail::not_sure_code) [[unlikely]] {
    return detail::decode_exact(in.data(), in.size(), out, v, opts);
  }
  return r;
}

/// Decodes one packet from the front of `in`. Bytes after it are left alone (`size` says where
/// the next packet starts). A proper prefix of a packet gives errc::incomplete, not an error:
/// read more bytes and call again; `peek_header` says how many the packet needs.
/// `v` picks the rules for every packet but CONNECT, which carries its own protocol name and
/// level. Everything is validated before anything is returned; strings, payloads and lists are
/// views into `in` and live as long as it does. On failure, error::offset is the index in `in`
/// where the fault was found; `connack_for(code)` says whether a server answers it with a CONNACK.
/// The convenient form of decode_into: the same outcome, returned as one value.
constexpr result<decoded> decode(bytes_view in, protocol_version v = protocol_version::v3_1_1,
                                 const options& opts = default_options) noexcept {
  // The placeholder's size is a run-time value on purpose: with constants only, g++ 12 folds
  // the constexpr constructors into one constant and zeroes all 144 bytes of the result first.
  result<decoded> r(std::in_place, std::in_place_type<disconnect>, in.size());
  decoded& value = *r;  // taken before the call, so the value's index is not checked again
  const decode_result d = decode_into(in, value.pkt, v, opts);
  if (d.ec == errc::success) {
    value.size = d.size;
  } else {
    r = error{d.ec, d.size};
  }
  return r;
}

}  // namespace mqttwire

#endif  // MQTTWIRE_DECODE_HPP
