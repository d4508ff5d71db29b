// SPDX-License-Identifier: MIT
// mqttwire: encoding MQTT 3.1/3.1.1 control packets: validate, size, then write (no I/O).
#ifndef MQTTWIRE_ENCODE_HPP
#define MQTTWIRE_ENCODE_HPP

#include "mqttwire/detail/utf8.hpp"
#include "mqttwire/detail/wire.hpp"
#include "mqttwire/error.hpp"
#include "mqttwire/options.hpp"
#include "mqttwire/packets.hpp"
#include "mqttwire/topic.hpp"
#include "mqttwire/types.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>
#include <variant>

namespace mqttwire {

namespace detail {

constexpr errc check_encoded_string(std::string_view s, const options& opts) noexcept {
  if (s.size() > max_string_length) return errc::string_too_long;
  return check_utf8(s, opts.reject_control_characters).code;
}
constexpr errc check_binary(std::string_view s) noexcept {
  return s.size() > max_string_length ? errc::string_too_long : errc::success;
}
constexpr errc check_encoded_topic_name(std::string_view topic, protocol_version v,
                                        const options& opts) noexcept {
  if (const error e = validate_topic_name(topic, opts); e.code != errc::success) return e.code;
  if (v == protocol_version::v3_1 && opts.strict_3_1 && topic.size() > 32'767) {
    return errc::topic_too_long;
  }
  return errc::success;
}
constexpr errc check_encoded_topic_filter(std::string_view filter, protocol_version v,
                                          const options& opts) noexcept {
  if (const error e = validate_topic_filter(filter, opts); e.code != errc::success) return e.code;
  if (v == protocol_version::v3_1 && opts.strict_3_1 && filter.size() > 32'767) {
    return errc::topic_too_long;
  }
  return errc::success;
}
constexpr bool valid_qos(qos_level q) noexcept { return static_cast<unsigned>(q) <= 2; }

// DUP on PUBREL/SUBSCRIBE/UNSUBSCRIBE marks a 3.1 retransmission; 3.1.1 fixes the flags at 0010.
constexpr errc check_dup(bool dup, protocol_version v) noexcept {
  return dup && v == protocol_version::v3_1_1 ? errc::dup_not_allowed : errc::success;
}

// ---- Remaining Length of each packet (precondition: the packet validated) ----

constexpr std::size_t body_size(const connect& c) noexcept {
  std::size_t n = (c.protocol == protocol_version::v3_1 ? 12 : 10) + 2 + c.client_id.size();
  if (c.will) n += 4 + c.will->topic.size() + c.will->payload.size();
  if (c.username) n += 2 + c.username->size();
  if (c.password) n += 2 + c.password->size();
  return n;
}
constexpr std::size_t body_size(const connack&) noexcept { return 2; }
constexpr std::size_t body_size(const publish& p) noexcept {
  return 2 + p.topic.size() + (p.qos != qos_level::at_most_once ? 2 : 0) + p.payload.size();
}
template <class Ack>
  requires requires(const Ack& a) { a.packet_id; }
constexpr std::size_t body_size(const Ack&) noexcept {
  return 2;
}
// List packets: sizes saturate so that an absurd caller list cannot wrap around.
constexpr std::size_t saturating_add(std::size_t a, std::size_t b) noexcept {
  return a > static_cast<std::size_t>(-1) - b ? static_cast<std::size_t>(-1) : a + b;
}
constexpr std::size_t body_size(const subscribe& s) noexcept {
  std::size_t n = 2;
  for (const subscription sub : s.subscriptions) n = saturating_add(n, 3 + sub.topic_filter.size());
  return n;
}
constexpr std::size_t body_size(const suback& s) noexcept {
  return saturating_add(2, s.return_codes.size());
}
constexpr std::size_t body_size(const unsubscribe& u) noexcept {
  std::size_t n = 2;
  for (const std::string_view filter : u.topic_filters) n = saturating_add(n, 2 + filter.size());
  return n;
}
constexpr std::size_t body_size(const pingreq&) noexcept { return 0; }
constexpr std::size_t body_size(const pingresp&) noexcept { return 0; }
constexpr std::size_t body_size(const disconnect&) noexcept { return 0; }

constexpr errc check_body_size(std::size_t n) noexcept {
  return n > max_remaining_length ? errc::packet_too_large : errc::success;
}

// Bytes of the whole packet. Precondition: the packet validated (so the body fits a varint).
template <class P>
constexpr std::size_t packet_size(const P& p) noexcept {
  const std::size_t body = body_size(p);
  return 1 + varint_size(body) + body;
}

// ---- validation of each packet, with the decoder's strictest rules ----

constexpr errc validate_packet(const connect& c, protocol_version, const options& opts) noexcept {
  // CONNECT names its own version; the connection's version does not apply to it.
  const protocol_version v = c.protocol;
  if (v != protocol_version::v3_1 && v != protocol_version::v3_1_1) {
    return errc::unsupported_protocol_level;
  }
  if (const errc e = check_encoded_string(c.client_id, opts); e != errc::success) return e;
  if (c.will) {
    if (const errc e = check_encoded_topic_name(c.will->topic, v, opts); e != errc::success) return e;
    if (const errc e = check_binary(c.will->payload); e != errc::success) return e;
    if (!valid_qos(c.will->qos)) return errc::invalid_will_qos;
  }
  if (c.username) {
    if (const errc e = check_encoded_string(*c.username, opts); e != errc::success) return e;
  }
  if (c.password) {
    if (!c.username) return errc::password_without_username;  // [MQTT-3.1.2-22]
    if (const errc e = check_binary(*c.password); e != errc::success) return e;
  }
  return errc::success;
}

constexpr errc validate_packet(const connack& c, protocol_version v, const options&) noexcept {
  // Reachable only through a cast: the enumerators are exactly the codes 0..5.
  if (static_cast<unsigned>(c.return_code) > 5) return errc::invalid_connack_return_code;
  if (c.session_present) {
    if (v == protocol_version::v3_1) return errc::session_present_in_3_1;
    if (c.return_code != connect_return_code::accepted) return errc::session_present_with_error;  // [MQTT-3.2.2-4]
  }
  return errc::success;
}

constexpr errc validate_packet(const publish& p, protocol_version v, const options& opts) noexcept {
  if (!valid_qos(p.qos)) return errc::invalid_qos;
  const bool qos0 = p.qos == qos_level::at_most_once;
  if (qos0 && p.dup) return errc::dup_with_qos0;              // [MQTT-3.3.1-2]
  if (qos0 && p.packet_id) return errc::packet_id_with_qos0;  // [MQTT-2.3.1-5]
  if (!qos0 && !p.packet_id) return errc::missing_packet_id;  // [MQTT-2.3.1-1]
  if (!qos0 && *p.packet_id == 0) return errc::packet_id_zero;
  if (const errc e = check_encoded_topic_name(p.topic, v, opts); e != errc::success) return e;
  return check_body_size(body_size(p));
}

template <class Ack>
  requires(std::same_as<Ack, puback> || std::same_as<Ack, pubrec> || std::same_as<Ack, pubcomp> ||
           std::same_as<Ack, unsuback>)
constexpr errc validate_packet(const Ack& a, protocol_version, const options&) noexcept {
  return a.packet_id == 0 ? errc::packet_id_zero : errc::success;
}

constexpr errc validate_packet(const pubrel& p, protocol_version v, const options&) noexcept {
  if (p.packet_id == 0) return errc::packet_id_zero;
  return check_dup(p.dup, v);
}

constexpr errc validate_packet(const subscribe& s, protocol_version v, const options& opts) noexcept {
  if (s.packet_id == 0) return errc::packet_id_zero;
  if (const errc e = check_dup(s.dup, v); e != errc::success) return e;
  // The encoder holds 3.1 to the 3.1.1 rule too: an empty list is never useful to send.
  if (s.subscriptions.empty()) return errc::empty_subscription_list;
  for (const subscription sub : s.subscriptions) {
    if (const errc e = check_encoded_topic_filter(sub.topic_filter, v, opts); e != errc::success) {
      return e;
    }
    if (!valid_qos(sub.qos)) return errc::invalid_requested_qos;
  }
  return check_body_size(body_size(s));
}

constexpr errc validate_packet(const suback& s, protocol_version v, const options&) noexcept {
  if (s.packet_id == 0) return errc::packet_id_zero;
  if (s.return_codes.empty()) return errc::empty_return_code_list;
  for (const std::uint8_t code : s.return_codes) {
    const bool failure = code == suback_code::failure && v == protocol_version::v3_1_1;
    if (code > 2 && !failure) return errc::invalid_suback_return_code;
  }
  return check_body_size(body_size(s));
}

constexpr errc validate_packet(const unsubscribe& u, protocol_version v,
                               const options& opts) noexcept {
  if (u.packet_id == 0) return errc::packet_id_zero;
  if (const errc e = check_dup(u.dup, v); e != errc::success) return e;
  if (u.topic_filters.empty()) return errc::empty_unsubscribe_list;
  for (const std::string_view filter : u.topic_filters) {
    if (const errc e = check_encoded_topic_filter(filter, v, opts); e != errc::success) return e;
  }
  return check_body_size(body_size(u));
}

template <class Empty>
  requires(std::same_as<Empty, pingreq> || std::same_as<Empty, pingresp> ||
           std::same_as<Empty, disconnect>)
constexpr errc validate_packet(const Empty&, protocol_version, const options&) noexcept {
  return errc::success;
}

// ---- writers ----

// Writes into a span the caller sized with encoded_size (constexpr: no memcpy).
struct span_sink {
  char* out;
  constexpr void byte(unsigned value) noexcept { *out++ = ch(value); }
  constexpr void bytes(std::string_view s) noexcept { out = std::copy(s.begin(), s.end(), out); }
};

template <class Out>
struct iterator_sink {
  Out out;
  constexpr void byte(unsigned value) {
    *out = ch(value);
    ++out;
  }
  constexpr void bytes(std::string_view s) { out = std::copy(s.begin(), s.end(), std::move(out)); }
};

template <class Sink>
constexpr void put_u16(Sink& sink, std::uint16_t value) {
  sink.byte(value >> 8);
  sink.byte(value);
}
template <class Sink>
constexpr void put_prefixed(Sink& sink, std::string_view s) {
  put_u16(sink, static_cast<std::uint16_t>(s.size()));
  sink.bytes(s);
}
// The shortest encoding only (spec reference §2.5, [lib]).
template <class Sink>
constexpr void put_fixed_header(Sink& sink, unsigned first_byte, std::size_t remaining) {
  sink.byte(first_byte);
  do {
    unsigned group = static_cast<unsigned>(remaining & 0x7Fu);
    remaining >>= 7;
    if (remaining != 0) group |= 0x80u;
    sink.byte(group);
  } while (remaining != 0);
}

template <class Sink>
constexpr void write_packet(Sink& sink, const connect& c, protocol_version) {
  put_fixed_header(sink, 0x10, body_size(c));
  if (c.protocol == protocol_version::v3_1) {
    put_prefixed(sink, "MQIsdp");
  } else {
    put_prefixed(sink, "MQTT");
  }
  sink.byte(static_cast<unsigned>(c.protocol));
  unsigned flags = c.clean_session ? 0x02u : 0u;
  if (c.will) {
    flags |= 0x04u | (static_cast<unsigned>(c.will->qos) << 3) | (c.will->retain ? 0x20u : 0u);
  }
  if (c.password) flags |= 0x40u;
  if (c.username) flags |= 0x80u;
  sink.byte(flags);
  put_u16(sink, c.keep_alive);
  put_prefixed(sink, c.client_id);
  if (c.will) {
    put_prefixed(sink, c.will->topic);
    put_prefixed(sink, c.will->payload);
  }
  if (c.username) put_prefixed(sink, *c.username);
  if (c.password) put_prefixed(sink, *c.password);
}

template <class Sink>
constexpr void write_packet(Sink& sink, const connack& c, protocol_version) {
  put_fixed_header(sink, 0x20, 2);
  sink.byte(c.session_present ? 1u : 0u);
  sink.byte(static_cast<unsigned>(c.return_code));
}

constexpr unsigned publish_first_byte(const publish& p) noexcept {
  return 0x30u | (p.dup ? 0x08u : 0u) | (static_cast<unsigned>(p.qos) << 1) | (p.retain ? 1u : 0u);
}

// Everything of a PUBLISH but its payload; the Remaining Length still counts the payload.
template <class Sink>
constexpr void write_publish_head(Sink& sink, const publish& p) {
  put_fixed_header(sink, publish_first_byte(p), body_size(p));
  put_prefixed(sink, p.topic);
  if (p.qos != qos_level::at_most_once) put_u16(sink, *p.packet_id);
}

template <class Sink>
constexpr void write_packet(Sink& sink, const publish& p, protocol_version) {
  write_publish_head(sink, p);
  sink.bytes(p.payload);
}

template <class Sink, class Ack>
  requires requires(const Ack& a) { a.packet_id; }
constexpr void write_id_only(Sink& sink, const Ack& a, unsigned first_byte) {
  put_fixed_header(sink, first_byte, 2);
  put_u16(sink, a.packet_id);
}
template <class Sink>
constexpr void write_packet(Sink& sink, const puback& a, protocol_version) {
  write_id_only(sink, a, 0x40);
}
template <class Sink>
constexpr void write_packet(Sink& sink, const pubrec& a, protocol_version) {
  write_id_only(sink, a, 0x50);
}
template <class Sink>
constexpr void write_packet(Sink& sink, const pubrel& a, protocol_version) {
  write_id_only(sink, a, a.dup ? 0x6Au : 0x62u);
}
template <class Sink>
constexpr void write_packet(Sink& sink, const pubcomp& a, protocol_version) {
  write_id_only(sink, a, 0x70);
}
template <class Sink>
constexpr void write_packet(Sink& sink, const unsuback& a, protocol_version) {
  write_id_only(sink, a, 0xB0);
}

template <class Sink>
constexpr void write_packet(Sink& sink, const subscribe& s, protocol_version) {
  put_fixed_header(sink, s.dup ? 0x8Au : 0x82u, body_size(s));
  put_u16(sink, s.packet_id);
  for (const subscription sub : s.subscriptions) {
    put_prefixed(sink, sub.topic_filter);
    sink.byte(static_cast<unsigned>(sub.qos));
  }
}

template <class Sink>
constexpr void write_packet(Sink& sink, const suback& s, protocol_version) {
  put_fixed_header(sink, 0x90, body_size(s));
  put_u16(sink, s.packet_id);
  for (const std::uint8_t code : s.return_codes) sink.byte(code);
}

template <class Sink>
constexpr void write_packet(Sink& sink, const unsubscribe& u, protocol_version) {
  put_fixed_header(sink, u.dup ? 0xAAu : 0xA2u, body_size(u));
  put_u16(sink, u.packet_id);
  for (const std::string_view filter : u.topic_filters) put_prefixed(sink, filter);
}

template <class Sink>
constexpr void write_packet(Sink& sink, const pingreq&, protocol_version) {
  put_fixed_header(sink, 0xC0, 0);
}
template <class Sink>
constexpr void write_packet(Sink& sink, const pingresp&, protocol_version) {
  put_fixed_header(sink, 0xD0, 0);
}
template <class Sink>
constexpr void write_packet(Sink& sink, const disconnect&, protocol_version) {
  put_fixed_header(sink, 0xE0, 0);
}

// Names the failing code in the compiler's message when encode_array gets an invalid packet.
template <errc Code>
struct packet_is_valid {
  static constexpr bool value = Code == errc::success;
};

}  // namespace detail

/// Checks that `p` can be encoded for protocol `v` under `opts`, with the rules the decoder
/// applies (including its optional strict ones, so that mqttwire never emits what it would
/// reject). CONNECT uses its own `protocol` field instead of `v`. Returns errc::success or the
/// first violation, e.g. packet_id_zero, string_too_long, wildcard_in_topic_name,
/// dup_with_qos0, missing_packet_id, packet_id_with_qos0, packet_too_large.
template <packet_struct P>
constexpr errc validate(const P& p, protocol_version v = protocol_version::v3_1_1,
                        const options& opts = default_options) noexcept {
  return detail::validate_packet(p, v, opts);
}
constexpr errc validate(const packet& p, protocol_version v = protocol_version::v3_1_1,
                        const options& opts = default_options) noexcept {
  return std::visit([&](const auto& alt) { return detail::validate_packet(alt, v, opts); }, p);
}

/// Exact number of bytes `encode(p, out, v, opts)` writes, or the error it would refuse `p` with
/// (validate()'s code, offset 0): size a buffer with `*encoded_size(p, v)`.
template <packet_struct P>
constexpr result<std::size_t> encoded_size(const P& p, protocol_version v = protocol_version::v3_1_1,
                                           const options& opts = default_options) noexcept {
  if (const errc e = validate(p, v, opts); e != errc::success) return error{e, 0};
  return detail::packet_size(p);
}
constexpr result<std::size_t> encoded_size(const packet& p,
                                           protocol_version v = protocol_version::v3_1_1,
                                           const options& opts = default_options) noexcept {
  return std::visit([&](const auto& alt) { return encoded_size(alt, v, opts); }, p);
}

/// Encodes `p` into `out`, all or nothing: on any error nothing is written. Returns the number
/// of bytes written, or an error (offset 0) with the validate() codes or buffer_too_small
/// (call encoded_size() to size the buffer).
template <packet_struct P>
constexpr result<std::size_t> encode(const P& p, std::span<char> out,
                                     protocol_version v = protocol_version::v3_1_1,
                                     const options& opts = default_options) noexcept {
  if (const errc e = validate(p, v, opts); e != errc::success) return error{e, 0};
  const std::size_t n = detail::packet_size(p);
  if (out.size() < n) return error{errc::buffer_too_small, 0};
  detail::span_sink sink{out.data()};
  detail::write_packet(sink, p, v);
  return n;
}
constexpr result<std::size_t> encode(const packet& p, std::span<char> out,
                                     protocol_version v = protocol_version::v3_1_1,
                                     const options& opts = default_options) noexcept {
  return std::visit([&](const auto& alt) { return encode(alt, out, v, opts); }, p);
}

/// Encodes `p` through an output iterator (e.g. std::back_inserter(vector)). Validates first,
/// so nothing is written on error; returns the iterator past the last byte and the code.
template <packet_struct P, std::output_iterator<char> Out>
constexpr encode_to_result<Out> encode_to(const P& p, Out out,
                                          protocol_version v = protocol_version::v3_1_1,
                                          const options& opts = default_options) {
  if (const errc e = validate(p, v, opts); e != errc::success) return {std::move(out), e};
  detail::iterator_sink<Out> sink{std::move(out)};
  detail::write_packet(sink, p, v);
  return {std::move(sink.out), errc::success};
}
template <std::output_iterator<char> Out>
constexpr encode_to_result<Out> encode_to(const packet& p, Out out,
                                          protocol_version v = protocol_version::v3_1_1,
                                          const options& opts = default_options) {
  return std::visit([&](const auto& alt) { return encode_to(alt, std::move(out), v, opts); }, p);
}

/// A compile-time wire constant: `static constexpr mqttwire::publish kHello{...};
/// constexpr auto bytes = mqttwire::encode_array<kHello>();` gives a std::array<char, N>.
/// An invalid packet is a compile error naming the failing errc.
template <const auto& P, protocol_version V = protocol_version::v3_1_1>
constexpr auto encode_array() noexcept {
  constexpr errc code = validate(P, V);
  static_assert(detail::packet_is_valid<code>::value,
                "mqttwire::encode_array: the packet is invalid; the errc is named in "
                "packet_is_valid<...> above (see mqttwire::validate)");
  constexpr std::size_t size = code == errc::success ? detail::packet_size(P) : 1;
  std::array<char, size> bytes{};
  if constexpr (code == errc::success) {
    const auto written = encode(P, std::span<char>(bytes), V);
    static_cast<void>(written);
  }
  return bytes;
}

/// Sizes of a PUBLISH encoded without its payload (see encode_publish_head).
struct publish_head {
  std::size_t head_size = 0;    ///< bytes written: fixed header, topic and packet id
  std::size_t packet_size = 0;  ///< bytes of the whole packet, payload included
  friend constexpr bool operator==(const publish_head&, const publish_head&) = default;
};

/// Scatter/gather encoding of a PUBLISH: writes everything but the payload into `out` (at most
/// 5 + 2 + 65,535 + 2 bytes), so the payload can be sent from where it lies (writev, Asio
/// buffer sequences) without a copy. Same validation and all-or-nothing rule as `encode`.
constexpr result<publish_head> encode_publish_head(const publish& p, std::span<char> out,
                                                   protocol_version v = protocol_version::v3_1_1,
                                                   const options& opts = default_options) noexcept {
  if (const errc e = validate(p, v, opts); e != errc::success) return error{e, 0};
  const std::size_t total = detail::packet_size(p);
  const std::size_t head = total - p.payload.size();
  if (out.size() < head) return error{errc::buffer_too_small, 0};
  detail::span_sink sink{out.data()};
  detail::write_publish_head(sink, p);
  return publish_head{head, total};
}

}  // namespace mqttwire

#endif  // MQTTWIRE_ENCODE_HPP
