// SPDX-License-Identifier: MIT
// The traffic system's topics and JSON payloads (examples/traffic/model/payloads.hpp and the
// GeoJSON of network.hpp), byte for byte: docs/traffic.md documents exactly these.
#include <doctest/doctest.h>

#include "model/network.hpp"
#include "model/payloads.hpp"

#include <nlohmann/json.hpp>

#include <string>

using namespace traffic;

TEST_CASE("payloads: topics") {
  CHECK(topics::position("v7") == "traffic/vehicles/v7/position");
  CHECK(topics::status("v7") == "traffic/vehicles/v7/status");
  CHECK(topics::alert("B2-C2") == "traffic/alerts/congestion/B2-C2");
  CHECK(topics::vehicle_of("traffic/vehicles/v7/position") == "v7");
  CHECK(topics::vehicle_of("traffic/vehicles/v7") == "");
  CHECK(topics::vehicle_of("traffic/network") == "");
}

TEST_CASE("payloads: a position report, exact bytes, rounded, and back") {
  const position_report p{"v7", 1'733'100'000'123, 12.3456, -4.0, 89.96, 13.8888, "A1-B1", 41};
  const std::string json = to_json(p);
  CHECK(json ==
        R"({"heading":90.0,"id":"v7","segment":"A1-B1","seq":41,"speed":13.89,"t":1733100000123,"x":12.35,"y":-4.0})");
  const auto back = parse_position(json);
  REQUIRE(back);
  CHECK(*back == position_report{"v7", 1'733'100'000'123, 12.35, -4.0, 90.0, 13.89, "A1-B1", 41});
  // seq is optional (another publisher), every other field is required
  const auto other = parse_position(
      R"({"id":"bus","t":5,"x":1,"y":2,"heading":3,"speed":4,"segment":"s"})");
  REQUIRE(other);
  CHECK(other->seq == 0);
  CHECK_FALSE(parse_position(R"({"id":"bus","t":5,"x":1,"y":2,"heading":3,"speed":4})"));
  CHECK_FALSE(parse_position(R"({"id":1,"t":5,"x":1,"y":2,"heading":3,"speed":4,"segment":"s"})"));
  CHECK_FALSE(parse_position("not json"));
  CHECK_FALSE(parse_position("[1,2]"));
}

TEST_CASE("payloads: a congestion alert, and the empty payload that clears it") {
  const congestion_alert a{"B2-C2", 1.234, 4.0, 1'733'100'000'000};
  const std::string json = to_json(a);
  CHECK(json == R"({"avg_speed":1.23,"segment":"B2-C2","since":1733100000000,"threshold":4.0})");
  const auto back = parse_alert(json);
  REQUIRE(back);
  CHECK(*back == congestion_alert{"B2-C2", 1.23, 4.0, 1'733'100'000'000});
  CHECK_FALSE(parse_alert(""));
  CHECK_FALSE(parse_alert(R"({"segment":"x"})"));
}

TEST_CASE("payloads: the network as GeoJSON, exact, and read back") {
  const road_network net = make_grid(2, 2, 100.0, 3.0);
  const nlohmann::json g = to_geojson(net);
  CHECK(g["type"] == "FeatureCollection");
  REQUIRE(g["features"].size() == 8);
  CHECK(g["features"][0].dump() ==
        R"({"geometry":{"coordinates":[[0.0,-3.0],[100.0,-3.0]],"type":"LineString"},)"
        R"("properties":{"id":"A1-B1","name":"Main Street eastbound","speed_limit":13.89},)"
        R"("type":"Feature"})");
  const road_network back = from_geojson(g);
  REQUIRE(back.size() == 8);
  for (std::size_t i = 0; i < 8; ++i) {
    CHECK(back[i].id == net[i].id);
    CHECK(back[i].name == net[i].name);
    CHECK(back[i].speed_limit == doctest::Approx(net[i].speed_limit));
    CHECK(back[i].shape == net[i].shape);
  }
  CHECK_THROWS(from_geojson(nlohmann::json::parse(R"({"type":"Feature"})")));
  CHECK_THROWS(from_geojson(nlohmann::json::parse(
      R"({"type":"FeatureCollection","features":[{"geometry":{"type":"LineString","coordinates":[[0,0]]},"properties":{"id":"x"}}]})")));
}
