// SPDX-License-Identifier: MIT
// traffic-monitor: what the monitor keeps and reports once a second: vehicles online and seen,
// message rate, end-to-end latency, losses and duplicates per vehicle, and the congestion
// detector with its slowest segments. No I/O: main.cpp feeds it.
#ifndef MQTTWIRE_EXAMPLES_TRAFFIC_MONITOR_ANALYSIS_HPP
#define MQTTWIRE_EXAMPLES_TRAFFIC_MONITOR_ANALYSIS_HPP

#include "model/congestion.hpp"
#include "model/network.hpp"
#include "model/payloads.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace traffic {

/// One second of the monitor, as printed.
struct monitor_snapshot {
  std::int64_t t = 0;  ///< wall ms
  std::size_t online = 0;
  std::size_t seen = 0;  ///< vehicles that sent a position
  std::uint64_t messages_per_s = 0;
  std::optional<double> latency_p50{};  ///< ms, over the last second
  std::optional<double> latency_p99{};
  std::uint64_t received = 0;  ///< position reports, in all
  std::uint64_t lost = 0;      ///< seq numbers never received (gaps)
  std::uint64_t duplicates = 0;
  std::vector<segment_speed> slowest{};
  std::vector<std::string> alerts{};
};

class analysis {
 public:
  explicit analysis(congestion_options o = {}) : detector_(o) {}

  const congestion_detector& detector() const noexcept { return detector_; }

  void on_network(const road_network& net) {
    for (const segment& s : net.segments()) segments_[s.id] = {s.name, s.speed_limit};
  }
  bool has_network() const noexcept { return !segments_.empty(); }

  void on_status(std::string_view vehicle, std::string_view payload) {
    if (payload == kOnline) {
      online_.insert(std::string(vehicle));
    } else {
      online_.erase(std::string(vehicle));
    }
  }

  /// A position report received at `now_ms` (wall clock, for the latency). Counts gaps in
  /// `seq` as losses until the missing numbers arrive late, repeats as duplicates; a vehicle
  /// whose seq goes back to 0 has restarted.
  void on_position(const position_report& p, std::int64_t now_ms) {
    ++received_;
    ++this_second_;
    latencies_.push_back(static_cast<double>(now_ms - p.t));
    detector_.add(p.segment, p.speed, now_ms);
    auto [it, fresh] = vehicles_.try_emplace(p.id);
    track& v = it->second;
    if (fresh || (p.seq == 0 && v.next > 1)) {  // first seen, or restarted (its old gaps stay)
      v.next = p.seq + 1;
      v.missing.clear();
      return;
    }
    if (p.seq == v.next) {
      ++v.next;
    } else if (p.seq > v.next) {
      for (std::uint64_t s = v.next; s < p.seq; ++s) v.missing.insert(s);
      lost_ += p.seq - v.next;
      v.next = p.seq + 1;
    } else if (v.missing.erase(p.seq) != 0) {
      --lost_;  // late, not lost
    } else {
      ++duplicates_;
    }
  }

  /// The end of a second: alerts that changed, and the snapshot to print.
  std::vector<alert_change> tick(std::int64_t now_ms, monitor_snapshot& out,
                                 std::size_t slowest = 5) {
    std::vector<alert_change> changes = detector_.evaluate(now_ms);
    out = monitor_snapshot{};
    out.t = now_ms;
    out.online = online_.size();
    out.seen = vehicles_.size();
    out.messages_per_s = this_second_;
    out.latency_p50 = percentile(latencies_, 50);
    out.latency_p99 = percentile(latencies_, 99);
    out.received = received_;
    out.lost = lost_;
    out.duplicates = duplicates_;
    out.slowest = detector_.slowest(slowest);
    out.alerts = detector_.active();
    this_second_ = 0;
    latencies_.clear();
    return changes;
  }

  /// The segment's name and limit from traffic/network, if known.
  std::optional<std::pair<std::string, double>> describe(const std::string& seg) const {
    const auto it = segments_.find(seg);
    if (it == segments_.end()) return std::nullopt;
    return it->second;
  }
  /// Vehicle ids that sent a position.
  std::vector<std::string> seen_ids() const {
    std::vector<std::string> out;
    for (const auto& [id, t] : vehicles_) out.push_back(id);
    return out;
  }

  nlohmann::json to_json(const monitor_snapshot& s) const {
    nlohmann::json slow = nlohmann::json::array();
    for (const segment_speed& x : s.slowest) {
      slow.push_back({{"segment", x.segment},
                      {"avg_speed", rounded(x.avg_speed, 2)},
                      {"samples", x.samples},
                      {"congested", x.congested}});
    }
    const auto opt = [](const std::optional<double>& d) {
      return d ? nlohmann::json(rounded(*d, 1)) : nlohmann::json(nullptr);
    };
    return {{"t", s.t},
            {"online", s.online},
            {"seen", s.seen},
            {"messages_per_s", s.messages_per_s},
            {"latency_ms", {{"p50", opt(s.latency_p50)}, {"p99", opt(s.latency_p99)}}},
            {"received", s.received},
            {"lost", s.lost},
            {"duplicates", s.duplicates},
            {"alerts", s.alerts},
            {"slowest", slow}};
  }

  /// The live table (a few lines of text, no escape codes).
  std::string table(const monitor_snapshot& s, const std::string& title) const {
    std::string out;
    char line[256];
    const auto ms = [](const std::optional<double>& d) {
      char b[32];
      if (!d) return std::string("-");
      std::snprintf(b, sizeof b, "%.0f ms", *d);
      return std::string(b);
    };
    std::snprintf(line, sizeof line, "%s\n", title.c_str());
    out += line;
    std::snprintf(line, sizeof line,
                  "vehicles online %-6zu seen %-6zu messages/s %-7llu latency p50 %s, p99 %s\n",
                  s.online, s.seen, static_cast<unsigned long long>(s.messages_per_s),
                  ms(s.latency_p50).c_str(), ms(s.latency_p99).c_str());
    out += line;
    std::snprintf(line, sizeof line,
                  "positions received %llu, lost %llu, duplicates %llu; congestion alerts: %zu\n",
                  static_cast<unsigned long long>(s.received),
                  static_cast<unsigned long long>(s.lost),
                  static_cast<unsigned long long>(s.duplicates), s.alerts.size());
    out += line;
    std::snprintf(line, sizeof line, "%-10s %-30s %9s %9s %8s\n", "segment", "slowest (window)",
                  "avg km/h", "limit", "samples");
    out += line;
    for (const segment_speed& x : s.slowest) {
      const auto d = describe(x.segment);
      std::snprintf(line, sizeof line, "%-10s %-30s %9.1f %9s %8zu%s\n", x.segment.c_str(),
                    d ? d->first.substr(0, 30).c_str() : "?", x.avg_speed * 3.6,
                    d ? std::to_string(static_cast<int>(d->second * 3.6 + 0.5)).c_str() : "?",
                    x.samples, x.congested ? "  CONGESTED" : "");
      out += line;
    }
    return out;
  }

 private:
  struct track {
    std::uint64_t next = 0;  // the seq expected next
    std::set<std::uint64_t> missing;
  };
  congestion_detector detector_;
  std::map<std::string, std::pair<std::string, double>> segments_;
  std::set<std::string> online_;
  std::map<std::string, track> vehicles_;
  std::vector<double> latencies_;
  std::uint64_t this_second_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t lost_ = 0;
  std::uint64_t duplicates_ = 0;
};

}  // namespace traffic

#endif  // MQTTWIRE_EXAMPLES_TRAFFIC_MONITOR_ANALYSIS_HPP
