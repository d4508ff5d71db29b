// SPDX-License-Identifier: MIT
// traffic: the monitor's analysis: per-segment average speed over a sliding time window, the
// congestion alerts it raises and clears (with hysteresis), and latency percentiles.
#ifndef MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_CONGESTION_HPP
#define MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_CONGESTION_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace traffic {

struct congestion_options {
  std::int64_t window_ms = 10'000;  ///< samples older than this are forgotten
  double threshold = 4.0;           ///< m/s: an average below it raises the alert
  double clear_above = 6.0;         ///< m/s: an average at or above it clears it (hysteresis)
  std::size_t min_samples = 3;      ///< fewer samples in the window decide nothing
};

/// An alert raised (`active`) or cleared on a segment, as evaluate() reports it.
struct alert_change {
  std::string segment;
  bool active = false;
  double avg_speed = 0;
  std::int64_t since = 0;  ///< when it was raised (the evaluate() time)
  friend bool operator==(const alert_change&, const alert_change&) = default;
};

/// A segment's average over the window, for the live table.
struct segment_speed {
  std::string segment;
  double avg_speed = 0;
  std::size_t samples = 0;
  bool congested = false;
};

/// Speed samples per segment in a sliding window. add() a sample per position report, then
/// evaluate(now) about once a second: it drops what fell out of the window and returns the
/// alerts that changed. An alert is raised when at least min_samples are in the window and
/// their mean is below threshold; it is cleared when the mean reaches clear_above, or when the
/// window is empty (nobody is on the segment any more). Times are milliseconds on any clock,
/// never going back.
class congestion_detector {
 public:
  explicit congestion_detector(congestion_options o = {}) : opts_(o) {}

  const congestion_options& options() const noexcept { return opts_; }

  void add(std::string_view segment, double speed, std::int64_t t_ms) {
    auto it = segments_.find(segment);
    if (it == segments_.end()) it = segments_.emplace(std::string(segment), window{}).first;
    it->second.samples.push_back({t_ms, speed});
    it->second.sum += speed;
  }

  std::vector<alert_change> evaluate(std::int64_t now_ms) {
    std::vector<alert_change> changes;
    for (auto& [id, w] : segments_) {
      while (!w.samples.empty() && w.samples.front().t <= now_ms - opts_.window_ms) {
        w.sum -= w.samples.front().speed;
        w.samples.pop_front();
      }
      if (w.samples.empty()) w.sum = 0;  // no drift from the running sum
      const std::size_t n = w.samples.size();
      const double avg = n == 0 ? 0.0 : w.sum / static_cast<double>(n);
      if (!w.active) {
        if (n >= opts_.min_samples && avg < opts_.threshold) {
          w.active = true;
          w.since = now_ms;
          changes.push_back({id, true, avg, now_ms});
        }
      } else if (n == 0 || (n >= opts_.min_samples && avg >= opts_.clear_above)) {
        w.active = false;
        changes.push_back({id, false, avg, w.since});
      }
    }
    return changes;
  }

  /// Mean speed of a segment's window (as of the last evaluate() plus later samples).
  std::optional<double> average(std::string_view segment) const {
    const auto it = segments_.find(segment);
    if (it == segments_.end() || it->second.samples.empty()) return std::nullopt;
    return it->second.sum / static_cast<double>(it->second.samples.size());
  }
  bool congested(std::string_view segment) const {
    const auto it = segments_.find(segment);
    return it != segments_.end() && it->second.active;
  }
  /// The `n` slowest segments with at least min_samples, slowest first.
  std::vector<segment_speed> slowest(std::size_t n) const {
    std::vector<segment_speed> all;
    for (const auto& [id, w] : segments_) {
      if (w.samples.size() < opts_.min_samples) continue;
      all.push_back({id, w.sum / static_cast<double>(w.samples.size()), w.samples.size(), w.active});
    }
    std::sort(all.begin(), all.end(), [](const segment_speed& a, const segment_speed& b) {
      return a.avg_speed != b.avg_speed ? a.avg_speed < b.avg_speed : a.segment < b.segment;
    });
    if (all.size() > n) all.resize(n);
    return all;
  }
  std::vector<std::string> active() const {
    std::vector<std::string> out;
    for (const auto& [id, w] : segments_) {
      if (w.active) out.push_back(id);
    }
    return out;
  }

 private:
  struct sample {
    std::int64_t t;
    double speed;
  };
  struct window {
    std::deque<sample> samples;
    double sum = 0;
    bool active = false;
    std::int64_t since = 0;
  };
  congestion_options opts_;
  std::map<std::string, window, std::less<>> segments_;
};

/// The p-th percentile (0..100) of `values` by the nearest-rank method; nullopt when empty.
/// Reorders `values`.
inline std::optional<double> percentile(std::vector<double>& values, double p) {
  if (values.empty()) return std::nullopt;
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const std::size_t k =
      static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(values.size()))) - 1;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

}  // namespace traffic

#endif  // MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_CONGESTION_HPP
