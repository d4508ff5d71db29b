// SPDX-License-Identifier: MIT
// traffic: the topics and JSON payloads of the traffic system (docs/traffic.md is the contract).
#ifndef MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_PAYLOADS_HPP
#define MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_PAYLOADS_HPP

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace traffic {

namespace topics {
inline constexpr std::string_view network = "traffic/network";
inline constexpr std::string_view positions = "traffic/vehicles/+/position";
inline constexpr std::string_view statuses = "traffic/vehicles/+/status";
inline constexpr std::string_view alerts = "traffic/alerts/congestion/+";
// (appended, not `"literal" + std::string`, which g++ 12 -O3 flags with a false -Wrestrict)
inline std::string join(std::string_view a, std::string_view b, std::string_view c = {}) {
  std::string s;
  s.reserve(a.size() + b.size() + c.size());
  s.append(a).append(b).append(c);
  return s;
}
inline std::string position(std::string_view vehicle) {
  return join("traffic/vehicles/", vehicle, "/position");
}
inline std::string status(std::string_view vehicle) {
  return join("traffic/vehicles/", vehicle, "/status");
}
inline std::string alert(std::string_view segment) {
  return join("traffic/alerts/congestion/", segment);
}
/// The level between "traffic/vehicles/" and the next '/', or empty when `topic` is not a
/// vehicle topic.
inline std::string_view vehicle_of(std::string_view topic) {
  constexpr std::string_view prefix = "traffic/vehicles/";
  if (topic.substr(0, prefix.size()) != prefix) return {};
  topic.remove_prefix(prefix.size());
  const auto slash = topic.find('/');
  return slash == std::string_view::npos ? std::string_view{} : topic.substr(0, slash);
}
inline constexpr std::string_view alert_prefix = "traffic/alerts/congestion/";
}  // namespace topics

inline constexpr std::string_view kOnline = "online";
inline constexpr std::string_view kOffline = "offline";

/// traffic/vehicles/<id>/position: where a vehicle is. `t` is the wall-clock time of the
/// report in milliseconds since the Unix epoch (so a subscriber can measure the end-to-end
/// latency); `seq` counts the vehicle's reports from 0 (so it can count losses).
struct position_report {
  std::string id{};
  std::int64_t t = 0;
  double x = 0;        ///< metres, in the plane of traffic/network
  double y = 0;
  double heading = 0;  ///< compass degrees: 0 north (+y), 90 east (+x)
  double speed = 0;    ///< m/s
  std::string segment{};
  std::uint64_t seq = 0;
  friend bool operator==(const position_report&, const position_report&) = default;
};

/// Rounded to `digits` decimals, so the JSON stays short (12.34, not 12.340000000000002).
inline double rounded(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

inline std::string to_json(const position_report& p) {
  const nlohmann::json j = {{"id", p.id},
                            {"t", p.t},
                            {"x", rounded(p.x, 2)},
                            {"y", rounded(p.y, 2)},
                            {"heading", rounded(p.heading, 1)},
                            {"speed", rounded(p.speed, 2)},
                            {"segment", p.segment},
                            {"seq", p.seq}};
  return j.dump();
}

/// Parses a position payload; nullopt when it is not JSON or lacks a field of the contract
/// (`seq` is optional: other publishers may leave it out, it is then 0).
inline std::optional<position_report> parse_position(std::string_view payload) {
  const nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  try {
    position_report p;
    p.id = j.at("id").get<std::string>();
    p.t = j.at("t").get<std::int64_t>();
    p.x = j.at("x").get<double>();
    p.y = j.at("y").get<double>();
    p.heading = j.at("heading").get<double>();
    p.speed = j.at("speed").get<double>();
    p.segment = j.at("segment").get<std::string>();
    p.seq = j.value("seq", std::uint64_t{0});
    return p;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

/// traffic/alerts/congestion/<segment>, retained: the segment's average speed over the
/// monitor's window fell below `threshold` at `since` (ms since the Unix epoch). An empty
/// retained payload on the same topic clears it.
struct congestion_alert {
  std::string segment;
  double avg_speed = 0;  ///< m/s
  double threshold = 0;  ///< m/s
  std::int64_t since = 0;
  friend bool operator==(const congestion_alert&, const congestion_alert&) = default;
};

inline std::string to_json(const congestion_alert& a) {
  const nlohmann::json j = {{"segment", a.segment},
                            {"avg_speed", rounded(a.avg_speed, 2)},
                            {"threshold", rounded(a.threshold, 2)},
                            {"since", a.since}};
  return j.dump();
}

/// Parses an alert payload; nullopt for an empty payload (a cleared alert) or a malformed one.
inline std::optional<congestion_alert> parse_alert(std::string_view payload) {
  if (payload.empty()) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  try {
    congestion_alert a;
    a.segment = j.at("segment").get<std::string>();
    a.avg_speed = j.at("avg_speed").get<double>();
    a.threshold = j.at("threshold").get<double>();
    a.since = j.at("since").get<std::int64_t>();
    return a;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace traffic

#endif  // MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_PAYLOADS_HPP
