// SPDX-License-Identifier: MIT
// The session bugs fuzz_session and fuzz_session_client found, one test each (the inputs are in
// fuzz/regressions/fuzz_session*/).
#include "session_support.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace session_test;

namespace {

const std::string connack_ok("\x20\x02\x00\x00", 4);

// Opens `c` with protocol `v` (Clean Session 0) and accepts it with CONNACK 0; returns what it
// sent after the CONNECT.
std::string reopen(client_session& c, protocol_version v) {
  REQUIRE(c.open(connect{.protocol = v, .clean_session = false, .client_id = "c"}, t0) == errc::success);
  drain_output(c);
  c.feed(bytes_view(connack_ok.data(), connack_ok.size()), t0);
  while (c.poll_event()) {
  }
  return drain_output(c);
}

}  // namespace

TEST_CASE("client: an UNSUBSCRIBE resent on 3.1 (DUP) goes out without DUP when reopened as 3.1.1") {
  // fuzz/regressions/fuzz_session_client/dup-request-after-version-change
  client_session c;
  reopen(c, protocol_version::v3_1);
  const std::string_view filters[] = {"a"};
  REQUIRE(c.unsubscribe(filters, t0));
  CHECK(hex(drain_output(c)) == "a2 05 00 01 00 01 61");  // UNSUBSCRIBE id 1, "a"
  c.connection_lost(t0);
  while (c.poll_event()) {
  }
  // Not acknowledged: resent on the next connection, with DUP in 3.1 (§2.4) ...
  CHECK(hex(reopen(c, protocol_version::v3_1)) == "aa 05 00 01 00 01 61");
  c.connection_lost(t0);
  while (c.poll_event()) {
  }
  // ... and with the fixed flags 0010 in 3.1.1 ([MQTT-2.2.2-1]).
  CHECK(hex(reopen(c, protocol_version::v3_1_1)) == "a2 05 00 01 00 01 61");
}

TEST_CASE("client: a PINGREQ goes out past max_output again once the last one was taken") {
  // fuzz/regressions/fuzz_session_client/ping-after-consumed-ping: the fuzz oracle allowed one
  // PINGREQ past the bound per connection; the session's rule is one at a time, each written
  // whatever output() holds, so the bound output().size() < max_output + largest packet + 4 holds.
  client_options o;
  o.max_output = 4;
  client_session c(o);
  REQUIRE(c.open(connect{.clean_session = true, .keep_alive = 1, .client_id = "c"}, t0) == errc::success);
  drain_output(c);
  c.feed(bytes_view(connack_ok.data(), connack_ok.size()), t0);
  while (c.poll_event()) {
  }
  for (int round = 0; round < 2; ++round) {
    const time_point sent_at = t0 + std::chrono::seconds(3 * round);
    const time_point at = sent_at + std::chrono::seconds(1);  // a keep-alive later
    REQUIRE(c.publish(publish{.topic = "t", .payload = "p"}, sent_at));  // 6 bytes: past max_output
    CHECK(c.publish(publish{.topic = "t", .payload = "q"}, sent_at).code() == errc::queue_full);
    c.on_timeout(at);
    CHECK(hex(c.output()) == "30 04 00 01 74 70 c0 00");  // the PINGREQ all the same
    CHECK(c.output().size() < o.max_output + 6 + 4);
    drain_output(c);
    const std::string pingresp("\xd0\x00", 2);
    c.feed(bytes_view(pingresp.data(), pingresp.size()), at);
    while (c.poll_event()) {
    }
    CHECK(c.state() == link_state::connected);
  }
}
