// SPDX-License-Identifier: MIT
// mqttwire: UTF-8 well-formedness for MQTT strings ([MQTT-1.5.3-1], [MQTT-1.5.3-2], §1.5.3).
#ifndef MQTTWIRE_DETAIL_UTF8_HPP
#define MQTTWIRE_DETAIL_UTF8_HPP

#include "mqttwire/detail/config.hpp"
#include "mqttwire/detail/wire.hpp"
#include "mqttwire/error.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define MQTTWIRE_DETAIL_HAVE_SSE2 1
#endif

namespace mqttwire::detail {

/// What a run-time fast check answers when it is not sure (never returned to callers): the
/// caller starts again with the exact check, which finds the real outcome.
inline constexpr errc not_sure_code = static_cast<errc>(0xFF);

/// First fault in a string: the code and its byte offset inside the string.
struct string_fault {
  errc code = errc::success;
  std::size_t offset = 0;
  constexpr explicit operator bool() const noexcept { return code != errc::success; }
};

/// Code points a receiver MAY close on (3.1.1 §1.5.3): C0/C1 controls and DEL, and the 66
/// Unicode non-characters (U+FDD0..U+FDEF and U+nFFFE/U+nFFFF of every plane).
constexpr errc classify_discouraged(std::uint32_t cp) noexcept {
  if (cp < 0x20u || (cp >= 0x7Fu && cp <= 0x9Fu)) return errc::control_character;
  if ((cp >= 0xFDD0u && cp <= 0xFDEFu) || (cp & 0xFFFEu) == 0xFFFEu) return errc::non_character;
  return errc::success;
}

/// What an all-ASCII fast check must also rule out, beyond U+0000 (and controls when asked).
enum class ascii_rule {
  string,        ///< nothing else
  topic_name,    ///< any '+' or '#'
  topic_filter,  ///< a '+' that is not a whole level, a '#' that is not the whole last level
};

// [MQTT-4.7.1-2], [MQTT-4.7.1-3], as validate_topic_filter applies them, for the wildcards at
// bytes base + k of the n bytes at p, for the bits k of `wild`: each starts a level, a '+' also
// ends one and a '#' is the last byte. Wildcards are few, so they are looked at one by one.
MQTTWIRE_ALWAYS_INLINE inline bool wildcards_fit(const char* p, std::size_t n, std::uint64_t wild,
                                                 std::size_t base) noexcept {
  for (; wild != 0; wild &= wild - 1) {
    const std::size_t i = base + static_cast<std::size_t>(std::countr_zero(wild));
    if (i != 0 && p[i - 1] != '/') return false;
    const bool last = i + 1 == n;
    if (p[i] == '#' ? !last : !(last || p[i + 1] == '/')) return false;
  }
  return true;
}

#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
// '+' (0x2B) and '#' (0x23) differ only in bit 3, and no other byte becomes 0x2B with it set.
MQTTWIRE_ALWAYS_INLINE inline __m128i wildcard_lanes(__m128i v) noexcept {
  return _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x08)), _mm_set1_epi8(0x2B));
}
MQTTWIRE_ALWAYS_INLINE inline unsigned lane_bits(__m128i v) noexcept {
  return static_cast<unsigned>(_mm_movemask_epi8(v));
}
MQTTWIRE_ALWAYS_INLINE inline __m128i load16(const char* p) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
MQTTWIRE_ALWAYS_INLINE inline __m128i load8(const char* p) noexcept {
  return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
}
MQTTWIRE_ALWAYS_INLINE inline __m128i load4(const char* p) noexcept {
  std::int32_t v = 0;
  std::memcpy(&v, p, 4);
  return _mm_cvtsi32_si128(v);
}

// How one vector of string bytes is judged, lane by lane, so that many vectors fold into one
// answer: `key(v)` maps each byte to a value, `fold` combines the keys of several vectors and
// `faults` gives the lanes that are faults (sign bits).
//
// Without reject_controls the faults are U+0000, non-ASCII and for topic names '+' and '#'.
// The key is the byte itself, or for names min(byte, (byte | 8) ^ 0x2B), which is 0 at '+' and
// '#' and keeps the sign bit of non-ASCII (0x2B has none): a lane is a fault when its key is 0
// or has its sign bit set. Keys fold as an OR (sign bits) and an unsigned minimum (zeros), so
// two or more vectors cost one compare in all.
//
// With reject_controls the faults are also the C0 controls and DEL: byte + 1 < 0x21 signed
// (DEL + 1 wraps to -128, 0xFF + 1 to 0, other non-ASCII bytes stay negative), plus the
// wildcards of names; the faults of each vector fold as an OR.
template <ascii_rule Rule, bool Controls>
struct ascii_lanes;

template <ascii_rule Rule>
struct ascii_lanes<Rule, false> {
  struct folded {
    __m128i sign;
    __m128i least;
  };
  MQTTWIRE_ALWAYS_INLINE static __m128i key(__m128i v) noexcept {
    if constexpr (Rule == ascii_rule::topic_name) {
      const __m128i w = _mm_xor_si128(_mm_or_si128(v, _mm_set1_epi8(0x08)), _mm_set1_epi8(0x2B));
      return _mm_min_epu8(v, w);
    } else {
      return v;
    }
  }
  MQTTWIRE_ALWAYS_INLINE static folded first(__m128i k) noexcept { return {k, k}; }
  // No lane a fault: no sign bit, and a minimum that is not 0.
  MQTTWIRE_ALWAYS_INLINE static folded neutral() noexcept {
    return {_mm_setzero_si128(), _mm_set1_epi8(-1)};
  }
  MQTTWIRE_ALWAYS_INLINE static folded fold(folded f, __m128i k) noexcept {
    return {_mm_or_si128(f.sign, k), _mm_min_epu8(f.least, k)};
  }
  MQTTWIRE_ALWAYS_INLINE static unsigned faults(folded f) noexcept {
    return lane_bits(_mm_or_si128(f.sign, _mm_cmpeq_epi8(f.least, _mm_setzero_si128())));
  }
};

template <ascii_rule Rule>
struct ascii_lanes<Rule, true> {
  using folded = __m128i;
  MQTTWIRE_ALWAYS_INLINE static __m128i key(__m128i v) noexcept {
    __m128i f = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(1)), _mm_set1_epi8(0x21));
    if constexpr (Rule == ascii_rule::topic_name) f = _mm_or_si128(f, wildcard_lanes(v));
    return f;
  }
  MQTTWIRE_ALWAYS_INLINE static folded first(__m128i k) noexcept { return k; }
  MQTTWIRE_ALWAYS_INLINE static folded neutral() noexcept { return _mm_setzero_si128(); }
  MQTTWIRE_ALWAYS_INLINE static folded fold(folded f, __m128i k) noexcept {
    return _mm_or_si128(f, k);
  }
  MQTTWIRE_ALWAYS_INLINE static unsigned faults(folded f) noexcept { return lane_bits(f); }
};

// The string and topic-name check of several strings with one test at the end (a CONNECT has
// three): each add() folds a string's keys into the state, ok() is the one movemask. Every lane
// holds a byte of the string: short strings repeat bytes to fill the vector. Precondition of
// add<topic_name>: n >= 1 (an empty name is the caller's to refuse).
template <bool Controls>
class ascii_batch {
 public:
  constexpr ascii_batch() noexcept = default;
  /// A batch that starts with the string at p (one fold fewer than add() on an empty batch).
  template <ascii_rule Rule>
  MQTTWIRE_ALWAYS_INLINE static ascii_batch of(const char* p, std::size_t n) noexcept {
    ascii_batch batch;
    batch.template gather<Rule, true>(p, n);
    return batch;
  }
  template <ascii_rule Rule>
  MQTTWIRE_ALWAYS_INLINE void add(const char* p, std::size_t n) noexcept {
    gather<Rule, false>(p, n);
  }
  MQTTWIRE_ALWAYS_INLINE bool ok() const noexcept { return lanes::faults(state_) == 0; }

 private:
  using lanes = ascii_lanes<ascii_rule::string, Controls>;
  template <ascii_rule Rule, bool Fresh>
  MQTTWIRE_ALWAYS_INLINE void gather(const char* p, std::size_t n) noexcept {
    static_assert(Rule != ascii_rule::topic_filter, "filters need their positions");
    using keys = ascii_lanes<Rule, Controls>;
    // The first fold of a fresh batch replaces the neutral state.
    if (n >= 16) {
      fold<Fresh>(keys::key(load16(p)));
      fold<false>(keys::key(load16(p + n - 16)));
      for (std::size_t i = 16; i + 16 < n; i += 16) fold<false>(keys::key(load16(p + i)));
    } else if (n >= 8) {  // bytes 0..7 and n-8..n-1
      fold<Fresh>(keys::key(_mm_unpacklo_epi64(load8(p), load8(p + n - 8))));
    } else if (n >= 4) {  // bytes 0..3 and n-4..n-1, twice
      const __m128i v = _mm_unpacklo_epi32(load4(p), load4(p + n - 4));
      fold<Fresh>(keys::key(_mm_unpacklo_epi64(v, v)));
    } else if (n > 0) {  // bytes 0, n/2, n-1 and 0 again, four times
      const unsigned first = u8(p[0]);
      const unsigned bytes = first | (unsigned{u8(p[n / 2])} << 8) |
                             (unsigned{u8(p[n - 1])} << 16) | (first << 24);
      fold<Fresh>(keys::key(_mm_set1_epi32(static_cast<std::int32_t>(bytes))));
    }
  }
  template <bool Fresh>
  MQTTWIRE_ALWAYS_INLINE void fold(__m128i key) noexcept {
    if constexpr (Fresh) {
      state_ = lanes::first(key);
    } else {
      state_ = lanes::fold(state_, key);
    }
  }
  typename lanes::folded state_ = lanes::neutral();
};

// A topic filter of more than 32 bytes: 16-byte blocks, the last one overlapping the one before,
// and the wildcards of each block by position.
template <bool Controls>
MQTTWIRE_NOINLINE bool ascii_filter_accept_long(const char* p, std::size_t n) noexcept {
  if (n > 32'767) return false;  // left to the exact checks (the strict 3.1 limit)
  using lanes = ascii_lanes<ascii_rule::string, Controls>;
  auto f = lanes::first(lanes::key(load16(p + n - 16)));
  for (std::size_t i = 0; i + 16 < n; i += 16) f = lanes::fold(f, lanes::key(load16(p + i)));
  if (lanes::faults(f) != 0) return false;
  for (std::size_t i = 0;; i += 16) {
    const std::size_t at = i + 16 < n ? i : n - 16;
    const unsigned w = lane_bits(wildcard_lanes(load16(p + at)));
    if (w != 0 && !wildcards_fit(p, n, w, at)) return false;
    if (at == n - 16) return true;
  }
}

// The faults of one vector of a topic name (no reject_controls) as sign bits, for a test on its
// own rather than in a batch: the key min(byte, (byte | 8) ^ 0x2B) of ascii_lanes is 0 at
// U+0000, '+' and '#', 1..0x7F at other ASCII bytes, and 0x80 or more at non-ASCII ones (both
// operands keep bit 7), so key - 1 with signed saturation has its sign bit set exactly at the
// faults (0 becomes -1, 1..0x7F become 0..0x7E, negative keys stay negative). Vectors then fold
// with one OR and need no compare with zero at the end. (A signed compare, key < 1, says the
// same, but g++ 12 rewrites it as two compares.)
MQTTWIRE_ALWAYS_INLINE inline __m128i name_fault_lanes(__m128i v) noexcept {
  const __m128i w = _mm_xor_si128(_mm_or_si128(v, _mm_set1_epi8(0x08)), _mm_set1_epi8(0x2B));
  return _mm_subs_epi8(_mm_min_epu8(v, w), _mm_set1_epi8(1));
}

template <ascii_rule Rule, bool Controls>
MQTTWIRE_ALWAYS_INLINE inline bool ascii_accept_sse2(const char* p, std::size_t n) noexcept {
  if constexpr (Rule != ascii_rule::topic_filter) {
    if (n == 0) return Rule == ascii_rule::string;  // an empty topic is the callers' own fault
    return ascii_batch<Controls>::template of<Rule>(p, n).ok();
  } else {
    // A filter: the string check, then its wildcards by position (lane k of a vector loaded at
    // p + base is byte base + k).
    using lanes = ascii_lanes<ascii_rule::string, Controls>;
    const auto wild_bits = [](__m128i v) noexcept { return lane_bits(wildcard_lanes(v)); };
    if (n > 32) return ascii_filter_accept_long<Controls>(p, n);  // a tail call: rare
    if (n >= 16) {  // bytes 0..15 in a, bytes n-16..n-1 in b
      const __m128i a = load16(p);
      const __m128i b = load16(p + n - 16);
      if (lanes::faults(lanes::fold(lanes::first(lanes::key(a)), lanes::key(b))) != 0) return false;
      const unsigned wa = wild_bits(a);
      const unsigned wb = wild_bits(b);
      return (wa | wb) == 0 || wildcards_fit(p, n, wa | (std::uint64_t{wb} << (n - 16)), 0);
    }
    if (n >= 8) {  // bytes 0..7 in lanes 0..7, bytes n-8..n-1 in lanes 8..15
      const __m128i v = _mm_unpacklo_epi64(load8(p), load8(p + n - 8));
      if (lanes::faults(lanes::first(lanes::key(v))) != 0) return false;
      const unsigned w = wild_bits(v);
      return w == 0 || wildcards_fit(p, n, (w & 0xFFu) | (std::uint64_t{w >> 8} << (n - 8)), 0);
    }
    if (n >= 4) {  // bytes 0..3 in lanes 0..3, bytes n-4..n-1 in lanes 4..7; 8..15 unused
      const __m128i v = _mm_unpacklo_epi32(load4(p), load4(p + n - 4));
      if ((lanes::faults(lanes::first(lanes::key(v))) & 0xFFu) != 0) return false;
      const unsigned w = wild_bits(v) & 0xFFu;
      return w == 0 || wildcards_fit(p, n, (w & 0xFu) | (std::uint64_t{w >> 4} << (n - 4)), 0);
    }
    // 1..3 bytes: one at a time (an empty filter is the callers' own fault).
    if (n == 0) return false;
    unsigned w = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const unsigned c = u8(p[i]);
      if (Controls ? (c < 0x20u || c >= 0x7Fu) : (c == 0 || c >= 0x80u)) return false;
      if (c == '+' || c == '#') w |= 1u << i;
    }
    return w == 0 || wildcards_fit(p, n, w, 0);
  }
}
#else
// Without SSE2 the batch is never sure, and every string takes the exact checks.
template <bool Controls>
class ascii_batch {
 public:
  template <ascii_rule Rule>
  static constexpr ascii_batch of(const char*, std::size_t) noexcept {
    return {};
  }
  template <ascii_rule Rule>
  constexpr void add(const char*, std::size_t) noexcept {}
  constexpr bool ok() const noexcept { return false; }
};
#endif

/// ascii_fast_accept_as<topic_name, false> for a name of 1..32,767 bytes on its own (a PUBLISH):
/// 8 to 32 bytes take name_fault_lanes, the other sizes the general test.
MQTTWIRE_ALWAYS_INLINE inline bool ascii_name_accept(const char* p, std::size_t n) noexcept {
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
  if (n >= 16 && n <= 32) {  // bytes 0..15 and n-16..n-1
    return lane_bits(_mm_or_si128(name_fault_lanes(load16(p)),
                                  name_fault_lanes(load16(p + n - 16)))) == 0;
  }
  if (n >= 8 && n < 16) {  // bytes 0..7 and n-8..n-1
    return lane_bits(name_fault_lanes(_mm_unpacklo_epi64(load8(p), load8(p + n - 8)))) == 0;
  }
  return ascii_accept_sse2<ascii_rule::topic_name, false>(p, n);
#else
  static_cast<void>(p);
  static_cast<void>(n);
  return false;
#endif
}

/// ascii_fast_accept with reject_controls known at compile time (Controls).
template <ascii_rule Rule, bool Controls>
MQTTWIRE_ALWAYS_INLINE inline bool ascii_fast_accept_as(const char* p, std::size_t n) noexcept {
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
  return ascii_accept_sse2<Rule, Controls>(p, n);
#else
  static_cast<void>(p);
  static_cast<void>(n);
  return false;
#endif
}

/// Run time only (SSE2; elsewhere it always answers false). True when the n bytes at p are
/// plain ASCII that the exact scalar checks accept under `Rule`: bytes 0x01..0x7F, or
/// 0x20..0x7E with `reject_controls`. It reads the string in vectors (loads that overlap, never
/// outside [p, p + n): two for 16 to 32 bytes, one below 16), folds the faults of every lane
/// into one vector and tests it with one movemask, where the scalar loops take a byte at a time;
/// a filter's wildcards are then checked on bit sets of their positions. It makes no call, so
/// a decoder can use it without saving registers. False only means "not sure" (a fault,
/// non-ASCII text, an empty topic, a topic filter over 32,767 bytes): the callers then run the
/// scalar checks, which find the fault and its offset, so results never differ.
template <ascii_rule Rule>
MQTTWIRE_ALWAYS_INLINE inline bool ascii_fast_accept(const char* p, std::size_t n,
                                                     bool reject_controls) noexcept {
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
  if (reject_controls) [[unlikely]] return ascii_accept_sse2<Rule, true>(p, n);
  return ascii_accept_sse2<Rule, false>(p, n);
#else
  static_cast<void>(p);
  static_cast<void>(n);
  static_cast<void>(reject_controls);
  return false;
#endif
}

/// Checks RFC 3629 well-formedness (which excludes overlong forms, surrogates and values above
/// U+10FFFF) and U+0000; with `reject_discouraged`, also the MAY-close set above.
constexpr string_fault check_utf8(std::string_view s, bool reject_discouraged) noexcept {
  if (!std::is_constant_evaluated()) {
    if (ascii_fast_accept<ascii_rule::string>(s.data(), s.size(), reject_discouraged)) return {};
  }
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t lead = u8(s[i]);
    if (lead < 0x80u) {
      if (lead == 0) return {errc::null_character, i};
      if (reject_discouraged && (lead < 0x20u || lead == 0x7Fu)) return {errc::control_character, i};
      ++i;
      continue;
    }
    // The table of RFC 3629 §4: the lead byte fixes the length and the range of the second byte.
    std::size_t length = 0;
    std::uint8_t second_lo = 0x80, second_hi = 0xBF;
    std::uint32_t cp = 0;
    if (lead >= 0xC2u && lead <= 0xDFu) {
      length = 2;
      cp = lead & 0x1Fu;
    } else if (lead >= 0xE0u && lead <= 0xEFu) {
      length = 3;
      cp = lead & 0x0Fu;
      if (lead == 0xE0u) second_lo = 0xA0;  // no overlong forms
      if (lead == 0xEDu) second_hi = 0x9F;  // no surrogates U+D800..U+DFFF
    } else if (lead >= 0xF0u && lead <= 0xF4u) {
      length = 4;
      cp = lead & 0x07u;
      if (lead == 0xF0u) second_lo = 0x90;  // no overlong forms
      if (lead == 0xF4u) second_hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return {errc::invalid_utf8, i};  // C0, C1, F5..FF, or a stray continuation byte
    }
    if (n - i < length) return {errc::invalid_utf8, i};
    const std::uint8_t second = u8(s[i + 1]);
    if (second < second_lo || second > second_hi) return {errc::invalid_utf8, i};
    cp = (cp << 6) | (second & 0x3Fu);
    for (std::size_t k = 2; k < length; ++k) {
      const std::uint8_t next = u8(s[i + k]);
      if ((next & 0xC0u) != 0x80u) return {errc::invalid_utf8, i};
      cp = (cp << 6) | (next & 0x3Fu);
    }
    if (reject_discouraged) {
      if (const errc e = classify_discouraged(cp); e != errc::success) return {e, i};
    }
    i += length;
  }
  return {};
}

}  // namespace mqttwire::detail

#endif  // MQTTWIRE_DETAIL_UTF8_HPP
