// SPDX-License-Identifier: MIT
// mqttwire: decoding MQTT 3.1/3.1.1 control packets from bytes (no I/O, no allocation).
#ifndef MQTTWIRE_DECODE_HPP
#define MQTTWIRE_DECODE_HPP

#include "mqttwire/detail/utf8.hpp"
#include "mqttwire/detail/wire.hpp"
#include "mqttwire/error.hpp"
#include "mqttwire/options.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/topic.hpp"
#include "mqttwire/types.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
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
                                           const options& opts = {}) noexcept {
  if (in.empty()) return error{errc::incomplete, 0};
  const std::uint8_t first = detail::u8(in[0]);
  if (const errc e = detail::check_first_byte(first, v, opts); e != errc::success) {
    return error{e, 0};
  }
  const auto type = static_cast<packet_type>(first >> 4);
  const auto flags = static_cast<std::uint8_t>(first & 0x0Fu);
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (in.size() <= 1 + i) return error{errc::incomplete, in.size()};
    const std::uint8_t b = detail::u8(in[1 + i]);
    value |= std::uint32_t{b & 0x7Fu} << (7 * i);
    if ((b & 0x80u) == 0) {
      // A longer encoding than needed ends in a zero group (e.g. 80 00 for 0).
      if (opts.reject_non_minimal_length && i > 0 && b == 0) {
        return error{errc::non_minimal_remaining_length, 1};
      }
      if (const errc e = detail::check_length(type, flags, value, v, opts); e != errc::success) {
        return error{e, 1};
      }
      return frame_header{type, flags, value, static_cast<std::uint8_t>(2 + i)};
    }
  }
  // Both versions cap the field at four bytes, so a continuation bit here is already fatal.
  return error{errc::malformed_remaining_length, 4};
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
  friend constexpr bool operator==(const decoded&, const decoded&) = default;
};

namespace detail {

// Walks the body of one packet. Offsets stay relative to the caller's span so that errors say
// where in *their* buffer the fault is.
class body_reader {
 public:
  constexpr body_reader(bytes_view in, std::size_t begin, std::size_t end) noexcept
      : in_(in), pos_(begin), end_(end) {}

  constexpr std::size_t pos() const noexcept { return pos_; }
  constexpr std::size_t left() const noexcept { return end_ - pos_; }
  constexpr bool at_end() const noexcept { return pos_ == end_; }

  constexpr error read_u8(std::uint8_t& out) noexcept {
    if (left() < 1) return {errc::packet_too_short, pos_};
    out = u8(in_[pos_++]);
    return {};
  }
  constexpr error read_u16(std::uint16_t& out) noexcept {
    if (left() < 2) return {errc::packet_too_short, pos_};
    out = be16(in_[pos_], in_[pos_ + 1]);
    pos_ += 2;
    return {};
  }
  // A packet identifier, which is never 0 ([MQTT-2.3.1-1]; 3.1 §2.4; spec reference §2.6).
  constexpr error read_packet_id(std::uint16_t& out) noexcept {
    const std::size_t at = pos_;
    if (const error e = read_u16(out); e.code != errc::success) return e;
    if (out == 0) return {errc::packet_id_zero, at};
    return {};
  }
  // A length-prefixed field (string or binary). `start` receives the offset of its prefix.
  constexpr error read_prefixed(std::string_view& out, std::size_t& start) noexcept {
    start = pos_;
    std::uint16_t length = 0;
    if (const error e = read_u16(length); e.code != errc::success) return e;
    if (length > left()) return {errc::string_exceeds_packet, start};
    out = std::string_view(in_.data() + pos_, length);
    pos_ += length;
    return {};
  }
  // The rest of the packet (the PUBLISH payload).
  constexpr std::string_view rest() noexcept {
    const std::string_view r(in_.data() + pos_, left());
    pos_ = end_;
    return r;
  }
  constexpr std::string_view bytes_between(std::size_t from, std::size_t to) const noexcept {
    return std::string_view(in_.data() + from, to - from);
  }
  constexpr error expect_end() const noexcept {
    if (!at_end()) return {errc::trailing_bytes, pos_};
    return {};
  }

 private:
  bytes_view in_;
  std::size_t pos_;
  std::size_t end_;
};

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
constexpr bool over_3_1_topic_limit(std::string_view topic, protocol_version v,
                                    const options& opts) noexcept {
  return v == protocol_version::v3_1 && opts.strict_3_1 && topic.size() > 32'767;
}

constexpr error check_topic_name(std::string_view topic, std::size_t prefix_offset,
                                 protocol_version v, const options& opts) noexcept {
  if (const error e = validate_topic_name(topic, opts); e.code != errc::success) {
    return at_field(e, prefix_offset);
  }
  if (over_3_1_topic_limit(topic, v, opts)) return {errc::topic_too_long, prefix_offset};
  return {};
}

constexpr error check_topic_filter(std::string_view filter, std::size_t prefix_offset,
                                   protocol_version v, const options& opts) noexcept {
  if (const error e = validate_topic_filter(filter, opts); e.code != errc::success) {
    return at_field(e, prefix_offset);
  }
  if (over_3_1_topic_limit(filter, v, opts)) return {errc::topic_too_long, prefix_offset};
  return {};
}

// DUP of PUBREL/SUBSCRIBE/UNSUBSCRIBE: meaningful in 3.1 only (3.1.1 requires flags 0010).
constexpr bool dup_of(std::uint8_t flags, protocol_version v) noexcept {
  return v == protocol_version::v3_1 && (flags & 0x08u) != 0;
}

// Each decode_* returns the final result<decoded>, with the packet struct constructed in place
// inside it (`done(p, size)`), so nothing is copied on the way out but the struct's own fields.
// Building a `packet` or a `decoded` first and converting it costs a copy of the largest
// alternative (about 140 bytes) at each step: more than PUBACK's whole parse. `size` is the
// whole packet's size (decoded::size).
template <class P>
constexpr result<decoded> done(const P& p, std::size_t size) noexcept {
  return result<decoded>(std::in_place, p, size);
}

template <class P>
constexpr result<decoded> decode_ack(body_reader& r, std::size_t size, bool dup = false) noexcept {
  P p{};
  if (const error e = r.read_packet_id(p.packet_id); e.code != errc::success) return e;
  if (const error e = r.expect_end(); e.code != errc::success) return e;
  if constexpr (requires { p.dup; }) p.dup = dup;
  return done(p, size);
}

template <class P>
constexpr result<decoded> decode_empty(const body_reader& r, std::size_t size) noexcept {
  if (const error e = r.expect_end(); e.code != errc::success) return e;
  return done(P{}, size);
}

constexpr result<decoded> decode_connect(body_reader& r, std::uint8_t fixed_flags,
                                         const options& opts, std::size_t size) noexcept {
  connect c{};
  std::string_view name;
  std::size_t at = 0;
  if (const error e = r.read_prefixed(name, at); e.code != errc::success) return e;
  protocol_version v;
  if (name == "MQTT") {
    v = protocol_version::v3_1_1;
  } else if (name == "MQIsdp") {
    v = protocol_version::v3_1;
  } else {
    return error{errc::invalid_protocol_name, at};
  }
  const std::size_t level_at = r.pos();
  std::uint8_t level = 0;
  if (const error e = r.read_u8(level); e.code != errc::success) return e;
  // Only (MQTT, 4) and (MQIsdp, 3) exist; any other level is answered with CONNACK 1.
  if (level != static_cast<std::uint8_t>(v)) return error{errc::unsupported_protocol_level, level_at};
  c.protocol = v;
  // The version is known only now: 3.1.1 requires flags 0000 ([MQTT-2.2.2-2]).
  if (!flags_allowed(packet_type::connect, fixed_flags, v, opts)) {
    return error{errc::invalid_fixed_header_flags, 0};
  }

  const std::size_t flags_at = r.pos();
  std::uint8_t flags = 0;
  if (const error e = r.read_u8(flags); e.code != errc::success) return e;
  const bool v311 = v == protocol_version::v3_1_1;
  const bool has_username = (flags & 0x80u) != 0;
  const bool has_password = (flags & 0x40u) != 0;
  const bool will_retain = (flags & 0x20u) != 0;
  const unsigned will_qos = (flags >> 3) & 0x03u;
  const bool has_will = (flags & 0x04u) != 0;
  c.clean_session = (flags & 0x02u) != 0;
  if (v311 && (flags & 0x01u) != 0) return error{errc::reserved_connect_flag, flags_at};
  if (has_will) {
    if (will_qos == 3) return error{errc::invalid_will_qos, flags_at};
  } else if (v311) {  // 3.1 disregards Will QoS and Will Retain without a will
    if (will_qos != 0) return error{errc::will_qos_without_will, flags_at};
    if (will_retain) return error{errc::will_retain_without_will, flags_at};
  }
  if (has_password && !has_username) return error{errc::password_without_username, flags_at};

  if (const error e = r.read_u16(c.keep_alive); e.code != errc::success) return e;

  if (r.at_end()) return error{errc::missing_client_id, r.pos()};
  if (const error e = r.read_prefixed(c.client_id, at); e.code != errc::success) return e;
  if (const error e = check_string(c.client_id, at, opts); e.code != errc::success) return e;

  if (has_will) {
    last_will w{};
    w.qos = static_cast<qos_level>(will_qos);
    w.retain = will_retain;
    if (r.at_end()) return error{errc::missing_will, r.pos()};
    if (const error e = r.read_prefixed(w.topic, at); e.code != errc::success) return e;
    if (const error e = check_topic_name(w.topic, at, v, opts); e.code != errc::success) return e;
    if (r.at_end()) return error{errc::missing_will, r.pos()};
    if (const error e = r.read_prefixed(w.payload, at); e.code != errc::success) return e;
    c.will = w;
  }
  // 3.1 §3.1: "the Remaining Length takes precedence": a flagged field the packet ends before
  // counts as absent. 3.1.1 requires it ([MQTT-3.1.2-19], [MQTT-3.1.2-21]).
  if (has_username) {
    if (r.at_end()) {
      if (v311) return error{errc::missing_username, r.pos()};
    } else {
      std::string_view user;
      if (const error e = r.read_prefixed(user, at); e.code != errc::success) return e;
      if (const error e = check_string(user, at, opts); e.code != errc::success) return e;
      c.username = user;
    }
  }
  if (has_password) {
    if (r.at_end()) {
      if (v311) return error{errc::missing_password, r.pos()};
    } else {
      std::string_view pass;
      if (const error e = r.read_prefixed(pass, at); e.code != errc::success) return e;
      c.password = pass;
    }
  }
  // [MQTT-3.1.4-1]: the CONNECT must be exactly its fields (3.1 is silent; mosquitto agrees).
  if (const error e = r.expect_end(); e.code != errc::success) return e;
  return done(c, size);
}

constexpr result<decoded> decode_connack(body_reader& r, protocol_version v,
                                         const options& opts, std::size_t size) noexcept {
  const std::size_t flags_at = r.pos();
  std::uint8_t ack_flags = 0, code = 0;
  if (const error e = r.read_u8(ack_flags); e.code != errc::success) return e;
  const std::size_t code_at = r.pos();
  if (const error e = r.read_u8(code); e.code != errc::success) return e;
  connack c{};
  if (v == protocol_version::v3_1_1) {  // 3.1 ignores byte 1 ("topic name compression response")
    // Sender MUSTs, so [MQTT-4.8.0-1] makes the receiver close unless told to tolerate them.
    if (!opts.tolerate_connack_reserved_flags && (ack_flags & 0xFEu) != 0) {
      return error{errc::connack_reserved_flags, flags_at};
    }
    c.session_present = (ack_flags & 0x01u) != 0;
  }
  if (code > 5) return error{errc::invalid_connack_return_code, code_at};
  if (!opts.tolerate_session_present_with_error && c.session_present && code != 0) {
    return error{errc::session_present_with_error, flags_at};
  }
  c.return_code = static_cast<connect_return_code>(code);
  if (const error e = r.expect_end(); e.code != errc::success) return e;
  return done(c, size);
}

constexpr result<decoded> decode_publish(body_reader& r, std::uint8_t flags, protocol_version v,
                                         const options& opts, std::size_t size) noexcept {
  publish p{};
  // peek_header has checked the QoS and DUP bits.
  const unsigned qos = (flags >> 1) & 0x03u;
  p.qos = static_cast<qos_level>(qos);
  p.dup = (flags & 0x08u) != 0;
  p.retain = (flags & 0x01u) != 0;
  std::size_t at = 0;
  if (const error e = r.read_prefixed(p.topic, at); e.code != errc::success) return e;
  if (const error e = check_topic_name(p.topic, at, v, opts); e.code != errc::success) return e;
  if (qos != 0) {
    std::uint16_t id = 0;
    if (const error e = r.read_packet_id(id); e.code != errc::success) return e;
    p.packet_id = id;
  }
  p.payload = r.rest();
  return done(p, size);
}

constexpr result<decoded> decode_subscribe(body_reader& r, std::uint8_t flags, protocol_version v,
                                           const options& opts, std::size_t size) noexcept {
  subscribe s{};
  s.dup = dup_of(flags, v);
  if (const error e = r.read_packet_id(s.packet_id); e.code != errc::success) return e;
  const std::size_t list_at = r.pos();
  const bool strict = v == protocol_version::v3_1_1 || opts.strict_3_1;
  while (!r.at_end()) {
    std::string_view filter;
    std::size_t at = 0;
    if (const error e = r.read_prefixed(filter, at); e.code != errc::success) return e;
    if (const error e = check_topic_filter(filter, at, v, opts); e.code != errc::success) return e;
    const std::size_t qos_at = r.pos();
    std::uint8_t requested = 0;
    if (const error e = r.read_u8(requested); e.code != errc::success) return e;
    // [MQTT-3-8.3-4]: bits 7-2 are reserved; 3.1 calls them "not used" and sets no rule.
    if (strict && (requested & 0xFCu) != 0) return error{errc::requested_qos_reserved_bits, qos_at};
    if ((requested & 0x03u) == 3) return error{errc::invalid_requested_qos, qos_at};
  }
  // [MQTT-3.8.3-3]; 3.1 does not say, and mosquitto accepts an empty list from a 3.1 client.
  if (strict && r.pos() == list_at) return error{errc::empty_subscription_list, list_at};
  s.subscriptions = wire_list<subscription>::from_wire(r.bytes_between(list_at, r.pos()));
  return done(s, size);
}

constexpr result<decoded> decode_suback(body_reader& r, protocol_version v,
                                        std::size_t size) noexcept {
  suback s{};
  if (const error e = r.read_packet_id(s.packet_id); e.code != errc::success) return e;
  const std::size_t list_at = r.pos();
  if (r.at_end()) return error{errc::empty_return_code_list, list_at};
  while (!r.at_end()) {
    const std::size_t at = r.pos();
    std::uint8_t code = 0;
    if (const error e = r.read_u8(code); e.code != errc::success) return e;
    const bool granted = code <= 2;
    const bool failure = code == suback_code::failure && v == protocol_version::v3_1_1;
    if (!granted && !failure) return error{errc::invalid_suback_return_code, at};
  }
  s.return_codes = wire_list<std::uint8_t>::from_wire(r.bytes_between(list_at, r.pos()));
  return done(s, size);
}

constexpr result<decoded> decode_unsubscribe(body_reader& r, std::uint8_t flags,
                                             protocol_version v, const options& opts,
                                             std::size_t size) noexcept {
  unsubscribe u{};
  u.dup = dup_of(flags, v);
  if (const error e = r.read_packet_id(u.packet_id); e.code != errc::success) return e;
  const std::size_t list_at = r.pos();
  while (!r.at_end()) {
    std::string_view filter;
    std::size_t at = 0;
    if (const error e = r.read_prefixed(filter, at); e.code != errc::success) return e;
    if (const error e = check_topic_filter(filter, at, v, opts); e.code != errc::success) return e;
  }
  // [MQTT-3.10.3-2]; as for SUBSCRIBE, 3.1 is silent and tolerated unless strict.
  const bool strict = v == protocol_version::v3_1_1 || opts.strict_3_1;
  if (strict && r.pos() == list_at) return error{errc::empty_unsubscribe_list, list_at};
  u.topic_filters = wire_list<std::string_view>::from_wire(r.bytes_between(list_at, r.pos()));
  return done(u, size);
}

// Precondition: peek_header accepted `h` (its flags and length are possible for the type).
constexpr result<decoded> decode_body(const frame_header& h, body_reader& r, protocol_version v,
                                     const options& opts) noexcept {
  const std::size_t size = h.size();
  switch (h.type) {
    case packet_type::connect: return decode_connect(r, h.flags, opts, size);
    case packet_type::connack: return decode_connack(r, v, opts, size);
    case packet_type::publish: return decode_publish(r, h.flags, v, opts, size);
    case packet_type::puback: return decode_ack<puback>(r, size);
    case packet_type::pubrec: return decode_ack<pubrec>(r, size);
    case packet_type::pubrel: return decode_ack<pubrel>(r, size, dup_of(h.flags, v));
    case packet_type::pubcomp: return decode_ack<pubcomp>(r, size);
    case packet_type::subscribe: return decode_subscribe(r, h.flags, v, opts, size);
    case packet_type::suback: return decode_suback(r, v, size);
    case packet_type::unsubscribe: return decode_unsubscribe(r, h.flags, v, opts, size);
    case packet_type::unsuback: return decode_ack<unsuback>(r, size);
    case packet_type::pingreq: return decode_empty<pingreq>(r, size);
    case packet_type::pingresp: return decode_empty<pingresp>(r, size);
    case packet_type::disconnect: return decode_empty<disconnect>(r, size);
  }
  return error{errc::reserved_packet_type, 0};  // unreachable: peek_header rejects 0 and 15
}

}  // namespace detail

/// Decodes one packet from the front of `in`. Bytes after it are left alone (`size` says where
/// the next packet starts). A proper prefix of a packet gives errc::incomplete, not an error:
/// read more bytes and call again; `peek_header` says how many the packet needs.
/// `v` picks the rules for every packet but CONNECT, which carries its own protocol name and
/// level. Everything is validated before anything is returned; strings, payloads and lists are
/// views into `in` and live as long as it does. On failure, error::offset is the index in `in`
/// where the fault was found; `connack_for(code)` says whether a server answers it with a CONNACK.
constexpr result<decoded> decode(bytes_view in, protocol_version v = protocol_version::v3_1_1,
                                 const options& opts = {}) noexcept {
  const result<frame_header> header = peek_header(in, v, opts);
  if (!header) return header.error();
  const frame_header& h = *header;
  if (in.size() < h.size()) return error{errc::incomplete, in.size()};
  detail::body_reader reader(in, h.header_size, h.size());
  return detail::decode_body(h, reader, v, opts);
}

}  // namespace mqttwire

#endif  // MQTTWIRE_DECODE_HPP
