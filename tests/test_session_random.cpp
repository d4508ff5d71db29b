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
      const std::string kind = clean ? " (clean)" : " (persistent)";
      FAIL_CHECK("seed " << seed << kind << " v"
                         << static_cast<int>(cfg.version) << " keep_alive " << cfg.keep_alive
                         << " inflight " << cfg.max_inflight << " queued " << cfg.max_queued
                         << " manual acks: client " << cfg.client_manual_acks << ", server "
                         << cfg.server_manual_acks
                         << " piece " << cfg.max_piece << " delay " << cfg.max_delay.count()
                         << ": " << problem);
    }
  }
  return failures;
}

}  // namespace

TEST_CASE("session chaos: persistent sessions over a splitting, delaying, cutting channel") {
  run_stats stats;
  CHECK(run_seeds(1, 1500, false, stats) == 0);
  // The runs went where they should: reconnects, cuts of each kind, takeovers, refusals, state
  // round trips, QoS 1 resent and received twice, messages of every QoS both ways.
  CHECK(stats.runs == 1500);
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
  CHECK(run_seeds(100'001, 700, true, stats) == 0);
  CHECK(stats.runs == 700);
  CHECK(stats.cuts > 700);
  CHECK(stats.round_trips == 0);  // nothing is kept
  CHECK(stats.duplicates[0] == 0);
  CHECK(stats.duplicates[1] == 0);
  // Messages in flight at a cut are lost in a clean session, both ways.
  CHECK(stats.lost[0] > 10);
  CHECK(stats.lost[1] > 10);
}

// ---------------------------------------------------------------- the serialised form

namespace {

// A state with something in every field: messages at every stage (one a QoS 0 message to be
// delivered at QoS 1, one with RETAIN), QoS 2 ids awaiting PUBREL, subscriptions.
session_state rich_state(protocol_version v) {
  const auto msg = [v](qos_level q, std::string_view topic, std::string_view payload) {
    const publish p{.qos = q, .topic = topic,
                    .packet_id = q == qos_level::at_most_once ? std::nullopt
                                                              : std::optional<std::uint16_t>(1),
                    .payload = payload};
    return *make_shared_message(p, v);
  };
  session_state s;
  s.client_id = "client-\xc3\xa9";
  s.version = v;
  s.outgoing = {
      {3, out_stage::awaiting_puback, qos_level::at_least_once, false,
       msg(qos_level::at_least_once, "a/1", "one")},
      {9, out_stage::awaiting_pubrec, qos_level::exactly_once, true,
       msg(qos_level::exactly_once, "a/2", "two")},
      {10, out_stage::awaiting_pubcomp, qos_level::exactly_once, false, nullptr},
      {0, out_stage::queued, qos_level::at_least_once, false, msg(qos_level::at_most_once, "a/0", "")},
      {11, out_stage::queued, qos_level::exactly_once, false, msg(qos_level::exactly_once, "b", "x")},
  };
  s.incoming_qos2 = {7, 65535};
  s.subscriptions = {{"a/+", qos_level::at_least_once}, {"#", qos_level::exactly_once}};
  return s;
}

// Every packet in `out` decodes under `v`; returns them, or "" and a failure in `problem`.
std::vector<packet_type> decode_all(bytes_view out, protocol_version v, std::string& problem) {
  std::vector<packet_type> types;
  while (!out.empty()) {
    const auto d = decode(out, v);
    if (!d) {
      problem = "output does not decode: " + std::string(to_string(d.code()));
      return types;
    }
    types.push_back(type_of(d->pkt));
    out = out.subspan(d->size);
  }
  return types;
}

// What makes a decoded state valid: sessions resume from it, and everything they send decodes.
std::string use_state(const session_state& s) {
  const time_point t{};
  std::string problem;
  std::size_t resent = 0;  // what a resumed session must send: one packet per message
  for (const outgoing_message& m : s.outgoing) {
    if (m.message || m.stage == out_stage::awaiting_pubcomp) ++resent;
  }

  server_session srv({}, t);
  std::string connect_wire;
  static_cast<void>(encode_to(connect{.protocol = s.version, .clean_session = false, .client_id = "x"},
                              std::back_inserter(connect_wire), s.version));
  srv.feed(bytes_view(connect_wire.data(), connect_wire.size()), t);
  const auto req = srv.poll_event();
  if (!req || !std::holds_alternative<events::connect_requested>(*req)) return "no connect_requested";
  if (srv.accept(t, s) != errc::success) return "accept refused";
  const auto sent = decode_all(srv.output(), s.version, problem);
  if (!problem.empty()) return "server " + problem;
  if (sent.size() != 1 + resent || sent[0] != packet_type::connack) return "server resend count";
  if (srv.in_flight() + srv.queued() != s.outgoing.size()) return "server lost messages";

  client_session cl({}, s);
  if (cl.open(connect{.protocol = s.version, .clean_session = false, .client_id = "x"}, t) !=
      errc::success) {
    return "client open";
  }
  cl.consume_output(cl.output().size());
  const char connack_wire[] = {'\x20', '\x02', s.version == protocol_version::v3_1 ? '\x00' : '\x01', '\x00'};
  cl.feed(bytes_view(connack_wire, 4), t);
  const auto ev = cl.poll_event();
  if (!ev || !std::holds_alternative<events::connected>(*ev)) return "client not connected";
  const auto csent = decode_all(cl.output(), s.version, problem);
  if (!problem.empty()) return "client " + problem;
  if (csent.size() != resent) return "client resend count";
  if (cl.in_flight() + cl.queued() != s.outgoing.size()) return "client lost messages";
  return {};
}

}  // namespace

TEST_CASE("session_state: the rich state round-trips and is usable") {
  for (const protocol_version v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    const session_state s = rich_state(v);
    const auto saved = serialise(s);
    REQUIRE(saved);
    const std::vector<char>& bytes = *saved;
    const auto back = deserialise(bytes_view(bytes.data(), bytes.size()));
    REQUIRE(back);
    CHECK(*back == s);
    CHECK(use_state(*back) == "");
  }
}

TEST_CASE("session_state: a string too long for its u16 length is refused, not truncated") {
  session_state s = rich_state(protocol_version::v3_1_1);
  s.client_id.assign(65535, 'c');
  const auto fits = serialise(s);
  REQUIRE(fits);
  const auto back = deserialise(bytes_view(fits->data(), fits->size()));
  REQUIRE(back);
  CHECK(back->client_id.size() == 65535);

  s.client_id.push_back('c');
  // The length would go right after "MQWS", the format and the protocol level.
  CHECK(serialise(s).error() == mqttwire::error{errc::string_too_long, 6});

  session_state f = rich_state(protocol_version::v3_1_1);
  REQUIRE(!f.subscriptions.empty());
  f.subscriptions.back().topic_filter.assign(65536, 'f');
  const auto refused = serialise(f);
  CHECK(refused.code() == errc::string_too_long);
  f.subscriptions.back().topic_filter.pop_back();
  CHECK(serialise(f).has_value());
}

TEST_CASE("session_state: every truncation is refused at or before its end") {
  for (const protocol_version v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    const auto saved = serialise(rich_state(v));
    REQUIRE(saved);
    const std::vector<char>& bytes = *saved;
    std::size_t refused = 0;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      // A copy of exactly n bytes, so that ASan sees any read past the end.
      const std::vector<char> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      const auto d = deserialise(bytes_view(prefix.data(), prefix.size()));
      if (!d && d.code() == errc::corrupt_session_state && d.error().offset <= n) ++refused;
    }
    CHECK(refused == bytes.size());
  }
}

TEST_CASE("session_state: every single-byte corruption is refused or reads as a usable state") {
  for (const protocol_version v : {protocol_version::v3_1_1, protocol_version::v3_1}) {
    const auto saved = serialise(rich_state(v));
    REQUIRE(saved);
    const std::vector<char>& bytes = *saved;
    std::size_t refused = 0, usable = 0, bad = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      for (unsigned x = 1; x < 256; ++x) {
        std::vector<char> c = bytes;
        c[i] = static_cast<char>(static_cast<unsigned char>(c[i]) ^ x);
        const auto d = deserialise(bytes_view(c.data(), c.size()));
        if (!d) {
          if (d.code() == errc::corrupt_session_state && d.error().offset <= c.size()) {
            ++refused;
          } else if (++bad <= 3) {
            FAIL_CHECK("byte " << i << " ^ " << x << ": " << to_string(d.code()) << " at "
                               << d.error().offset);
          }
          continue;
        }
        // Accepted: then it is the canonical form of what was read, and sessions can use it.
        std::string problem = serialise(*d) == mqttwire::result<std::vector<char>>(c) ? use_state(*d) : "not canonical";
        if (problem.empty()) {
          ++usable;
        } else if (++bad <= 3) {
          FAIL_CHECK("byte " << i << " ^ " << x << ": " << problem);
        }
      }
    }
    CHECK(bad == 0);
    CHECK(refused + usable == bytes.size() * 255);
    // Both outcomes happen: payload and topic bytes may change, counts and stages may not.
    CHECK(refused > bytes.size() * 100);
    CHECK(usable > 1000);
  }
}
