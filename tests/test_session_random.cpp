// SPDX-License-Identifier: MIT
// Seeded random runs of a client session and a broker's server sessions over a channel that
// splits, delays and cuts the connection (tests/session_chaos.hpp), and session_state's
// serialised form under every truncation and every single-byte corruption.
//
// Persistent sessions (Clean Session 0), every run: each QoS 1 message arrives at least once,
// each QoS 2 exactly once, each QoS 0 at most once; per topic and QoS the first arrivals are in
// publish order; nothing arrives that was not published (topic, QoS and payload as published,
// RETAIN 0); the publishing client hears `delivered` exactly once for each QoS 1/2 message and
// the broker once per QoS 1/2 delivery; and at the quiet end nothing is in flight, queued,
// awaiting PUBREL or awaiting a manual ack on either side.
//
// Clean sessions (Clean Session 1) give only the weaker guarantees, because what was in flight
// when a connection ended is dropped on both sides ([MQTT-3.1.2-6]) and nothing is sent again:
// every message arrives at most once, QoS 1 included; per topic and QoS the first arrivals are
// in publish order; nothing arrives that was not published; a `delivered` event comes at most
// once, and only for a message that arrived; the messages published on the last connection
// (which no cut ends) all arrive, exactly once; and the quiet end holds as above.
#include "session_chaos.hpp"

#include <doctest/doctest.h>
#include <mqttwire/decode.hpp>
#include <mqttwire/topic.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace session_chaos;

namespace {

// Runs `count` seeds from `first`; reports the first few failures with their seed and config.
std::size_t run_seeds(std::uint64_t first, std::uint64_t count, bool clean, run_stats& stats) {
  std::size_t failures = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    const run_config cfg = config_for(seed, clean);
    world w(seed, cfg, stats);
    const std::string problem = w.run();
    if (problem.empty()) continue;
    ++failures;
    if (failures <= 3) {
      FAIL_CHECK("seed " << seed << (clean ? " (clean)" : " (persistent)") << " v"
                         << static_cast<int>(cfg.version) << " keep_alive " << cfg.keep_alive
                         << " inflight " << cfg.max_inflight << " queued " << cfg.max_queued
                         << " manual " << cfg.client_manual_acks << cfg.server_manual_acks
                         << " piece " << cfg.max_piece << " delay " << cfg.max_delay.count()
                         << ": " << problem);
    }
  }
  return failures;
}

}  // namespace

TEST_CASE("session chaos: persistent sessions over a splitting, delaying, cutting channel") {
  run_stats stats;
  CHECK(run_seeds(1, 2000, false, stats) == 0);
  // The runs went where they should: reconnects, cuts of each kind, takeovers, refusals, state
  // round trips, QoS 1 resent and received twice, messages of every QoS both ways.
  CHECK(stats.runs == 2000);
  CHECK(stats.connections > 4 * stats.runs);
  CHECK(stats.half_cuts > 100);
  CHECK(stats.takeovers > 100);
  CHECK(stats.rejects > 50);
  CHECK(stats.round_trips > 1000);
  CHECK(stats.keep_alive_timeouts > 100);
  CHECK(stats.disconnects > 100);
  CHECK(stats.duplicates[0] > 100);
  CHECK(stats.duplicates[1] > 100);
  CHECK(stats.lost[0] == 0);
  CHECK(stats.lost[1] == 0);
  for (const auto& dir : stats.published) {
    for (const std::size_t n : dir) CHECK(n > 1000);
  }
}

TEST_CASE("session chaos: clean sessions keep the weaker guarantees") {
  run_stats stats;
  CHECK(run_seeds(100'001, 1000, true, stats) == 0);
  CHECK(stats.runs == 1000);
  CHECK(stats.cuts > 1000);
  CHECK(stats.round_trips == 0);  // nothing is kept
  CHECK(stats.duplicates[0] == 0);
  CHECK(stats.duplicates[1] == 0);
  // Messages in flight at a cut are lost in a clean session, both ways.
  CHECK(stats.lost[0] > 10);
  CHECK(stats.lost[1] > 10);
}
