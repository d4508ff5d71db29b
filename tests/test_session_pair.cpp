// SPDX-License-Identifier: MIT
// A client session and a server session talking to each other in memory: the flows end to end.
#include "session_support.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace session_test;
using mqttwire_test::operator<<;

namespace {
constexpr subscription everything[] = {{"a/#", qos_level::exactly_once}};
}

TEST_CASE("session pair: connect, subscribe, publish at QoS 0, 1 and 2 and get each back once") {
  session_pair p;
  REQUIRE(p.client.open(connect{.clean_session = true, .keep_alive = 30, .client_id = "c1"},
                        p.now) == errc::success);
  p.pump();
  CHECK(p.client.state() == link_state::connected);
  CHECK(p.log.connects == 1);
  CHECK(p.log.session_present == false);
  REQUIRE(p.client.subscribe(everything, p.now));
  p.pump();
  REQUIRE(p.log.subacks.size() == 1);
  CHECK(p.log.subacks[0] == std::vector<std::uint8_t>{2});
  const auto id0 = p.client.publish(publish{.qos = qos_level::at_most_once, .topic = "a/0",
                                            .payload = "zero"}, p.now);
  const auto id1 = p.client.publish(publish{.qos = qos_level::at_least_once, .topic = "a/1",
                                            .payload = "one"}, p.now);
  const auto id2 = p.client.publish(publish{.qos = qos_level::exactly_once, .topic = "a/2",
                                            .payload = "two"}, p.now);
  REQUIRE(id0);
  REQUIRE(id1);
  REQUIRE(id2);
  CHECK(*id0 == 0);
  CHECK(*id1 != 0);
  CHECK(*id2 != *id1);
  p.pump();
  CHECK(p.routed == std::vector<std::string>{"a/0 zero q0", "a/1 one q1", "a/2 two q2"});
  CHECK(p.log.messages == std::vector<std::string>{"a/0 zero q0", "a/1 one q1", "a/2 two q2"});
  CHECK(p.log.delivered == std::vector<std::uint16_t>{*id1, *id2});
  CHECK(p.client.in_flight() == 0);
  CHECK(p.server.in_flight() == 0);
  p.client.disconnect(p.now);
  p.pump();
  REQUIRE(p.server_closes.size() == 1);
  CHECK(p.server_closes[0].reason == error{});
  CHECK_FALSE(p.server_closes[0].publish_will);
}
