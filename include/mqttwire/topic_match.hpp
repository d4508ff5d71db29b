// SPDX-License-Identifier: MIT
// mqttwire: whether a topic filter matches a topic name (spec reference §4.3, 3.1.1 §4.7).
#ifndef MQTTWIRE_TOPIC_MATCH_HPP
#define MQTTWIRE_TOPIC_MATCH_HPP

#include <cstddef>
#include <string_view>

namespace mqttwire {

/// True when `filter` matches the topic name `name`, level by level (spec reference §4.3):
/// '+' matches exactly one level, possibly empty; '#' matches the parent level and any number of
/// children, so "sport/#" matches "sport"; empty levels count; bytes are compared exactly
/// (case-sensitive, no normalisation [MQTT-4.7.3-4]). With `dollar_rule` (the default, applied to
/// both versions as brokers do) a filter starting with a wildcard does not match a name starting
/// with '$' [MQTT-4.7.2-1]. Preconditions: validate_topic_filter(filter) and
/// validate_topic_name(name) succeed; otherwise the answer follows the same level comparison.
/// No allocation; constexpr.
constexpr bool topic_matches(std::string_view filter, std::string_view name,
                             bool dollar_rule = true) noexcept {
  if (dollar_rule && !name.empty() && name.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  std::size_t f = 0;  // start of the current filter level
  std::size_t n = 0;  // start of the current name level
  bool name_done = false;
  for (;;) {
    const std::size_t f_slash = filter.find('/', f);
    const std::size_t f_end = f_slash == std::string_view::npos ? filter.size() : f_slash;
    const std::string_view f_level = filter.substr(f, f_end - f);
    if (f_level == "#") return true;  // the rest of the name, zero levels included
    if (name_done) return false;      // the filter has a level the name lacks
    const std::size_t n_slash = name.find('/', n);
    const std::size_t n_end = n_slash == std::string_view::npos ? name.size() : n_slash;
    if (f_level != "+" && f_level != name.substr(n, n_end - n)) return false;
    if (f_slash == std::string_view::npos) return n_slash == std::string_view::npos;
    f = f_slash + 1;
    if (n_slash == std::string_view::npos) {
      name_done = true;
    } else {
      n = n_slash + 1;
    }
  }
}

}  // namespace mqttwire

#endif  // MQTTWIRE_TOPIC_MATCH_HPP
