// SPDX-License-Identifier: MIT
// traffic: readers for Eclipse SUMO's files: the net file (edges and lanes with their shapes)
// as a road_network, and the floating-car data of `sumo --fcd-output`, one timestep at a time
// (streaming with expat: FCD files grow large).
#ifndef MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_SUMO_HPP
#define MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_SUMO_HPP

#include "model/network.hpp"

#include <expat.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdlib>
#include <deque>
#include <istream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace traffic::sumo {

/// A SUMO id made fit to be one MQTT topic level: '/', '+' and '#' become '_'.
inline std::string topic_safe(std::string_view id) {
  std::string s(id);
  for (char& c : s) {
    if (c == '/' || c == '+' || c == '#') c = '_';
  }
  return s;
}

/// The edge of a lane id ("B1C1_0" -> "B1C1"): SUMO names lanes <edge>_<index>.
inline std::string_view edge_of_lane(std::string_view lane) {
  const auto us = lane.rfind('_');
  if (us == std::string_view::npos || us + 1 == lane.size()) return lane;
  for (std::size_t i = us + 1; i < lane.size(); ++i) {
    if (lane[i] < '0' || lane[i] > '9') return lane;
  }
  return lane.substr(0, us);
}

/// Internal edges (inside junctions) start with ':' in SUMO.
inline bool is_internal(std::string_view edge) { return !edge.empty() && edge.front() == ':'; }

/// Parses SUMO's "x,y x,y ..." shape attribute; throws std::invalid_argument when malformed.
inline std::vector<point> parse_shape(std::string_view text) {
  std::vector<point> out;
  std::string buf(text);
  const char* p = buf.c_str();
  while (*p != '\0') {
    while (*p == ' ') ++p;
    if (*p == '\0') break;
    char* end = nullptr;
    const double x = std::strtod(p, &end);
    if (end == p || *end != ',') throw std::invalid_argument("bad shape: " + buf);
    p = end + 1;
    const double y = std::strtod(p, &end);
    if (end == p) throw std::invalid_argument("bad shape: " + buf);
    p = end;
    if (*p == ',') {  // a z coordinate: skip it
      std::strtod(p + 1, &end);
      p = end;
    }
    out.push_back({x, y});
  }
  return out;
}

namespace detail {

inline const char* attr(const XML_Char** atts, std::string_view name) {
  for (; atts != nullptr && atts[0] != nullptr; atts += 2) {
    if (name == atts[0]) return atts[1];
  }
  return nullptr;
}

// One expat parser fed from a stream in chunks; the derived reader handles the elements.
class expat_stream {
 public:
  explicit expat_stream(std::istream& in) : in_(in), parser_(XML_ParserCreate(nullptr)) {
    if (parser_ == nullptr) throw std::runtime_error("XML_ParserCreate failed");
    XML_SetUserData(parser_.get(), this);
    XML_SetElementHandler(parser_.get(), &expat_stream::start_thunk, &expat_stream::end_thunk);
  }
  virtual ~expat_stream() = default;
  expat_stream(const expat_stream&) = delete;
  expat_stream& operator=(const expat_stream&) = delete;

 protected:
  // Parses one more chunk; false at the end of the document.
  bool pump() {
    if (done_) return false;
    in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    const std::streamsize got = in_.gcount();
    const bool last = got < static_cast<std::streamsize>(buf_.size());
    const XML_Status st =
        XML_Parse(parser_.get(), buf_.data(), static_cast<int>(got), last ? 1 : 0);
    if (!error_.empty()) throw std::runtime_error(error_);  // a handler's error comes first
    if (st == XML_STATUS_ERROR) {
      throw std::runtime_error(
          std::string("XML error at line ") +
          std::to_string(XML_GetCurrentLineNumber(parser_.get())) + ": " +
          XML_ErrorString(XML_GetErrorCode(parser_.get())));
    }
    done_ = last;
    return true;
  }
  virtual void start(std::string_view name, const XML_Char** atts) = 0;
  virtual void end(std::string_view name) = 0;
  std::string error_;  // set by a handler (handlers must not throw through expat's C frames)

 private:
  static void XMLCALL start_thunk(void* self, const XML_Char* name, const XML_Char** atts) {
    auto* s = static_cast<expat_stream*>(self);
    if (!s->error_.empty()) return;
    try {
      s->start(name, atts);
    } catch (const std::exception& e) {
      s->error_ = e.what();
    }
  }
  static void XMLCALL end_thunk(void* self, const XML_Char* name) {
    auto* s = static_cast<expat_stream*>(self);
    if (!s->error_.empty()) return;
    try {
      s->end(name);
    } catch (const std::exception& e) {
      s->error_ = e.what();
    }
  }
  struct parser_free {
    void operator()(XML_Parser p) const noexcept { XML_ParserFree(p); }
  };
  std::istream& in_;
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, parser_free> parser_;
  std::array<char, 1 << 16> buf_{};
  bool done_ = false;
};

class net_reader final : public expat_stream {
 public:
  using expat_stream::expat_stream;
  std::vector<segment> read() {
    while (pump()) {
    }
    return std::move(segs_);
  }

 private:
  void start(std::string_view name, const XML_Char** atts) override {
    if (name == "edge") {
      const char* id = attr(atts, "id");
      const char* function = attr(atts, "function");
      in_edge_ = id != nullptr && !is_internal(id) &&
                 (function == nullptr || std::string_view(function) == "normal");
      if (!in_edge_) return;
      segment s;
      s.id = topic_safe(id);
      const char* n = attr(atts, "name");
      s.name = n != nullptr && *n != '\0' ? n : id;
      s.speed_limit = 0;
      segs_.push_back(std::move(s));
      lane_index_ = -1;
    } else if (name == "lane" && in_edge_) {
      segment& s = segs_.back();
      const char* speed = attr(atts, "speed");
      const char* shape = attr(atts, "shape");
      const char* index = attr(atts, "index");
      if (speed != nullptr) s.speed_limit = std::max(s.speed_limit, std::strtod(speed, nullptr));
      // the rightmost lane (index 0) draws the edge
      const long idx = index != nullptr ? std::strtol(index, nullptr, 10) : 0;
      if (shape != nullptr && (lane_index_ < 0 || idx < lane_index_)) {
        s.shape = parse_shape(shape);
        lane_index_ = idx;
      }
    }
  }
  void end(std::string_view name) override {
    if (name == "edge" && in_edge_) {
      in_edge_ = false;
      if (segs_.back().shape.size() < 2) segs_.pop_back();  // an edge without a drawable lane
    }
  }
  std::vector<segment> segs_;
  bool in_edge_ = false;
  long lane_index_ = -1;
};

}  // namespace detail

/// Reads a SUMO net file (`netgenerate`, `netconvert`): one segment per normal edge (internal
/// junction edges are left out), shaped like its rightmost lane, limited to its fastest
/// lane's speed, named after the edge's `name` (or its id). Throws std::runtime_error on
/// malformed XML.
inline road_network read_net(std::istream& in) {
  detail::net_reader r(in);
  return road_network(r.read());
}

/// One vehicle in one FCD timestep. `edge` is the topic-safe edge of its lane (internal
/// edges, inside junctions, start with ':').
struct fcd_vehicle {
  std::string id;
  double x = 0;
  double y = 0;
  double angle = 0;  ///< compass degrees, as SUMO writes it
  double speed = 0;  ///< m/s
  std::string edge;
  friend bool operator==(const fcd_vehicle&, const fcd_vehicle&) = default;
};
struct fcd_step {
  double time = 0;  ///< simulated seconds
  std::vector<fcd_vehicle> vehicles;
};

/// Streams an FCD file (`sumo --fcd-output`): next() parses only as far as the next complete
/// <timestep>, so memory stays bounded by one step. Throws std::runtime_error on malformed XML.
class fcd_reader final : public detail::expat_stream {
 public:
  explicit fcd_reader(std::istream& in) : expat_stream(in) {}

  /// The next timestep, or nullopt at the end of the file.
  std::optional<fcd_step> next() {
    while (ready_.empty() && pump()) {
    }
    if (ready_.empty()) return std::nullopt;
    fcd_step s = std::move(ready_.front());
    ready_.pop_front();
    return s;
  }

 private:
  void start(std::string_view name, const XML_Char** atts) override {
    if (name == "timestep") {
      const char* t = detail::attr(atts, "time");
      current_ = fcd_step{t != nullptr ? std::strtod(t, nullptr) : 0.0, {}};
    } else if (name == "vehicle" && current_) {
      fcd_vehicle v;
      const auto num = [&](const char* key) {
        const char* a = detail::attr(atts, key);
        return a != nullptr ? std::strtod(a, nullptr) : 0.0;
      };
      const char* id = detail::attr(atts, "id");
      const char* lane = detail::attr(atts, "lane");
      if (id == nullptr) throw std::runtime_error("an FCD vehicle without an id");
      v.id = topic_safe(id);
      v.x = num("x");
      v.y = num("y");
      v.angle = num("angle");
      v.speed = num("speed");
      const std::string_view edge = lane != nullptr ? edge_of_lane(lane) : std::string_view{};
      v.edge = topic_safe(edge);
      current_->vehicles.push_back(std::move(v));
    }
  }
  void end(std::string_view name) override {
    if (name == "timestep" && current_) {
      ready_.push_back(std::move(*current_));
      current_.reset();
    }
  }
  std::optional<fcd_step> current_;
  std::deque<fcd_step> ready_;
};

}  // namespace traffic::sumo

#endif  // MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_SUMO_HPP
