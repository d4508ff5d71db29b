// SPDX-License-Identifier: MIT
// The traffic monitor's analysis (examples/traffic/model/congestion.hpp): the sliding window,
// alerts raised and cleared with hysteresis, the slowest segments, latency percentiles.
#include <doctest/doctest.h>

#include "model/congestion.hpp"

#include <cstdint>
#include <string>
#include <vector>

using namespace traffic;

TEST_CASE("congestion: the window forgets samples older than window_ms") {
  congestion_detector d({.window_ms = 10'000, .threshold = 4, .clear_above = 6, .min_samples = 1});
  d.add("s", 10.0, 0);
  d.add("s", 20.0, 5'000);
  CHECK(d.evaluate(5'000).empty());
  CHECK(*d.average("s") == doctest::Approx(15.0));
  CHECK(d.evaluate(9'999).empty());
  CHECK(*d.average("s") == doctest::Approx(15.0));
  CHECK(d.evaluate(10'000).empty());  // the sample of t=0 is 10 s old now: gone
  CHECK(*d.average("s") == doctest::Approx(20.0));
  CHECK(d.evaluate(15'000).empty());
  CHECK_FALSE(d.average("s"));
  CHECK_FALSE(d.average("unknown"));
}

TEST_CASE("congestion: raised below the threshold, cleared only at clear_above (hysteresis)") {
  congestion_detector d({.window_ms = 3'000, .threshold = 4, .clear_above = 6, .min_samples = 3});
  std::int64_t t = 0;
  const auto second = [&](double speed) {
    t += 1'000;
    d.add("B2-C2", speed, t);
    return d.evaluate(t);
  };
  CHECK(second(2.0).empty());  // one sample: fewer than min_samples decide nothing
  CHECK(second(2.0).empty());
  const std::vector<alert_change> raised = second(2.0);
  REQUIRE(raised.size() == 1);
  CHECK(raised[0] == alert_change{"B2-C2", true, 2.0, 3'000});
  CHECK(d.congested("B2-C2"));
  CHECK(d.active() == std::vector<std::string>{"B2-C2"});
  // 5 m/s on average is above the threshold but below clear_above: still congested
  CHECK(second(5.0).empty());                          // 2 2 5 -> 3
  CHECK(second(8.0).empty());                          // 2 5 8 -> 5
  CHECK(*d.average("B2-C2") == doctest::Approx(5.0));
  CHECK(d.congested("B2-C2"));
  const std::vector<alert_change> cleared = second(8.0);  // 5 8 8 -> 7
  REQUIRE(cleared.size() == 1);
  CHECK(cleared[0] == alert_change{"B2-C2", false, 7.0, 3'000});
  CHECK_FALSE(d.congested("B2-C2"));
  // and 5 m/s does not raise it again: it must fall below the threshold
  CHECK(second(5.0).empty());  // 8 8 5
  CHECK(second(5.0).empty());  // 8 5 5
  CHECK(second(5.0).empty());  // 5 5 5
  CHECK(second(1.0).size() == 1);  // 5 5 1 -> 3.67
}

TEST_CASE("congestion: an emptied segment clears its alert") {
  congestion_detector d({.window_ms = 2'000, .threshold = 4, .clear_above = 6, .min_samples = 2});
  d.add("x", 1.0, 1'000);
  d.add("x", 1.0, 1'500);
  REQUIRE(d.evaluate(1'500).size() == 1);
  CHECK(d.evaluate(3'000).empty());  // the sample at 1.5 s remains: one sample, undecided
  CHECK(d.congested("x"));
  const auto c = d.evaluate(3'500);
  REQUIRE(c.size() == 1);
  CHECK(c[0] == alert_change{"x", false, 0.0, 1'500});
}

TEST_CASE("congestion: the slowest segments with enough samples, slowest first") {
  congestion_detector d({.window_ms = 10'000, .threshold = 4, .clear_above = 6, .min_samples = 2});
  for (const auto& [seg, speed] : std::vector<std::pair<std::string, double>>{
           {"a", 10}, {"a", 12}, {"b", 3}, {"b", 3}, {"c", 1}, {"d", 7}, {"d", 9}, {"e", 7}, {"e", 9}}) {
    d.add(seg, speed, 1'000);
  }
  static_cast<void>(d.evaluate(1'000));
  const std::vector<segment_speed> s = d.slowest(3);
  REQUIRE(s.size() == 3);  // "c" has one sample only
  CHECK(s[0].segment == "b");
  CHECK(s[0].avg_speed == doctest::Approx(3.0));
  CHECK(s[0].samples == 2);
  CHECK(s[0].congested);
  CHECK(s[1].segment == "d");  // d and e tie at 8: by name
  CHECK(s[2].segment == "e");
  CHECK_FALSE(s[1].congested);
  CHECK(d.slowest(10).size() == 4);
}

TEST_CASE("percentile: nearest rank") {
  std::vector<double> v;
  CHECK_FALSE(percentile(v, 50));
  for (int i = 100; i >= 1; --i) v.push_back(i);
  CHECK(*percentile(v, 50) == 50.0);
  CHECK(*percentile(v, 99) == 99.0);
  CHECK(*percentile(v, 100) == 100.0);
  CHECK(*percentile(v, 0) == 1.0);
  std::vector<double> one{7.5};
  CHECK(*percentile(one, 99) == 7.5);
}
