// SPDX-License-Identifier: MIT
// mqttwire: validation of topic names and topic filters (spec reference §4, 3.1.1 §4.7).
#ifndef MQTTWIRE_TOPIC_HPP
#define MQTTWIRE_TOPIC_HPP

#include "mqttwire/detail/utf8.hpp"
#include "mqttwire/detail/wire.hpp"
#include "mqttwire/error.hpp"
#include "mqttwire/options.hpp"

#include <cstddef>
#include <string_view>
#include <type_traits>

namespace mqttwire {

/// Checks a topic name (PUBLISH topic, will topic): 1..65,535 bytes of valid UTF-8 without
/// U+0000 and without '+' or '#' anywhere ([MQTT-4.7.3-1], [MQTT-4.7.3-3], [MQTT-4.7.1-1]).
/// Returns {success, 0} or the first fault with its byte offset in `name`. Possible codes:
/// empty_topic_name, string_too_long, invalid_utf8, null_character, control_character,
/// non_character (the last two only with options::reject_control_characters),
/// wildcard_in_topic_name.
constexpr error validate_topic_name(std::string_view name, const options& opts = default_options) noexcept {
  if (name.empty()) return {errc::empty_topic_name, 0};
  if (name.size() > detail::max_string_length) return {errc::string_too_long, 0};
  // One vector pass for the common all-ASCII name; anything else gets the exact checks below.
  if (!std::is_constant_evaluated() &&
      detail::ascii_fast_accept<detail::ascii_rule::topic_name>(name.data(), name.size(),
                                                                 opts.reject_control_characters)) {
    return {};
  }
  if (const auto fault = detail::check_utf8(name, opts.reject_control_characters)) {
    return {fault.code, fault.offset};
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '+' || name[i] == '#') return {errc::wildcard_in_topic_name, i};
  }
  return {};
}

/// Checks a topic filter (SUBSCRIBE, UNSUBSCRIBE): 1..65,535 bytes of valid UTF-8 without
/// U+0000, where '+' fills a whole level ([MQTT-4.7.1-3]) and '#' fills the whole last level
/// ([MQTT-4.7.1-2]). Empty levels are allowed. Returns {success, 0} or the first fault and its
/// offset. Codes: empty_topic_filter, string_too_long, the UTF-8 codes of validate_topic_name,
/// misplaced_single_level_wildcard, misplaced_multi_level_wildcard.
constexpr error validate_topic_filter(std::string_view filter, const options& opts = default_options) noexcept {
  if (filter.empty()) return {errc::empty_topic_filter, 0};
  if (filter.size() > detail::max_string_length) return {errc::string_too_long, 0};
  if (!std::is_constant_evaluated() &&
      detail::ascii_fast_accept<detail::ascii_rule::topic_filter>(filter.data(), filter.size(),
                                                                   opts.reject_control_characters)) {
    return {};
  }
  if (const auto fault = detail::check_utf8(filter, opts.reject_control_characters)) {
    return {fault.code, fault.offset};
  }
  std::size_t level_start = 0;
  for (std::size_t i = 0; i < filter.size(); ++i) {
    const char c = filter[i];
    if (c == '/') {
      level_start = i + 1;
      continue;
    }
    const bool level_ends_here = i + 1 == filter.size() || filter[i + 1] == '/';
    const bool whole_level = i == level_start && level_ends_here;
    if (c == '+' && !whole_level) return {errc::misplaced_single_level_wildcard, i};
    if (c == '#' && !(whole_level && i + 1 == filter.size())) {
      return {errc::misplaced_multi_level_wildcard, i};
    }
  }
  return {};
}

constexpr bool is_valid_topic_name(std::string_view name, const options& opts = default_options) noexcept {
  return validate_topic_name(name, opts).code == errc::success;
}
constexpr bool is_valid_topic_filter(std::string_view filter, const options& opts = default_options) noexcept {
  return validate_topic_filter(filter, opts).code == errc::success;
}

/// True when the filter contains a wildcard, so that a server without wildcard support can
/// refuse it with SUBACK 0x80 ([MQTT-3.8.3-2]). Precondition: the filter is valid.
constexpr bool has_wildcards(std::string_view filter) noexcept {
  return filter.find_first_of("+#") != std::string_view::npos;
}

}  // namespace mqttwire

#endif  // MQTTWIRE_TOPIC_HPP
