// SPDX-License-Identifier: MIT
// mqttwire: encoding MQTT 3.1/3.1.1 control packets: validate, size, then write (no I/O).
#ifndef MQTTWIRE_ENCODE_HPP
#define MQTTWIRE_ENCODE_HPP

#include "mqttwire/detail/config.hpp"
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
#include <cstring>
#include <iterator>
#include <span>
#include <string_view>
#include <type_traits>
#include <variant>

namespace mqttwire {

namespace detail {

// ---- string checks: the vector ASCII test first, the exact scalar checks when it is not sure ----

// The exact checks, out of line: only text the vector test is not sure of comes here.
MQTTWIRE_NOINLINE constexpr errc exact_string(std::string_view s, const options& opts) noexcept {
  return check_utf8(s, opts.reject_control_characters).code;
}
MQTTWIRE_NOINLINE constexpr errc exact_topic_name(std::string_view s, const options& opts) noexcept {
  return validate_topic_name(s, opts).code;
}
MQTTWIRE_NOINLINE constexpr errc exact_topic_filter(std::string_view s,
                                                    const options& opts) noexcept {
  return validate_topic_filter(s, opts).code;
}

// Each check in two forms: Fast (run time only) takes what the vector test accepts and answers
// not_sure_code otherwise, so that the encoder starts again with the exact form (Fast false),
// which returns the exact code.
template <bool Fast>
MQTTWIRE_ALWAYS_INLINE constexpr errc check_encoded_string(std::string_view s,
                                                           const options& opts) noexcept {
  if (s.size() > max_string_length) return errc::string_too_long;
  bool ascii = !std::is_constant_evaluated() &&  // not const: see check_encoded_topic
                     ascii_fast_accept<ascii_rule::string>(s.data(), s.size(),
                                                           opts.reject_control_characters);
  if (ascii) return errc::success;
  return Fast ? not_sure_code : exact_string(s, opts);
}
MQTTWIRE_ALWAYS_INLINE constexpr errc check_binary(std::string_view s) noexcept {
  return s.size() > max_string_length ? errc::string_too_long : errc::success;
}
// MQTT 3.1 §2.2 gives 32,767 characters as the topic limit; only the strict 3.1 mode holds to it.
MQTTWIRE_ALWAYS_INLINE constexpr bool over_3_1_limit(std::size_t size, protocol_version v,
                                                     const options& opts) noexcept {
  return size > 32'767 && v == protocol_version::v3_1 && opts.strict_3_1;
}
template <bool Fast, ascii_rule Rule>
MQTTWIRE_ALWAYS_INLINE constexpr errc check_encoded_topic(std::string_view topic,
                                                          protocol_version v,
                                                          const options& opts) noexcept {
  // validate_topic_name's and validate_topic_filter's order: empty, too long, then the text;
  // the vector test refuses empty topics, so they too take the exact path. (The vector test
  // never goes into a `const bool`: the initializer of a const integral local is manifestly
  // constant-evaluated, so is_constant_evaluated() is true in it even at run time.)
  if constexpr (Fast) {
    // Over 32,767 bytes (the strict 3.1 limit, and string_too_long) is left to the exact form.
    static_cast<void>(v);
    bool ascii =
        topic.size() <= 32'767 &&
        ascii_fast_accept<Rule>(topic.data(), topic.size(), opts.reject_control_characters);
    return ascii ? errc::success : not_sure_code;
  } else {
    const errc e = Rule == ascii_rule::topic_name ? exact_topic_name(topic, opts)
                                                  : exact_topic_filter(topic, opts);
    if (e != errc::success) return e;
    return over_3_1_limit(topic.size(), v, opts) ? errc::topic_too_long : errc::success;
  }
}
template <bool Fast>
MQTTWIRE_ALWAYS_INLINE constexpr errc check_encoded_topic_name(std::string_view topic,
                                                               protocol_version v,
                                                               const options& opts) noexcept {
  return check_encoded_topic<Fast, ascii_rule::topic_name>(topic, v, opts);
}
template <bool Fast>
MQTTWIRE_ALWAYS_INLINE constexpr errc check_encoded_topic_filter(std::string_view filter,
                                                                 protocol_version v,
                                                                 const options& opts) noexcept {
  return check_encoded_topic<Fast, ascii_rule::topic_filter>(filter, v, opts);
}
constexpr bool valid_qos(qos_level q) noexcept { return static_cast<unsigned>(q) <= 2; }

// DUP on PUBREL/SUBSCRIBE/UNSUBSCRIBE marks a 3.1 retransmission; 3.1.1 fixes the flags at 0010.
constexpr errc check_dup(bool dup, protocol_version v) noexcept {
  return dup && v == protocol_version::v3_1_1 ? errc::dup_not_allowed : errc::success;
}

// ---- one pass per packet: validation with the decoder's strictest rules, and the body size ----

// The outcome of checked_body: the first violation, or success and the Remaining Length.
struct body_check {
  errc ec = errc::success;
  std::size_t body = 0;
};

// List packets: sizes saturate so that an absurd caller list cannot wrap around.
constexpr std::size_t saturating_add(std::size_t a, std::size_t b) noexcept {
  return a > static_cast<std::size_t>(-1) - b ? static_cast<std::size_t>(-1) : a + b;
}
constexpr body_check sized(std::size_t body) noexcept {
  if (body > max_remaining_length) return {errc::packet_too_large, 0};
  return {errc::success, body};
}

// CONNECT in the fast form: what is valid under every option set but reject_control_characters
// (Controls), or not sure.
template <bool Controls>
MQTTWIRE_ALWAYS_INLINE inline body_check connect_fast(const connect& c) noexcept {
  const protocol_version v = c.protocol;
  if (v != protocol_version::v3_1 && v != protocol_version::v3_1_1) return {not_sure_code, 0};
  // Every field must have at most 32,767 bytes (which also keeps the will topic within the
  // strict 3.1 limit): the sizes are OR-ed and compared once at the end, since an OR is at most
  // 2^15 - 1 exactly when each operand is.
  std::size_t sizes = c.client_id.size();
  ascii_batch<Controls> batch =
      ascii_batch<Controls>::template of<ascii_rule::string>(c.client_id.data(), c.client_id.size());
  std::size_t n = (v == protocol_version::v3_1 ? 12 : 10) + 2 + c.client_id.size();
  if (c.will) {
    const last_will& w = *c.will;
    if (w.topic.empty() || !valid_qos(w.qos)) return {not_sure_code, 0};
    sizes |= w.topic.size() | w.payload.size();
    batch.template add<ascii_rule::topic_name>(w.topic.data(), w.topic.size());
    n += 4 + w.topic.size() + w.payload.size();
  }
  if (c.username) {
    sizes |= c.username->size();
    batch.template add<ascii_rule::string>(c.username->data(), c.username->size());
    n += 2 + c.username->size();
  }
  if (c.password) {
    if (!c.username) return {not_sure_code, 0};
    sizes |= c.password->size();
    n += 2 + c.password->size();
  }
  if (sizes > 32'767 || !batch.ok()) return {not_sure_code, 0};
  return {errc::success, n};
}

template <bool Fast>
MQTTWIRE_ALWAYS_INLINE constexpr body_check checked_body(const connect& c, protocol_version,
                                                         const options& opts) noexcept {
  if constexpr (Fast) {
    // Every fault is "not sure" here; the three strings go through one vector test.
    if (opts.reject_control_characters) return connect_fast<true>(c);
    return connect_fast<false>(c);
  }
  // CONNECT names its own version; the connection's version does not apply to it.
  const protocol_version v = c.protocol;
  if (v != protocol_version::v3_1 && v != protocol_version::v3_1_1) {
    return {errc::unsupported_protocol_level, 0};
  }
  if (const errc e = check_encoded_string<false>(c.client_id, opts); e != errc::success) {
    return {e, 0};
  }
  std::size_t n = (v == protocol_version::v3_1 ? 12 : 10) + 2 + c.client_id.size();
  if (c.will) {
    if (const errc e = check_encoded_topic_name<false>(c.will->topic, v, opts);
        e != errc::success) {
      return {e, 0};
    }
    if (const errc e = check_binary(c.will->payload); e != errc::success) return {e, 0};
    if (!valid_qos(c.will->qos)) return {errc::invalid_will_qos, 0};
    n += 4 + c.will->topic.size() + c.will->payload.size();
  }
  if (c.username) {
    if (const errc e = check_encoded_string<false>(*c.username, opts); e != errc::success) {
      return {e, 0};
    }
    n += 2 + c.username->size();
  }
  if (c.password) {
    if (!c.username) return {errc::password_without_username, 0};  // [MQTT-3.1.2-22]
    if (const errc e = check_binary(*c.password); e != errc::success) return {e, 0};
    n += 2 + c.password->size();
  }
  return {errc::success, n};  // at most 12 + 6 * (2 + 65,535) bytes: always fits
}

template <bool Fast>
MQTTWIRE_ALWAYS_INLINE constexpr body_check checked_body(const connack& c, protocol_version v, const options&) noexcept {
  // Reachable only through a cast: the enumerators are exactly the codes 0..5.
  if (static_cast<unsigned>(c.return_code) > 5) return {errc::invalid_connack_return_code, 0};
  if (c.session_present) {
    if (v == protocol_version::v3_1) return {errc::session_present_in_3_1, 0};
    if (c.return_code != connect_return_code::accepted) {
      return {errc::session_present_with_error, 0};  // [MQTT-3.2.2-4]
    }
  }
  return {errc::success, 2};
}

template <bool Fast>
MQTTWIRE_ALWAYS_INLINE constexpr body_check checked_body(const publish& p, protocol_version v,
                                                         const options& opts) noexcept {
  if (!valid_qos(p.qos)) return {errc::invalid_qos, 0};
  const bool qos0 = p.qos == qos_level::at_most_once;
  if (qos0 && p.dup) return {errc::dup_with_qos0, 0};              // [MQTT-3.3.1-2]
  if (qos0 && p.packet_id) return {errc::packet_id_with_qos0, 0};  // [MQTT-2.3.1-5]
  if (!qos0 && !p.packet_id) return {errc::missing_packet_id, 0};  // [MQTT-2.3.1-1]
  if (!qos0 && *p.packet_id == 0) return {errc::packet_id_zero, 0};
  if (const errc e = check_encoded_topic_name<Fast>(p.topic, v, opts); e != errc::success) return {e, 0};
  // The topic is at most 65,535 bytes and a view's size below 2^63: the sum cannot wrap.
  return sized(2 + p.topic.size() + (qos0 ? 0 : 2) + p.payload.size());
}

template <bool Fast, class Ack>
  requires(std::same_as<Ack, puback> || std::same_as<Ack, pubrec> || std::same_as<Ack, pubcomp> ||
           std::same_as<Ack, unsuback>)
MQTTWIRE_ALWAYS_INLINE constexpr body_check checked_body(const Ack& a, protocol_version,
                                                         const options&) noexcept {
  return {a.packet_id == 0 ? errc::packet_id_zero : errc::success, 2};
}

template <bool Fast>
MQTTWIRE_ALWAYS_INLINE constexpr body_check checked_body(const pubrel& p, protocol_version v,
                                                         const options&) noexcept {
  if (p.packet_id == 0) return {errc::packet_id_zero, 0};
  return {check_dup(p.dup, v), 2};
}

// A list's elements: the caller's span walked directly, or (a decoded list) through wire_list.
// `f` is a small struct with an always-inlined call operator rather than a lambda: g++ 12 keeps
// a lambda with a vector check in it as a call per element. f(item) false stops the walk.
template <class T, class F>
MQTTWIRE_ALWAYS_INLINE constexpr void for_each_element(const wire_list<T>& list, F& f) {
  if (!list.is_wire_view()) {
    for (const T& item : list.items()) {
      if (!f(item)) return;
    }
  } else {
    for (const T item : list) {
      if (!f(item)) return;
    }
  }
}

// The per-element work of the list packets: check and size (checked_body), then write.
//
// The fast form (Controls: options::reject_control_characters, fixed for the whole walk) takes
// a filter only when the vector test accepts it, which also leaves filters over 32,767 bytes to
// the exact form, and adds the sizes without saturating: a process has at most 2^48 bytes of
// address space, so a list has fewer than 2^44 elements of at most 32,770 bytes each, and the
// sum stays below 2^60; it is compared with the largest Remaining Length once, at the end.
template <bool Fast, bool Controls>
struct check_subscriptions {
  protocol_version v;
  const options& opts;
  std::size_t n = 2;
  errc fault = errc::success;
  MQTTWIRE_ALWAYS_INLINE constexpr bool operator()(const subscription& sub) noexcept {
    if constexpr (Fast) {
      if (!ascii_fast_accept_as<ascii_rule::topic_filter, Controls>(sub.topic_filter.data(),
                                                                    sub.topic_filter.size())) {
        fault = not_sure_code;
      } else if (!valid_qos(sub.qos)) {
        fault = errc::invalid_requested_qos;
      }
      n += 3 + sub.topic_filter.size();
    } else {
      fault = check_encoded_topic_filter<false>(sub.topic_filter, v, opts);
      if (fault == errc::success && !valid_qos(sub.qos)) fault = errc::invalid_requested_qos;
      n = saturating_add(n, 3 + sub.topic_filter.size());
    }
    return fault == errc::success;
  }
};
template <bool Fast, bool Controls>
struct check_filters {
  protocol_version v;
  const options& opts;
  std::size_t n = 2;
  errc fault = errc::success;
  MQTTWIRE_ALWAYS_INLINE constexpr bool operator()(std::string_view filter) noexcept {
    if constexpr (Fast) {
      if (!ascii_fast_accept_as<ascii_rule::topic_filter, Controls>(filter.data(), filter.size())) {
        fault = not_sure_code;
      }
      n += 2 + filter.size();
    } else {
      fault = check_encoded_topic_filter<false>(filter, v, opts);
      n = saturating_add(n, 2 + filter.size());
    }
    return fault == errc::success;
  }
};
// One walk of a list with the checker C; the fast form picks its Controls once.
template <class T, class C>
MQTTWIRE_ALWAYS_INLINE constexpr body_check walk_list(const wire_list<T>& list, C check) noexcept {
  for_each_element(list, check);
  if (check.fault != errc::success) return {check.fault, 0};
  return sized(check.n);
}
template <template <bool, bool> class Check, bool Fast, class T>
MQTTWIRE_ALWAYS_INLINE constexpr body_check check_list(const wire_list<T>& list, protocol_version v,
                                                       const options& opts) noexcept {
  if constexpr (Fast) {
    if (opts.reject_control_characters) return walk_list(list, Check<true, true>{v, opts});
    return walk_list(list, Check<true, false>{v, opts});
  } else {
    return walk_list(list, Check<false, false>{v, opts});
  }
}
struct check_return_codes {
  protocol_version v;
  std::size_t n = 2;
  errc fault = errc::success;
  MQTTWIRE_ALWAYS_INLINE constexpr bool operator()(std::uint8_t code) noexcept {
    const bool failure = code == suback_code::failure && v == protocol_version::v3_1_1;
    if (code > 2 && !failure) fault = errc::invalid_suback_return_code;
    n = saturating_add(n, 1);
    return fault == errc::success;
  }
};
template <class Sink>
struct write_subscriptions {
  Sink& sink;
  MQTTWIRE_ALWAYS_INLINE constexpr bool operator()(const subscription& sub) {
    put_prefixed(sink, sub.topic_filter);
    sink.byte(static_cast<unsigned>(sub.qos));
    return true;
  }
};
template <class Sink>
struct write_filters {
  Sink& sink;
  MQTTWIRE_ALWAYS_INLINE constexpr bool operator()(std::string_view filter) {
    put_prefixed(sink, filter);
    return true;
  }
};
template <class Sink>
struct write_return_codes {
  Sink& sink;
  MQTTWIRE_ALWAYS_INLINE constexpr bool operator()(std::uint8_t code) {
    sink.byte(code);
    return true;
  }
};

template <bool Fast>
MQTTWIRE_ALWAYS_INLINE constexpr body_check checked_body(const subscribe& s, protocol_version v,
                                  const options& opts) noexcept {
  if (s.packet_id == 0) return {errc::packet_id_zero, 0};
  if (const errc e = check_dup(s.dup, v); e != errc::success) return {e, 0};
  // The encoder holds 3.1 to the 3.1.1 rule too: an empty list is never useful to send.
  if (s.subscriptions.empty()) return {errc::empty_subscription_list, 0};
  return check_list<check_subscriptions, Fast>(s.subscriptions, v, opts);
}

template <bool Fast>
MQTTWIRE_ALWAYS_INLINE constexpr body_check checked_body(const suback& s, protocol_version v, const options&) noexcept {
  if (s.packet_id == 0) return {errc::packet_id_zero, 0};
  if (s.return_codes.empty()) return {errc::empty_return_code_list, 0};
  check_return_codes check{v};
  for_each_element(s.return_codes, check);
  if (check.fault != errc::success) return {check.fault, 0};
  return sized(check.n);
}

template <bool Fast>
MQTTWIRE_ALWAYS_INLINE constexpr body_check checked_body(const unsubscribe& u, protocol_version v,
                                  const options& opts) noexcept {
  if (u.packet_id == 0) return {errc::packet_id_zero, 0};
  if (const errc e = check_dup(u.dup, v); e != errc::success) return {e, 0};
  if (u.topic_filters.empty()) return {errc::empty_unsubscribe_list, 0};
  return check_list<check_filters, Fast>(u.topic_filters, v, opts);
}

template <bool Fast, class Empty>
  requires(std::same_as<Empty, pingreq> || std::same_as<Empty, pingresp> ||
           std::same_as<Empty, disconnect>)
MQTTWIRE_ALWAYS_INLINE constexpr body_check checked_body(const Empty&, protocol_version,
                                                         const options&) noexcept {
  return {errc::success, 0};
}

// Validation and size of any packet: the fast form at run time, and the exact one in constant
// evaluation or when the fast form is not sure.
template <class P>
MQTTWIRE_NOINLINE constexpr body_check checked_body_exact(const P& p, protocol_version v,
                                                          const options& opts) noexcept {
  return checked_body<false>(p, v, opts);
}
template <class P>
MQTTWIRE_ALWAYS_INLINE constexpr body_check check_body(const P& p, protocol_version v,
                                                       const options& opts) noexcept {
  if (!std::is_constant_evaluated()) {
    const body_check c = checked_body<true>(p, v, opts);
    if (c.ec != not_sure_code) [[likely]] return c;
  }
  return checked_body_exact(p, v, opts);
}

// Bytes of the whole packet for a body of `body` bytes (at most max_remaining_length).
constexpr std::size_t packet_size_for(std::size_t body) noexcept {
  return 1 + varint_size(body) + body;
}

// ---- writers ----

// Copies n bytes at run time without a call for short strings: overlapping 16-, 8-, 4-byte
// moves (every load before any store, so the ranges may overlap as with memmove); longer ones
// go to memmove.
//
// g++ 12 at -O3, inlining this into an encode to a small std::array, warns that the memmove of
// the n > 64 branch would pass the array's end: it does not see that encode refused a buffer
// smaller than the packet (buffer_too_small) before writing anything; once encode() is inlined
// into its caller it says the same of the vector stores of copy_ascii_topic_name and
// publish_fast, which come after their own room test. And g++ 12 -O1 --coverage, inlining
// publish_fast into a caller whose PUBLISH has no packet id, warns that `packet_id.value_or(0)`
// may read the unset optional's value (value_or tests has_value first). subscribe_fast's
// scratch packet is written element by element before it is copied out, which the same
// analyses cannot follow either. The warnings are off from here to the end of subscribe_fast
// only, for these reasons.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
MQTTWIRE_ALWAYS_INLINE inline void copy_bytes(char* d, const char* s, std::size_t n) noexcept {
  // Short strings first (client ids, user names, topic levels): 4 to 15 bytes take two tests.
  if (n < 16) {
    if (n >= 8) {
      std::uint64_t a, b;
      std::memcpy(&a, s, 8);
      std::memcpy(&b, s + n - 8, 8);
      std::memcpy(d, &a, 8);
      std::memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
      std::uint32_t a, b;
      std::memcpy(&a, s, 4);
      std::memcpy(&b, s + n - 4, 4);
      std::memcpy(d, &a, 4);
      std::memcpy(d + n - 4, &b, 4);
    } else if (n > 0) {
      const char a = s[0], b = s[n / 2], c = s[n - 1];
      d[0] = a;
      d[n / 2] = b;
      d[n - 1] = c;
    }
  } else if (n <= 32) {
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
    const __m128i a = load16(s), b = load16(s + n - 16);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + n - 16), b);
#else
    std::memmove(d, s, n);
#endif
  } else if (n <= 64) {
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
    const __m128i a = load16(s), b = load16(s + 16), c = load16(s + n - 32), e = load16(s + n - 16);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 16), b);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + n - 32), c);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + n - 16), e);
#else
    std::memmove(d, s, n);
#endif
  } else {
    std::memmove(d, s, n);
  }
}
// A payload: long ones first (payloads tend to be longer than the strings copy_bytes favours).
MQTTWIRE_ALWAYS_INLINE inline void copy_payload(char* d, const char* s, std::size_t n) noexcept {
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
  if (n > 32) {
    if (n > 64) {
      std::memmove(d, s, n);
    } else {
      const __m128i a = load16(s), b = load16(s + 16), c = load16(s + n - 32),
                    e = load16(s + n - 16);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d), a);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 16), b);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + n - 32), c);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + n - 16), e);
    }
    return;
  }
#endif
  copy_bytes(d, s, n);
}

// The vector test of a topic name (ascii_fast_accept_as<topic_name, false>) and its copy to d,
// from the same loads: for 8 to 32 bytes the vectors that were tested are the ones stored, so
// the name is read once. False (nothing written) when the test is not sure. Precondition: n >= 1
// and room for n bytes at d.
MQTTWIRE_ALWAYS_INLINE inline bool copy_ascii_topic_name(char* d, const char* s,
                                                         std::size_t n) noexcept {
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
  if (n >= 16 && n <= 32) {  // bytes 0..15 and n-16..n-1
    const __m128i a = load16(s), b = load16(s + n - 16);
    if (lane_bits(_mm_or_si128(name_fault_lanes(a), name_fault_lanes(b))) != 0) return false;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + n - 16), b);
    return true;
  }
  if (n >= 8 && n < 16) {  // bytes 0..7 in lanes 0..7, bytes n-8..n-1 in lanes 8..15
    const __m128i v = _mm_unpacklo_epi64(load8(s), load8(s + n - 8));
    if (lane_bits(name_fault_lanes(v)) != 0) return false;
    _mm_storel_epi64(reinterpret_cast<__m128i*>(d), v);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(d + n - 8), _mm_unpackhi_epi64(v, v));
    return true;
  }
#endif
  if (!ascii_fast_accept_as<ascii_rule::topic_name, false>(s, n)) return false;
  copy_bytes(d, s, n);
  return true;
}

// Writes into a span the caller sized with encoded_size.
struct span_sink {
  char* out;
  MQTTWIRE_ALWAYS_INLINE constexpr void byte(unsigned value) noexcept { *out++ = ch(value); }
  MQTTWIRE_ALWAYS_INLINE constexpr void bytes(std::string_view s) noexcept {
    if (std::is_constant_evaluated()) {
      out = std::copy(s.begin(), s.end(), out);
    } else {
      copy_bytes(out, s.data(), s.size());
      out += s.size();
    }
  }
  // Four bytes at once (an acknowledgement): one store at run time.
  MQTTWIRE_ALWAYS_INLINE constexpr void bytes4(unsigned b0, unsigned b1, unsigned b2,
                                               unsigned b3) noexcept {
    if (std::is_constant_evaluated()) {
      out[0] = ch(b0);
      out[1] = ch(b1);
      out[2] = ch(b2);
      out[3] = ch(b3);
    } else {
      const unsigned char word[4] = {static_cast<unsigned char>(b0), static_cast<unsigned char>(b1),
                                     static_cast<unsigned char>(b2), static_cast<unsigned char>(b3)};
      std::memcpy(out, word, 4);
    }
    out += 4;
  }
};

template <class Out>
struct iterator_sink {
  Out out;
  constexpr void byte(unsigned value) {
    *out = ch(value);
    ++out;
  }
  constexpr void bytes(std::string_view s) { out = std::copy(s.begin(), s.end(), std::move(out)); }
  constexpr void bytes4(unsigned b0, unsigned b1, unsigned b2, unsigned b3) {
    byte(b0);
    byte(b1);
    byte(b2);
    byte(b3);
  }
};

template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void put_u16(Sink& sink, std::uint16_t value) {
  sink.byte(value >> 8);
  sink.byte(value);
}
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void put_prefixed(Sink& sink, std::string_view s) {
  put_u16(sink, static_cast<std::uint16_t>(s.size()));
  sink.bytes(s);
}
// The shortest encoding only (spec reference §2.5, [lib]).
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void put_varint(Sink& sink, std::size_t remaining) {
  do {
    unsigned group = static_cast<unsigned>(remaining & 0x7Fu);
    remaining >>= 7;
    if (remaining != 0) group |= 0x80u;
    sink.byte(group);
  } while (remaining != 0);
}
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void put_fixed_header(Sink& sink, unsigned first_byte,
                                                       std::size_t remaining) {
  sink.byte(first_byte);
  if (remaining < 128) {
    sink.byte(static_cast<unsigned>(remaining));
    return;
  }
  put_varint(sink, remaining);
}

// Each writer takes the body size checked_body gave.
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const connect& c, protocol_version, std::size_t body) {
  put_fixed_header(sink, 0x10, body);
  // The protocol name with its prefix, and the level (spec reference §3.1): constant bytes.
  using namespace std::string_view_literals;
  // Two calls with constant sizes rather than one with a size chosen at run time: each copy is
  // then two fixed moves instead of copy_bytes' tests.
  if (c.protocol == protocol_version::v3_1) {
    sink.bytes("\0\6MQIsdp\3"sv);
  } else {
    sink.bytes("\0\4MQTT\4"sv);
  }
  if constexpr (std::is_same_v<Sink, span_sink>) {
    // Into a span the flags byte can be written last: each optional field is then tested once,
    // for its flag and its bytes together (an output iterator cannot go back).
    char* const flags_at = sink.out;
    sink.out += 1;
    put_u16(sink, c.keep_alive);
    put_prefixed(sink, c.client_id);
    unsigned flags = c.clean_session ? 0x02u : 0u;
    if (c.will) {
      flags |= 0x04u | (static_cast<unsigned>(c.will->qos) << 3) | (c.will->retain ? 0x20u : 0u);
      put_prefixed(sink, c.will->topic);
      put_prefixed(sink, c.will->payload);
    }
    if (c.username) {
      flags |= 0x80u;
      put_prefixed(sink, *c.username);
    }
    if (c.password) {
      flags |= 0x40u;
      put_prefixed(sink, *c.password);
    }
    *flags_at = ch(flags);
  } else {
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
}

template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const connack& c, protocol_version,
                                                   std::size_t) {
  sink.bytes4(0x20, 2, c.session_present ? 1u : 0u, static_cast<unsigned>(c.return_code));
}

constexpr unsigned publish_first_byte(const publish& p) noexcept {
  return 0x30u | (p.dup ? 0x08u : 0u) | (static_cast<unsigned>(p.qos) << 1) | (p.retain ? 1u : 0u);
}

// Everything of a PUBLISH but its payload; the Remaining Length still counts the payload.
// g++ 12 at -O1 with --coverage warns that *p.packet_id may be uninitialized when a QoS 0
// PUBLISH without one is inlined here; the QoS test guards it (validate() pairs them).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_publish_head(Sink& sink, const publish& p,
                                                         std::size_t body) {
  put_fixed_header(sink, publish_first_byte(p), body);
  put_prefixed(sink, p.topic);
  if (p.qos != qos_level::at_most_once) put_u16(sink, *p.packet_id);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// ---- PUBLISH at run time: checks, sizes and bytes in one straight pass ----

// What publish_fast answers: success with the sizes, buffer_too_small (the packet is valid),
// or not_sure_code (anything else, for the exact form to name).
struct publish_fast_result {
  errc ec = errc::success;
  std::size_t head = 0;   // bytes before the payload
  std::size_t total = 0;  // bytes of the whole packet
};

// encode() and encode_publish_head() of a PUBLISH, for the common case only: valid flags, a
// topic of 1..32,767 bytes that the vector test accepts, reject_control_characters off. The
// generic form (checked_body<true>, then write_packet) tests the flags one by one, sizes the
// Remaining Length twice and keeps the topic check and its copy apart; here the flags are one
// test, the length field is sized once, and the topic is copied right after its vector test,
// before any store, so that the compiler can reuse the loaded vectors. Every rule of
// checked_body<false>(publish) holds when this answers success: QoS 0..2; QoS 0 without DUP and
// without a packet id; QoS 1, 2 with a packet id other than 0; a topic name without U+0000,
// wildcards or non-ASCII bytes (so also within the 32,767-byte limit of strict 3.1); a body of
// at most max_remaining_length. The first byte is written after the topic; all-or-nothing still
// holds because nothing is written before the last check. Payload false writes no payload and
// needs room for the head only (encode_publish_head).
template <bool Payload>
MQTTWIRE_ALWAYS_INLINE inline publish_fast_result publish_fast(const publish& p, char* out,
                                                               std::size_t room,
                                                               const options& opts) noexcept {
  const unsigned q = static_cast<unsigned>(p.qos);
  const bool flags_ok = q == 0 ? !p.dup && !p.packet_id.has_value()
                               : q <= 2 && p.packet_id.value_or(0) != 0;
  const std::size_t n = p.topic.size();
  if (!flags_ok || opts.reject_control_characters || n - 1 >= 32'767) [[unlikely]] {
    return {not_sure_code};
  }
  const std::size_t id_bytes = q != 0 ? 2 : 0;
  // At most 2 + 32,767 + 2 + a view's size (below 2^63): no wrap-around.
  const std::size_t body = 2 + n + id_bytes + p.payload.size();
  std::size_t length_bytes = 1;
  if (body >= 128) [[unlikely]] {
    if (body > max_remaining_length) return {not_sure_code};
    length_bytes = varint_size(body);
  }
  const std::size_t head = 1 + length_bytes + 2 + n + id_bytes;
  const std::size_t total = 1 + length_bytes + body;
  // A short buffer is not sure either: the topic is not checked yet, and its fault would come
  // first (the exact form finds the right code).
  if (room < (Payload ? total : head)) [[unlikely]] return {not_sure_code};
  char* const topic = out + 1 + length_bytes + 2;
  if (!copy_ascii_topic_name(topic, p.topic.data(), n)) [[unlikely]] return {not_sure_code};
  // The flags as shifts of the bools (g++ builds `dup ? 8 : 0` from a compare and a mask).
  out[0] = ch(0x30u | (unsigned{p.dup} << 3) | (q << 1) | unsigned{p.retain});
  if (body < 128) [[likely]] {  // the test that sized length_bytes: the compiler joins them
    out[1] = ch(static_cast<unsigned>(body));
  } else {
    span_sink sink{out + 1};
    put_varint(sink, body);
  }
  topic[-2] = ch(static_cast<unsigned>(n >> 8));
  topic[-1] = ch(static_cast<unsigned>(n));
  if (q != 0) {
    // Read again rather than kept from the test above: one load, and a register free meanwhile.
    const unsigned id = p.packet_id.value_or(0);
    topic[n] = ch(id >> 8u);
    topic[n + 1] = ch(id);
  }
  if constexpr (Payload) copy_payload(topic + n + id_bytes, p.payload.data(), p.payload.size());
  return {errc::success, head, total};
}

// ---- SUBSCRIBE at run time: each filter checked and written in the same pass ----

// The vector test of a topic filter (ascii_fast_accept_as<topic_filter, false>) and its copy to
// d, from the same loads: for 8 to 32 bytes the vectors that are tested are the ones stored.
// d is the caller's scratch, so the stores come first and may stay when the answer is false
// (not sure). Precondition: room for n bytes at d.
MQTTWIRE_ALWAYS_INLINE inline bool copy_ascii_topic_filter(char* d, const char* s,
                                                           std::size_t n) noexcept {
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
  using lanes = ascii_lanes<ascii_rule::string, false>;
  if (n >= 16 && n <= 32) {  // bytes 0..15 and n-16..n-1
    const __m128i a = load16(s), b = load16(s + n - 16);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + n - 16), b);
    if (lanes::faults(lanes::fold(lanes::first(lanes::key(a)), lanes::key(b))) != 0) return false;
    const unsigned wa = lane_bits(wildcard_lanes(a));
    const unsigned wb = lane_bits(wildcard_lanes(b));
    return (wa | wb) == 0 || wildcards_fit(s, n, wa | (std::uint64_t{wb} << (n - 16)), 0);
  }
  if (n >= 8 && n < 16) {  // bytes 0..7 in lanes 0..7, bytes n-8..n-1 in lanes 8..15
    const __m128i v = _mm_unpacklo_epi64(load8(s), load8(s + n - 8));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(d), v);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(d + n - 8), _mm_unpackhi_epi64(v, v));
    if (lanes::faults(lanes::first(lanes::key(v))) != 0) return false;
    const unsigned w = lane_bits(wildcard_lanes(v));
    return w == 0 || wildcards_fit(s, n, (w & 0xFFu) | (std::uint64_t{w >> 8} << (n - 8)), 0);
  }
#endif
  if (!ascii_fast_accept_as<ascii_rule::topic_filter, false>(s, n)) return false;
  copy_bytes(d, s, n);
  return true;
}

// n (8..128) bytes from the scratch s to d without a call: overlapping 16-byte moves.
MQTTWIRE_ALWAYS_INLINE inline void copy_small_packet(char* d, const char* s, std::size_t n) noexcept {
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
  if (n > 64) {
    copy_payload(d, s, 64);
    copy_payload(d + n - 64, s + n - 64, 64);
    return;
  }
#endif
  copy_payload(d, s, n);
}

// The largest SUBSCRIBE body subscribe_fast builds: a one-byte Remaining Length, and a packet of
// at most 128 bytes, which copy_small_packet moves in two 64-byte halves.
inline constexpr std::size_t subscribe_fast_max_body = 126;

// encode() of a SUBSCRIBE, for the common case only: no DUP, a list of the caller's elements,
// every filter accepted by the vector test, requested QoS 0..2, a body of at most 126 bytes,
// reject_control_characters off. The generic form walks the list twice (checks and sizes, then
// bytes) and reads each filter twice; here each filter is read once, its vectors tested and
// stored into a scratch packet on the stack, which is copied to `out` only once the whole list
// has passed, so that nothing is written on an error. Every rule of checked_body<false>
// (subscribe) holds when this answers success or buffer_too_small: packet id other than 0, no
// DUP (allowed in 3.1 only: left to the generic form), a non-empty list, filters without U+0000,
// non-ASCII bytes or misplaced wildcards (and far below 32,767 bytes), QoS 0..2, a body far
// below max_remaining_length. Anything else is not_sure_code.
MQTTWIRE_ALWAYS_INLINE inline publish_fast_result subscribe_fast(const subscribe& s, char* out,
                                                                 std::size_t room,
                                                                 const options& opts) noexcept {
  if (s.packet_id == 0 || s.dup || opts.reject_control_characters ||
      s.subscriptions.is_wire_view()) [[unlikely]] {
    return {not_sure_code};
  }
  const std::span<const subscription> items = s.subscriptions.items();
  if (items.empty()) [[unlikely]] return {not_sure_code};
  // First byte, Remaining Length, packet id, then the body's elements; not initialized: every
  // byte up to `at` is written before the copy reads it.
  char scratch[2 + subscribe_fast_max_body];
  std::size_t at = 4;
  for (const subscription& sub : items) {
    const std::size_t n = sub.topic_filter.size();
    // The element (prefix, filter, QoS byte) must end within the scratch: n + 3 cannot wrap
    // (a view's size is below 2^63).
    if (n + 3 > sizeof scratch - at) [[unlikely]] return {not_sure_code};
    const unsigned q = static_cast<unsigned>(sub.qos);
    if (!copy_ascii_topic_filter(scratch + at + 2, sub.topic_filter.data(), n) || q > 2)
        [[unlikely]] {
      return {not_sure_code};
    }
    scratch[at] = 0;  // n < 128
    scratch[at + 1] = ch(static_cast<unsigned>(n));
    scratch[at + 2 + n] = ch(q);
    at += 3 + n;
  }
  // The packet is valid: a short buffer is the only fault left.
  if (room < at) [[unlikely]] return {errc::buffer_too_small};
  scratch[0] = ch(0x82u);
  scratch[1] = ch(static_cast<unsigned>(at - 2));
  scratch[2] = ch(unsigned{s.packet_id} >> 8);
  scratch[3] = ch(s.packet_id);
  copy_small_packet(out, scratch, at);
  return {errc::success, at, at};
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const publish& p, protocol_version,
                                                   std::size_t body) {
  write_publish_head(sink, p, body);
  sink.bytes(p.payload);
}

// The packet-identifier-only packets: four bytes.
template <class Sink, class Ack>
  requires requires(const Ack& a) { a.packet_id; }
MQTTWIRE_ALWAYS_INLINE constexpr void write_id_only(Sink& sink, const Ack& a, unsigned first_byte) {
  sink.bytes4(first_byte, 2, a.packet_id >> 8, a.packet_id & 0xFFu);
}
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const puback& a, protocol_version,
                                                   std::size_t) {
  write_id_only(sink, a, 0x40);
}
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const pubrec& a, protocol_version,
                                                   std::size_t) {
  write_id_only(sink, a, 0x50);
}
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const pubrel& a, protocol_version,
                                                   std::size_t) {
  write_id_only(sink, a, a.dup ? 0x6Au : 0x62u);
}
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const pubcomp& a, protocol_version,
                                                   std::size_t) {
  write_id_only(sink, a, 0x70);
}
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const unsuback& a, protocol_version,
                                                   std::size_t) {
  write_id_only(sink, a, 0xB0);
}

template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const subscribe& s, protocol_version, std::size_t body) {
  put_fixed_header(sink, s.dup ? 0x8Au : 0x82u, body);
  put_u16(sink, s.packet_id);
  write_subscriptions<Sink> write{sink};
  for_each_element(s.subscriptions, write);
}

template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const suback& s, protocol_version, std::size_t body) {
  put_fixed_header(sink, 0x90, body);
  put_u16(sink, s.packet_id);
  write_return_codes<Sink> write{sink};
  for_each_element(s.return_codes, write);
}

template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const unsubscribe& u, protocol_version, std::size_t body) {
  put_fixed_header(sink, u.dup ? 0xAAu : 0xA2u, body);
  put_u16(sink, u.packet_id);
  write_filters<Sink> write{sink};
  for_each_element(u.topic_filters, write);
}

template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const pingreq&, protocol_version,
                                                   std::size_t) {
  put_fixed_header(sink, 0xC0, 0);
}
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const pingresp&, protocol_version,
                                                   std::size_t) {
  put_fixed_header(sink, 0xD0, 0);
}
template <class Sink>
MQTTWIRE_ALWAYS_INLINE constexpr void write_packet(Sink& sink, const disconnect&, protocol_version,
                                                   std::size_t) {
  put_fixed_header(sink, 0xE0, 0);
}

// encode() once the packet is checked.
template <class P>
MQTTWIRE_ALWAYS_INLINE constexpr result<std::size_t> encode_checked(const P& p,
                                                                    std::span<char> out,
                                                                    protocol_version v,
                                                                    body_check c) noexcept {
  if (c.ec != errc::success) return error{c.ec, 0};
  const std::size_t n = packet_size_for(c.body);
  if (out.size() < n) return error{errc::buffer_too_small, 0};
  span_sink sink{out.data()};
  write_packet(sink, p, v, c.body);
  return n;
}
template <class P>
MQTTWIRE_COLD constexpr result<std::size_t> encode_exact(const P& p, std::span<char> out,
                                                             protocol_version v,
                                                             const options& opts) noexcept {
  return encode_checked(p, out, v, checked_body<false>(p, v, opts));
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
  return detail::check_body(p, v, opts).ec;
}
constexpr errc validate(const packet& p, protocol_version v = protocol_version::v3_1_1,
                        const options& opts = default_options) noexcept {
  return std::visit([&](const auto& alt) { return detail::check_body(alt, v, opts).ec; }, p);
}

/// Exact number of bytes `encode(p, out, v, opts)` writes, or the error it would refuse `p` with
/// (validate()'s code, offset 0): size a buffer with `*encoded_size(p, v)`.
template <packet_struct P>
constexpr result<std::size_t> encoded_size(const P& p, protocol_version v = protocol_version::v3_1_1,
                                           const options& opts = default_options) noexcept {
  const detail::body_check c = detail::check_body(p, v, opts);
  if (c.ec != errc::success) return error{c.ec, 0};
  return detail::packet_size_for(c.body);
}
constexpr result<std::size_t> encoded_size(const packet& p,
                                           protocol_version v = protocol_version::v3_1_1,
                                           const options& opts = default_options) noexcept {
  return std::visit([&](const auto& alt) { return encoded_size(alt, v, opts); }, p);
}

/// Encodes `p` into `out`, all or nothing: on any error nothing is written. Returns the number
/// of bytes written, or an error (offset 0) with the validate() codes or buffer_too_small
/// (call encoded_size() to size the buffer). One pass over a list validates it and sums its
/// size, one more writes it; strings are copied without a call when short.
/// Inlined into the caller, for the reason given at encode_publish_head.
template <packet_struct P>
MQTTWIRE_ALWAYS_INLINE constexpr result<std::size_t> encode(
    const P& p, std::span<char> out, protocol_version v = protocol_version::v3_1_1,
    const options& opts = default_options) noexcept {
  if (!std::is_constant_evaluated()) {
    if constexpr (std::is_same_v<P, publish>) {
      const detail::publish_fast_result f = detail::publish_fast<true>(p, out.data(), out.size(), opts);
      if (f.ec == errc::success) [[likely]] return f.total;
      if (f.ec != detail::not_sure_code) return error{f.ec, 0};
      return detail::encode_exact(p, out, v, opts);
    }
    if constexpr (std::is_same_v<P, subscribe>) {
      const detail::publish_fast_result f = detail::subscribe_fast(p, out.data(), out.size(), opts);
      if (f.ec == errc::success) [[likely]] return f.total;
      if (f.ec != detail::not_sure_code) return error{f.ec, 0};
    }
    const detail::body_check c = detail::checked_body<true>(p, v, opts);
    // Not sure: all again with the exact checks, as a tail call, so that this path keeps
    // nothing alive across a call.
    if (c.ec == detail::not_sure_code) [[unlikely]] return detail::encode_exact(p, out, v, opts);
    return detail::encode_checked(p, out, v, c);
  }
  return detail::encode_exact(p, out, v, opts);
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
  const detail::body_check c = detail::check_body(p, v, opts);
  if (c.ec != errc::success) return {std::move(out), c.ec};
  detail::iterator_sink<Out> sink{std::move(out)};
  detail::write_packet(sink, p, v, c.body);
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
  constexpr std::size_t size =
      code == errc::success ? detail::packet_size_for(detail::checked_body<false>(P, V, default_options).body) : 1;
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

namespace detail {
// encode_publish_head with the exact checks: constant evaluation, and what publish_fast is not
// sure of. Out of line, so that the fast path keeps nothing alive across a call.
MQTTWIRE_NOINLINE constexpr result<publish_head> encode_publish_head_exact(
    const publish& p, std::span<char> out, protocol_version v, const options& opts) noexcept {
  const body_check c = checked_body<false>(p, v, opts);
  if (c.ec != errc::success) return error{c.ec, 0};
  const std::size_t total = packet_size_for(c.body);
  const std::size_t head = total - p.payload.size();
  if (out.size() < head) return error{errc::buffer_too_small, 0};
  span_sink sink{out.data()};
  write_publish_head(sink, p, c.body);
  return publish_head{head, total};
}
}  // namespace detail

/// Scatter/gather encoding of a PUBLISH: writes everything but the payload into `out` (at most
/// 5 + 2 + 65,535 + 2 bytes), so the payload can be sent from where it lies (writev, Asio
/// buffer sequences) without a copy. Same validation and all-or-nothing rule as `encode`.
/// Inlined into the caller: out of line, the call to the exact form on its rare path made the
/// function save and restore six registers on every call.
MQTTWIRE_ALWAYS_INLINE constexpr result<publish_head> encode_publish_head(
    const publish& p, std::span<char> out, protocol_version v = protocol_version::v3_1_1,
    const options& opts = default_options) noexcept {
  if (!std::is_constant_evaluated()) {
    const detail::publish_fast_result f =
        detail::publish_fast<false>(p, out.data(), out.size(), opts);
    if (f.ec == errc::success) [[likely]] return publish_head{f.head, f.total};
  }
  return detail::encode_publish_head_exact(p, out, v, opts);
}

}  // namespace mqttwire

#endif  // MQTTWIRE_ENCODE_HPP
