// SPDX-License-Identifier: MIT
// mqttwire: UTF-8 well-formedness for MQTT strings ([MQTT-1.5.3-1], [MQTT-1.5.3-2], §1.5.3).
#ifndef MQTTWIRE_DETAIL_UTF8_HPP
#define MQTTWIRE_DETAIL_UTF8_HPP

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

/// Run time only (SSE2; elsewhere it always answers false). True when `s` is plain ASCII that
/// the exact scalar checks accept under `Rule`: bytes 0x01..0x7F, or 0x20..0x7E with
/// `reject_controls`. It looks at 16 bytes per step where the scalar loops take one, which is
/// most of the cost of decoding a PUBLISH. False only means "not sure": the callers then run
/// the scalar checks, which find the fault and its offset, so results never differ.
template <ascii_rule Rule>
inline bool ascii_fast_accept(std::string_view s, bool reject_controls) noexcept {
#ifdef MQTTWIRE_DETAIL_HAVE_SSE2
  const char* const p = s.data();
  const std::size_t n = s.size();
  if (n < 4) return false;  // the scalar loops are as cheap here
  const __m128i first_printable = _mm_set1_epi8(0x20);
  // Bad lanes: the sign bit (non-ASCII), then U+0000, or every control with reject_controls
  // (the signed compare also catches the non-ASCII lanes, already bad).
  const auto bad_lanes = [&](__m128i v) noexcept -> unsigned {
    const __m128i bad = reject_controls
                            ? _mm_or_si128(_mm_cmplt_epi8(v, first_printable),
                                           _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F)))
                            : _mm_cmpeq_epi8(v, _mm_setzero_si128());
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(bad, v)));
  };
  const auto wildcard_lanes = [](__m128i v) noexcept -> unsigned {
    return static_cast<unsigned>(_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')), _mm_cmpeq_epi8(v, _mm_set1_epi8('#')))));
  };
  // [MQTT-4.7.1-2], [MQTT-4.7.1-3], as validate_topic_filter applies them.
  const auto wildcard_fits = [p, n](std::size_t i) noexcept {
    const bool level_starts = i == 0 || p[i - 1] == '/';
    if (p[i] == '+') return level_starts && (i + 1 == n || p[i + 1] == '/');
    return level_starts && i + 1 == n;  // '#'
  };
  // Checks one vector whose lane k holds byte `at(k)` of s, for the lanes in `valid`.
  const auto accept = [&](__m128i v, unsigned valid, auto at) noexcept {
    if ((bad_lanes(v) & valid) != 0) return false;
    if constexpr (Rule == ascii_rule::topic_name) {
      if ((wildcard_lanes(v) & valid) != 0) return false;
    } else if constexpr (Rule == ascii_rule::topic_filter) {
      for (unsigned w = wildcard_lanes(v) & valid; w != 0; w &= w - 1) {
        if (!wildcard_fits(at(static_cast<unsigned>(std::countr_zero(w))))) return false;
      }
    }
    return true;
  };
  if (n >= 16) {
    // Whole blocks, then one last block that overlaps the one before (bytes seen twice give
    // the same answer twice).
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      if (!accept(v, 0xFFFFu, [i](unsigned k) { return i + k; })) return false;
    }
    if (i == n) return true;
    const std::size_t last = n - 16;
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + last));
    return accept(v, 0xFFFFu, [last](unsigned k) { return last + k; });
  }
  if (n >= 8) {  // bytes 0..7 in lanes 0..7, bytes n-8..n-1 in lanes 8..15
    const __m128i v = _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)),
                                         _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + n - 8)));
    return accept(v, 0xFFFFu, [n](unsigned k) { return k < 8 ? k : n - 16 + k; });
  }
  // 4..7 bytes: bytes 0..3 in lanes 0..3, bytes n-4..n-1 in lanes 4..7; lanes 8..15 unused.
  std::int32_t head = 0, tail = 0;
  std::memcpy(&head, p, 4);
  std::memcpy(&tail, p + n - 4, 4);
  const __m128i v = _mm_unpacklo_epi32(_mm_cvtsi32_si128(head), _mm_cvtsi32_si128(tail));
  return accept(v, 0x00FFu, [n](unsigned k) { return k < 4 ? k : n - 8 + k; });
#else
  static_cast<void>(s);
  static_cast<void>(reject_controls);
  return false;
#endif
}

/// Checks RFC 3629 well-formedness (which excludes overlong forms, surrogates and values above
/// U+10FFFF) and U+0000; with `reject_discouraged`, also the MAY-close set above.
constexpr string_fault check_utf8(std::string_view s, bool reject_discouraged) noexcept {
  if (!std::is_constant_evaluated()) {
    if (ascii_fast_accept<ascii_rule::string>(s, reject_discouraged)) return {};
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
