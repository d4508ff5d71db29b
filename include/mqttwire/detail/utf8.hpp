// SPDX-License-Identifier: MIT
// mqttwire: UTF-8 well-formedness for MQTT strings ([MQTT-1.5.3-1], [MQTT-1.5.3-2], §1.5.3).
#ifndef MQTTWIRE_DETAIL_UTF8_HPP
#define MQTTWIRE_DETAIL_UTF8_HPP

#include "mqttwire/detail/wire.hpp"
#include "mqttwire/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

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

/// Checks RFC 3629 well-formedness (which excludes overlong forms, surrogates and values above
/// U+10FFFF) and U+0000; with `reject_discouraged`, also the MAY-close set above.
constexpr string_fault check_utf8(std::string_view s, bool reject_discouraged) noexcept {
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
