// SPDX-License-Identifier: MIT
// traffic: the built-in microscopic simulation: vehicles on a road_network following each other
// with the Intelligent Driver Model, speed limits, and a scripted incident that forms a jam and
// clears it. Deterministic for a given seed: no clock, no global random source.
#ifndef MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_SIM_HPP
#define MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_SIM_HPP

#include "model/network.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace traffic {

/// A small deterministic random source (splitmix64): the same numbers with every compiler and
/// standard library, unlike the std distributions.
class rng {
 public:
  explicit rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [0, n); n > 0.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

/// The scripted incident: from `start` to `end` (seconds of simulated time) vehicles on
/// `segment` may drive at most `speed` (an accident being cleared), so a queue forms behind it
/// and dissolves afterwards.
struct incident {
  std::size_t segment = 0;
  double start = 20.0;
  double end = 50.0;
  double speed = 1.5;
};

/// Parameters of the Intelligent Driver Model (Treiber, Hennecke, Helbing 2000) and the run.
struct sim_options {
  std::uint64_t seed = 1;
  double accel = 1.5;          ///< a: maximum acceleration, m/s^2
  double decel = 2.0;          ///< b: comfortable deceleration, m/s^2
  double max_decel = 9.0;      ///< the hardest braking a vehicle can do, m/s^2
  double min_gap = 2.0;        ///< s0: gap kept when standing, m
  double headway = 1.2;        ///< T: time gap kept when moving, s
  double vehicle_length = 4.5; ///< m
  double initial_spacing = 25.0;  ///< m between vehicles when they are placed
  std::optional<incident> jam{};  ///< none: free flow all the time
};

/// One simulated vehicle. `s` is the position of its front along its segment, in metres.
struct sim_vehicle {
  std::size_t index = 0;
  std::size_t seg = 0;
  double s = 0;
  double v = 0;
  double desire = 1.0;       ///< fraction of the limit this driver wants (0.85 .. 1.0)
  std::size_t next_seg = 0;  ///< where it goes after this segment
};

/// The middle segment of the grid's middle row, eastbound: the default place of the incident.
inline std::size_t default_jam_segment(const road_network& net) {
  // find the eastbound segment whose start is nearest the centre of the network
  double cx = 0, cy = 0;
  std::size_t n = 0;
  for (const segment& s : net.segments()) {
    for (const point& p : s.shape) {
      cx += p.x;
      cy += p.y;
      ++n;
    }
  }
  cx /= static_cast<double>(std::max<std::size_t>(n, 1));
  cy /= static_cast<double>(std::max<std::size_t>(n, 1));
  std::size_t best = 0;
  double best_d = 1e300;
  for (std::size_t i = 0; i < net.size(); ++i) {
    const segment& s = net[i];
    const point mid = s.at(net.length(i) / 2).first;
    const double heading = s.at(0).second;
    if (std::abs(heading - 90.0) > 1.0) continue;  // eastbound only
    const double d = std::hypot(mid.x - cx, mid.y - cy);
    if (d < best_d - 1e-9) {
      best_d = d;
      best = i;
    }
  }
  return best;
}

/// The simulation. Each step computes every acceleration from the state at the start of the
/// step, then moves the vehicles leader first, never closer than the leader's old rear minus a
/// small margin (leaders only move forward, so no two vehicles ever overlap), and lets a vehicle
/// into its next segment only when there is room there; a blocked vehicle picks another
/// direction or waits at the stop line.
class simulation {
 public:
  /// Places `vehicles` on `net` (which must outlive the simulation), round-robin over the
  /// segments and evenly along each, moving at 80 % of what their drivers want. Throws
  /// std::invalid_argument when they would be closer than `initial_spacing`.
  simulation(const road_network& net, std::size_t vehicles, sim_options o = {})
      : net_(&net), opts_(o), rng_(o.seed), on_segment_(net.size()) {
    if (net.size() == 0) throw std::invalid_argument("empty network");
    std::vector<std::size_t> count(net.size(), 0), slot(net.size(), 0);
    for (std::size_t i = 0; i < vehicles; ++i) ++count[i % net.size()];
    for (std::size_t i = 0; i < vehicles; ++i) {
      sim_vehicle v;
      v.index = i;
      v.seg = i % net.size();
      const double spacing = net.length(v.seg) / static_cast<double>(count[v.seg]);
      if (spacing < opts_.initial_spacing) {
        throw std::invalid_argument("the network has no room for " + std::to_string(vehicles) +
                                    " vehicles");
      }
      v.s = net.length(v.seg) - spacing * (static_cast<double>(slot[v.seg]++) + 0.5);
      v.desire = 0.85 + 0.15 * rng_.uniform();
      v.v = 0.8 * v.desire * net[v.seg].speed_limit;
      v.next_seg = choose_next(v.seg);
      vehicles_.push_back(v);
      on_segment_[v.seg].push_back(i);  // leader first: larger s first, as placed
    }
  }

  const road_network& network() const noexcept { return *net_; }
  const std::vector<sim_vehicle>& vehicles() const noexcept { return vehicles_; }
  /// Indices of the vehicles on segment `seg`, leader (largest s) first.
  const std::vector<std::size_t>& on_segment(std::size_t seg) const { return on_segment_[seg]; }
  double time() const noexcept { return time_; }
  const sim_options& options() const noexcept { return opts_; }

  /// The speed allowed on `seg` now: its limit, or the incident's speed while it lasts.
  double limit(std::size_t seg) const {
    const double l = (*net_)[seg].speed_limit;
    if (opts_.jam && opts_.jam->segment == seg && time_ >= opts_.jam->start &&
        time_ < opts_.jam->end) {
      return std::min(l, opts_.jam->speed);
    }
    return l;
  }
  /// True while the incident lasts.
  bool jam_active() const {
    return opts_.jam && time_ >= opts_.jam->start && time_ < opts_.jam->end;
  }

  /// Position and compass heading of vehicle `i`.
  std::pair<point, double> where(std::size_t i) const {
    const sim_vehicle& v = vehicles_[i];
    return (*net_)[v.seg].at(v.s);
  }

  /// Advances the simulation by `dt` seconds (0.05 .. 0.5 is sensible).
  void step(double dt) {
    time_ += dt;  // the limits in force are those at the end of the step
    std::vector<double> acc(vehicles_.size(), 0.0);
    for (std::size_t seg = 0; seg < net_->size(); ++seg) {
      const std::vector<std::size_t>& list = on_segment_[seg];
      for (std::size_t k = 0; k < list.size(); ++k) {
        acc[list[k]] = acceleration(vehicles_[list[k]], k == 0 ? nullptr : &vehicles_[list[k - 1]]);
      }
    }
    // the state at the start of the step: leaders are capped against it
    const std::vector<sim_vehicle> old = vehicles_;
    std::vector<std::vector<std::size_t>> moved(net_->size());
    // segment by segment, leader first; entering vehicles are appended to their new segment's
    // list after its own vehicles (they are behind them).
    std::vector<std::vector<std::size_t>> entering(net_->size());
    for (std::size_t seg = 0; seg < net_->size(); ++seg) {
      const std::vector<std::size_t>& list = on_segment_[seg];
      for (std::size_t k = 0; k < list.size(); ++k) {
        sim_vehicle& v = vehicles_[list[k]];
        const double len = net_->length(seg);
        double v_new = std::max(0.0, v.v + acc[list[k]] * dt);
        v_new = std::min(v_new, limit(seg));
        double s_new = v.s + 0.5 * (v.v + v_new) * dt;
        // never past the old rear of the leader on this segment, minus a margin
        if (k > 0) {
          const sim_vehicle& leader = old[list[k - 1]];
          const double cap = leader.s - opts_.vehicle_length - 0.5;
          if (s_new > cap) {
            s_new = std::max(v.s, cap);
            v_new = std::min(v_new, (s_new - v.s) / dt);
          }
        }
        if (s_new >= len) {
          // crossing into the next segment: room behind its last vehicle (old or just entered)?
          std::size_t target = v.next_seg;
          if (!room_on(target, s_new - len, entering, old)) {
            target = net_->size();
            for (const std::size_t alt : (*net_)[seg].next) {
              if (room_on(alt, s_new - len, entering, old)) {
                target = alt;
                break;
              }
            }
          }
          if (target == net_->size()) {  // blocked: wait at the stop line
            s_new = std::max(v.s, len - 0.01);
            v_new = 0.0;
          } else {
            v.seg = target;
            s_new -= len;
            v_new = std::min(v_new, limit(target));
            v.next_seg = choose_next(target);
            entering[target].push_back(v.index);
            v.s = s_new;
            v.v = v_new;
            continue;
          }
        }
        v.s = s_new;
        v.v = v_new;
        moved[seg].push_back(v.index);
      }
    }
    for (std::size_t seg = 0; seg < net_->size(); ++seg) {
      std::vector<std::size_t>& list = moved[seg];
      // newcomers are behind everyone already there; among themselves, the furthest first
      std::vector<std::size_t>& in = entering[seg];
      std::stable_sort(in.begin(), in.end(), [this](std::size_t a, std::size_t b) {
        return vehicles_[a].s > vehicles_[b].s;
      });
      list.insert(list.end(), in.begin(), in.end());
      on_segment_[seg] = std::move(list);
    }
  }

 private:
  // IDM: a [1 - (v/v0)^4 - (s*/s)^2], s* = s0 + vT + v dv / (2 sqrt(ab)); plus braking towards
  // a lower limit (or the incident) on the next segment.
  double acceleration(const sim_vehicle& v, const sim_vehicle* leader) const {
    const double v0 = std::max(0.1, v.desire * limit(v.seg));
    double gap = 1e9, dv = 0.0;
    const double len = net_->length(v.seg);
    if (leader != nullptr) {
      gap = leader->s - opts_.vehicle_length - v.s;
      dv = v.v - leader->v;
    } else {
      // the last vehicle on the next segment, seen across the stop line
      const std::vector<std::size_t>& ahead = on_segment_[v.next_seg];
      if (!ahead.empty()) {
        const sim_vehicle& l = vehicles_[ahead.back()];
        gap = (len - v.s) + l.s - opts_.vehicle_length;
        dv = v.v - l.v;
      }
    }
    gap = std::max(gap, 0.1);
    const double ab = 2.0 * std::sqrt(opts_.accel * opts_.decel);
    const double s_star = opts_.min_gap + std::max(0.0, v.v * opts_.headway + v.v * dv / ab);
    const double r = v.v / v0;
    double a = opts_.accel * (1.0 - r * r * r * r - (s_star / gap) * (s_star / gap));
    // approach a slower next segment: brake so as to reach its limit at the stop line
    const double v_next = v.desire * limit(v.next_seg);
    const double to_end = std::max(0.1, len - v.s);
    if (v.v > v_next) {
      const double need = (v_next * v_next - v.v * v.v) / (2.0 * to_end);  // negative
      if (need < -0.5 * opts_.decel) a = std::min(a, need * 1.2);
    }
    return std::clamp(a, -opts_.max_decel, opts_.accel);
  }

  // Is there room at the start of `seg` for a vehicle whose front would be at `s`?
  bool room_on(std::size_t seg, double s, const std::vector<std::vector<std::size_t>>& entering,
               const std::vector<sim_vehicle>& old) const {
    if (s >= net_->length(seg)) return false;  // would jump a whole segment
    double rear = 1e9;
    if (!entering[seg].empty()) {
      for (const std::size_t i : entering[seg]) {
        rear = std::min(rear, vehicles_[i].s - opts_.vehicle_length);
      }
    }
    if (!on_segment_[seg].empty()) {
      rear = std::min(rear, old[on_segment_[seg].back()].s - opts_.vehicle_length);
    }
    return s <= rear - 0.5;
  }

  // A random continuation, not a U-turn (the network's `next` has none unless at a dead end).
  std::size_t choose_next(std::size_t seg) {
    const std::vector<std::size_t>& n = (*net_)[seg].next;
    if (n.empty()) return seg;  // an isolated segment: drive round it again
    return n[rng_.below(n.size())];
  }

  const road_network* net_;
  sim_options opts_;
  rng rng_;
  std::vector<sim_vehicle> vehicles_;
  std::vector<std::vector<std::size_t>> on_segment_;
  double time_ = 0.0;
};

}  // namespace traffic

#endif  // MQTTWIRE_EXAMPLES_TRAFFIC_MODEL_SIM_HPP
