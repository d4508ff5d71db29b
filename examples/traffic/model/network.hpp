// SPDX-License-Identifier: MIT
// traffic: the road network (directed segments with a shape and a speed limit), the built-in
// grid, and its GeoJSON form published on traffic/network.
#ifndef MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_NETWORK_HPP
#define MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_NETWORK_HPP

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace traffic {

/// A point in the network's plane, in metres (x east, y north).
struct point {
  double x = 0;
  double y = 0;
  friend bool operator==(const point&, const point&) = default;
};

/// Compass heading of the direction (dx, dy) in degrees: 0 is north (+y), 90 east (+x), the
/// convention of SUMO's `angle` too.
inline double compass_heading(double dx, double dy) {
  double h = std::atan2(dx, dy) * 180.0 / 3.14159265358979323846;
  if (h < 0) h += 360.0;
  return h;
}

/// One directed road segment (a lane direction): vehicles drive along `shape` from its first
/// point to its last. Its id is a valid MQTT topic level (no '/', '+', '#').
struct segment {
  std::string id;
  std::string name;
  double speed_limit = 13.89;  ///< m/s
  std::vector<point> shape;    ///< at least two points
  std::vector<std::size_t> next{};  ///< segments a vehicle may continue on (built-in network)
  std::optional<std::size_t> reverse{};  ///< the opposite direction of the same road, if any

  /// Length of the shape, in metres.
  double length() const {
    double l = 0;
    for (std::size_t i = 1; i < shape.size(); ++i) {
      l += std::hypot(shape[i].x - shape[i - 1].x, shape[i].y - shape[i - 1].y);
    }
    return l;
  }
  /// The point `s` metres along the shape (clamped to its ends) and the compass heading there.
  std::pair<point, double> at(double s) const {
    for (std::size_t i = 1; i < shape.size(); ++i) {
      const double dx = shape[i].x - shape[i - 1].x, dy = shape[i].y - shape[i - 1].y;
      const double l = std::hypot(dx, dy);
      if (s <= l || i + 1 == shape.size()) {
        const double f = l > 0 ? std::clamp(s / l, 0.0, 1.0) : 0.0;
        return {{shape[i - 1].x + f * dx, shape[i - 1].y + f * dy}, compass_heading(dx, dy)};
      }
      s -= l;
    }
    return {shape.empty() ? point{} : shape.front(), 0.0};
  }
};

/// A road network: segments addressed by index, and by id through find().
class road_network {
 public:
  road_network() = default;
  explicit road_network(std::vector<segment> segments) : segments_(std::move(segments)) {
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      lengths_.push_back(segments_[i].length());
      index_.emplace(segments_[i].id, i);
    }
  }
  const std::vector<segment>& segments() const noexcept { return segments_; }
  const segment& operator[](std::size_t i) const { return segments_[i]; }
  std::size_t size() const noexcept { return segments_.size(); }
  double length(std::size_t i) const { return lengths_[i]; }
  std::optional<std::size_t> find(std::string_view id) const {
    const auto it = index_.find(std::string(id));
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::vector<segment> segments_;
  std::vector<double> lengths_;
  std::unordered_map<std::string, std::size_t> index_;
};

/// The name of grid column `i` as a spreadsheet names columns: A..Z, AA, AB, ...
inline std::string column_name(std::size_t i) {
  std::string s;
  for (std::size_t n = i + 1; n > 0; n = (n - 1) / 26) {
    s.insert(s.begin(), static_cast<char>('A' + static_cast<int>((n - 1) % 26)));
  }
  return s;
}

/// The built-in network: `cols` x `rows` intersections `block` metres apart, every pair of
/// neighbours joined by a two-way road, one directed segment per direction, drawn `offset`
/// metres to the right of the centre line (so the two directions are apart on a map). Node
/// (i, j) is named column_name(i) + (j + 1); segment "B2-C2" goes from B2 to C2. The middle
/// row and column are 60 km/h arterials, every third other street is a 30 km/h zone, the
/// rest 50 km/h. Precondition: cols, rows >= 2.
inline road_network make_grid(std::size_t cols, std::size_t rows, double block = 200.0,
                              double offset = 4.0) {
  if (cols < 2 || rows < 2) throw std::invalid_argument("a grid needs at least 2 x 2 nodes");
  static constexpr const char* kStreets[] = {"Main", "Oak",  "Pine", "Elm",  "Lake",  "Hill",
                                             "Park", "Mill", "Cedar", "Birch", "River", "Church"};
  const auto node = [](std::size_t i, std::size_t j) {
    return column_name(i) + std::to_string(j + 1);
  };
  const auto street = [](std::size_t j) {
    const std::size_t n = std::size(kStreets);
    std::string name = kStreets[j % n];
    if (j >= n) name.append(" ").append(std::to_string(j / n + 1));
    name.append(" Street");
    return name;
  };
  const auto avenue = [](std::size_t i) {
    const std::size_t n = i + 1;
    const char* suffix = (n % 10 == 1 && n % 100 != 11)   ? "st"
                         : (n % 10 == 2 && n % 100 != 12) ? "nd"
                         : (n % 10 == 3 && n % 100 != 13) ? "rd"
                                                          : "th";
    return std::to_string(n) + suffix + " Avenue";
  };
  const auto limit = [](std::size_t k, std::size_t count) {
    if (k == count / 2) return 16.67;         // 60 km/h arterial
    if (k % 3 == 2) return 8.33;              // 30 km/h zone
    return 13.89;                             // 50 km/h
  };
  std::vector<segment> segs;
  std::unordered_map<std::string, std::size_t> by_id;
  // from-node -> outgoing segment indices, to wire `next` afterwards
  std::vector<std::vector<std::size_t>> out_of(cols * rows);
  std::vector<std::size_t> to_node;
  const auto add = [&](std::size_t i0, std::size_t j0, std::size_t i1, std::size_t j1,
                       std::string name, double speed) {
    const double x0 = static_cast<double>(i0) * block, y0 = static_cast<double>(j0) * block;
    const double x1 = static_cast<double>(i1) * block, y1 = static_cast<double>(j1) * block;
    const double len = std::hypot(x1 - x0, y1 - y0);
    const double rx = (y1 - y0) / len * offset, ry = -(x1 - x0) / len * offset;  // to the right
    segment s;
    s.id = node(i0, j0) + "-" + node(i1, j1);
    s.name = std::move(name);
    s.speed_limit = speed;
    s.shape = {{x0 + rx, y0 + ry}, {x1 + rx, y1 + ry}};
    out_of[j0 * cols + i0].push_back(segs.size());
    to_node.push_back(j1 * cols + i1);
    by_id.emplace(s.id, segs.size());
    segs.push_back(std::move(s));
  };
  for (std::size_t j = 0; j < rows; ++j) {
    for (std::size_t i = 0; i + 1 < cols; ++i) {
      add(i, j, i + 1, j, street(j) + " eastbound", limit(j, rows));
      add(i + 1, j, i, j, street(j) + " westbound", limit(j, rows));
    }
  }
  for (std::size_t i = 0; i < cols; ++i) {
    for (std::size_t j = 0; j + 1 < rows; ++j) {
      add(i, j, i, j + 1, avenue(i) + " northbound", limit(i, cols));
      add(i, j + 1, i, j, avenue(i) + " southbound", limit(i, cols));
    }
  }
  for (std::size_t k = 0; k < segs.size(); k += 2) {  // added in pairs: k and k + 1
    segs[k].reverse = k + 1;
    segs[k + 1].reverse = k;
  }
  for (std::size_t k = 0; k < segs.size(); ++k) {
    for (const std::size_t n : out_of[to_node[k]]) {
      if (n != segs[k].reverse) segs[k].next.push_back(n);
    }
    // a dead end (none in a grid of 2 x 2 or more, but keep the rule): turn back
    if (segs[k].next.empty() && segs[k].reverse) segs[k].next.push_back(*segs[k].reverse);
  }
  return road_network(std::move(segs));
}

/// The smallest square grid with room for `vehicles` at about `metres_per_vehicle` of lane
/// each (at least 3 x 3).
inline std::size_t grid_size_for(std::size_t vehicles, double block = 200.0,
                                 double metres_per_vehicle = 60.0) {
  std::size_t k = 3;
  // a k x k grid has 2 k (k - 1) roads, 4 k (k - 1) directed segments of `block` metres
  while (4.0 * static_cast<double>(k * (k - 1)) * block <
         static_cast<double>(vehicles) * metres_per_vehicle) {
    ++k;
  }
  return k;
}

/// The network as GeoJSON: a FeatureCollection of LineString features, one per segment, with
/// coordinates [x, y] in metres in the network's plane and properties id, name, speed_limit.
inline nlohmann::json to_geojson(const road_network& net) {
  nlohmann::json features = nlohmann::json::array();
  for (const segment& s : net.segments()) {
    nlohmann::json coords = nlohmann::json::array();
    for (const point& p : s.shape) {
      coords.push_back({std::round(p.x * 100) / 100, std::round(p.y * 100) / 100});
    }
    features.push_back({{"type", "Feature"},
                        {"geometry", {{"type", "LineString"}, {"coordinates", coords}}},
                        {"properties",
                         {{"id", s.id},
                          {"name", s.name},
                          {"speed_limit", std::round(s.speed_limit * 100) / 100}}}});
  }
  return {{"type", "FeatureCollection"}, {"features", features}};
}

/// Reads the GeoJSON of to_geojson() back (what a monitor needs: ids, names, limits, shapes;
/// `next` and `reverse` are not part of it). Throws nlohmann::json::exception or
/// std::invalid_argument on a document of another shape.
inline road_network from_geojson(const nlohmann::json& doc) {
  if (doc.at("type") != "FeatureCollection") throw std::invalid_argument("not a FeatureCollection");
  std::vector<segment> segs;
  for (const nlohmann::json& f : doc.at("features")) {
    const nlohmann::json& g = f.at("geometry");
    if (g.at("type") != "LineString") continue;
    segment s;
    const nlohmann::json& props = f.at("properties");
    s.id = props.at("id").get<std::string>();
    s.name = props.value("name", s.id);
    s.speed_limit = props.value("speed_limit", 13.89);
    for (const nlohmann::json& c : g.at("coordinates")) {
      s.shape.push_back({c.at(0).get<double>(), c.at(1).get<double>()});
    }
    if (s.shape.size() < 2) throw std::invalid_argument("segment " + s.id + " has < 2 points");
    segs.push_back(std::move(s));
  }
  return road_network(std::move(segs));
}

}  // namespace traffic

#endif  // MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_NETWORK_HPP
