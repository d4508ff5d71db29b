// SPDX-License-Identifier: MIT
// The traffic example's built-in network and simulation (examples/traffic/model): the grid's
// shape, car following without overlaps, speed limits, and the scripted jam with a fixed seed.
#include <doctest/doctest.h>

#include "model/congestion.hpp"
#include "model/network.hpp"
#include "model/sim.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace traffic;

namespace {

// Every invariant of a simulation state, checked after each step: each vehicle is listed on
// exactly the segment it is on, inside it, the lists are leader first, consecutive vehicles are
// at least a vehicle length (plus the margin) apart, and no speed is above the limit.
struct invariant_report {
  std::size_t overlaps = 0;
  std::size_t over_limit = 0;
  std::size_t misplaced = 0;
  double min_gap = 1e9;
};

void check_state(const simulation& sim, invariant_report& r) {
  const road_network& net = sim.network();
  std::vector<int> seen(sim.vehicles().size(), 0);
  for (std::size_t seg = 0; seg < net.size(); ++seg) {
    const std::vector<std::size_t>& list = sim.on_segment(seg);
    for (std::size_t k = 0; k < list.size(); ++k) {
      const sim_vehicle& v = sim.vehicles()[list[k]];
      ++seen[list[k]];
      if (v.seg != seg || v.s < 0 || v.s > net.length(seg)) ++r.misplaced;
      if (v.v > sim.limit(seg) + 1e-9 || v.v < 0) ++r.over_limit;
      if (k > 0) {
        const sim_vehicle& leader = sim.vehicles()[list[k - 1]];
        const double gap = leader.s - sim.options().vehicle_length - v.s;
        r.min_gap = std::min(r.min_gap, gap);
        if (gap < 0) ++r.overlaps;
      }
    }
  }
  for (const int n : seen) {
    if (n != 1) ++r.misplaced;
  }
}

}  // namespace

TEST_CASE("traffic grid: names, segments, successors and limits") {
  const road_network net = make_grid(3, 3);
  // 3 x 3 nodes: 2 x 3 roads east-west, 2 x 3 north-south, two directions each
  REQUIRE(net.size() == 24);
  CHECK(net[0].id == "A1-B1");
  CHECK(net[0].name == "Main Street eastbound");
  CHECK(net[1].id == "B1-A1");
  CHECK(net[1].name == "Main Street westbound");
  const std::optional<std::size_t> north = net.find("B1-B2");
  REQUIRE(north);
  CHECK(net[*north].name == "2nd Avenue northbound");
  CHECK(net[*north].speed_limit == doctest::Approx(16.67));  // the middle column: arterial
  CHECK(net[0].speed_limit == doctest::Approx(13.89));
  CHECK(net[*net.find("A3-B3")].speed_limit == doctest::Approx(8.33));  // third street: 30 zone
  // drawn 4 m to the right of the centre line: eastbound is south of it
  CHECK(net[0].shape == std::vector<point>{{0, -4}, {200, -4}});
  CHECK(net.length(0) == doctest::Approx(200));
  CHECK(net[0].at(50).first == point{50, -4});
  CHECK(net[0].at(50).second == doctest::Approx(90));              // east
  CHECK(net[*north].at(10).second == doctest::Approx(0));          // north
  CHECK(net[1].at(0).second == doctest::Approx(270));              // west
  // from A1-B1 (arriving at B1) a vehicle may go on to C1 or up to B2, never back to A1
  std::set<std::string> next;
  for (const std::size_t n : net[0].next) next.insert(net[n].id);
  CHECK(next == std::set<std::string>{"B1-C1", "B1-B2"});
  CHECK(column_name(0) == "A");
  CHECK(column_name(25) == "Z");
  CHECK(column_name(26) == "AA");
  CHECK(column_name(27) == "AB");
  CHECK(grid_size_for(50) == 3);
  CHECK(grid_size_for(10'000) == 28);
  CHECK_THROWS_AS(make_grid(1, 3), std::invalid_argument);
}

TEST_CASE("traffic simulation: car following never overlaps and limits hold, 50 and 2000 vehicles") {
  for (const std::size_t n : {std::size_t{50}, std::size_t{2000}}) {
    CAPTURE(n);
    const std::size_t k = grid_size_for(n);
    const road_network net = make_grid(k, k);
    sim_options o;
    o.seed = 7;
    o.jam = incident{default_jam_segment(net), 10.0, 60.0, 1.5};
    simulation sim(net, n, o);
    invariant_report r;
    check_state(sim, r);
    double max_speed = 0;
    for (int step = 0; step < 5 * 90; ++step) {
      sim.step(0.2);
      check_state(sim, r);
      for (const sim_vehicle& v : sim.vehicles()) max_speed = std::max(max_speed, v.v);
    }
    CHECK(r.overlaps == 0);
    CHECK(r.over_limit == 0);
    CHECK(r.misplaced == 0);
    CHECK(r.min_gap >= 0.5 - 1e-9);   // the margin kept behind a leader's old position
    CHECK(max_speed <= 16.67);        // the fastest limit in the grid
    CHECK(max_speed > 13.0);          // and the vehicles do drive
    CHECK(sim.time() == doctest::Approx(90.0));
  }
}

TEST_CASE("traffic simulation: a network too small for the fleet is refused") {
  const road_network net = make_grid(2, 2);  // 8 segments of 200 m: 8 vehicles each at most
  CHECK_NOTHROW(simulation(net, 64));
  CHECK_THROWS_AS(simulation(net, 65), std::invalid_argument);
}

TEST_CASE("traffic simulation: the same seed gives the same run") {
  const road_network net = make_grid(3, 3);
  sim_options o;
  o.seed = 42;
  simulation a(net, 50, o), b(net, 50, o);
  o.seed = 43;
  simulation c(net, 50, o);
  for (int i = 0; i < 300; ++i) {
    a.step(0.2);
    b.step(0.2);
    c.step(0.2);
  }
  bool same_ab = true, same_ac = true;
  for (std::size_t i = 0; i < 50; ++i) {
    same_ab = same_ab && a.vehicles()[i].seg == b.vehicles()[i].seg && a.vehicles()[i].s == b.vehicles()[i].s;
    same_ac = same_ac && a.vehicles()[i].seg == c.vehicles()[i].seg && a.vehicles()[i].s == c.vehicles()[i].s;
  }
  CHECK(same_ab);
  CHECK_FALSE(same_ac);
}

// The scripted jam as the monitor sees it: samples once a second into a congestion_detector
// with its defaults (10 s window, below 4 m/s raises, 6 m/s clears). Seed 1, 50 vehicles, the
// incident on A2-B2 from 20 s to 50 s: its alert comes 8 s into it and goes 8 s after it; the
// queue spills back onto A1-A2 (the avenue leading into it) at 50 s and is gone at 60 s; no
// alert before the incident, none left at the end.
TEST_CASE("traffic simulation: the scripted jam forms and clears at known times (seed 1)") {
  const road_network net = make_grid(3, 3);
  sim_options o;
  o.seed = 1;
  o.jam = incident{default_jam_segment(net), 20.0, 50.0, 1.5};
  REQUIRE(net[o.jam->segment].id == "A2-B2");
  simulation sim(net, 50, o);
  congestion_detector det;
  std::vector<std::pair<std::int64_t, alert_change>> changes;
  for (int second = 1; second <= 120; ++second) {
    for (int i = 0; i < 5; ++i) sim.step(0.2);
    const auto now = static_cast<std::int64_t>(second) * 1000;
    for (const sim_vehicle& v : sim.vehicles()) det.add(net[v.seg].id, v.v, now);
    for (const alert_change& c : det.evaluate(now)) changes.emplace_back(now, c);
    if (second == 25) CHECK(sim.jam_active());
    if (second == 55) CHECK_FALSE(sim.jam_active());
  }
  REQUIRE(changes.size() == 4);
  CHECK(changes[0].first == 28'000);
  CHECK(changes[0].second.segment == "A2-B2");
  CHECK(changes[0].second.active);
  CHECK(changes[0].second.avg_speed < 4.0);
  CHECK(changes[1].first == 50'000);
  CHECK(changes[1].second.segment == "A1-A2");
  CHECK(changes[1].second.active);
  CHECK(changes[2].first == 58'000);
  CHECK(changes[2].second.segment == "A2-B2");
  CHECK_FALSE(changes[2].second.active);
  CHECK(changes[2].second.since == 28'000);
  CHECK(changes[2].second.avg_speed >= 6.0);
  CHECK(changes[3].first == 60'000);
  CHECK(changes[3].second.segment == "A1-A2");
  CHECK_FALSE(changes[3].second.active);
  CHECK(det.active().empty());
}

// Without the incident the same run raises no alert at all: the jam is the script's doing.
TEST_CASE("traffic simulation: free flow raises no alert (seed 1, 50 and 200 vehicles)") {
  for (const std::size_t n : {std::size_t{50}, std::size_t{200}}) {
    CAPTURE(n);
    const road_network net = make_grid(grid_size_for(n), grid_size_for(n));
    sim_options o;
    o.seed = 1;
    simulation sim(net, n, o);
    congestion_detector det;
    std::size_t raised = 0;
    for (int second = 1; second <= 120; ++second) {
      for (int i = 0; i < 5; ++i) sim.step(0.2);
      const auto now = static_cast<std::int64_t>(second) * 1000;
      for (const sim_vehicle& v : sim.vehicles()) det.add(net[v.seg].id, v.v, now);
      raised += det.evaluate(now).size();
    }
    CHECK(raised == 0);
  }
}

TEST_CASE("traffic rng: fixed sequence") {
  rng r(1);
  const std::uint64_t first = r.next();
  rng again(1);
  CHECK(again.next() == first);
  CHECK(first == 0x910a2dec89025cc1ULL);  // splitmix64(1)
  for (int i = 0; i < 1000; ++i) {
    const double u = r.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    REQUIRE(r.below(3) < 3);
  }
}
