// SPDX-License-Identifier: MIT
// traffic: the two clocks of the programs: monotonic time for the sessions, wall time for the
// payloads' `t` (so two processes on one machine can measure latency between them).
#ifndef MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_CLOCK_HPP
#define MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_CLOCK_HPP

#include <mqttwire/session/state.hpp>

#include <chrono>
#include <cstdint>

namespace traffic {

inline mqttwire::time_point mono_now() { return std::chrono::steady_clock::now(); }

/// Milliseconds since the Unix epoch.
inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Milliseconds from `now` until `t`, at least 0, at most `cap`.
inline int ms_until(mqttwire::time_point t, mqttwire::time_point now, int cap) {
  const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count();
  if (d <= 0) return 0;
  return d > cap ? cap : static_cast<int>(d) + 1;  // +1: wake after, not just before, the deadline
}

}  // namespace traffic

#endif  // MQTTWIRE_EXAMPLES_TRAFFIC_COMMON_CLOCK_HPP
