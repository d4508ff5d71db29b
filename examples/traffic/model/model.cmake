# The traffic system's model (network, simulation, payloads, analysis, SUMO readers; no I/O) as
# the interface target mqttwire_traffic_model, for traffic-generator, traffic-monitor and the
# unit tests tests/test_traffic_*.cpp. Included by the top-level CMakeLists.txt.
find_package(nlohmann_json 3.11 REQUIRED)  # Debian: nlohmann-json3-dev
find_package(EXPAT REQUIRED)               # Debian: libexpat1-dev, for the SUMO readers

add_library(mqttwire_traffic_model INTERFACE)
target_include_directories(mqttwire_traffic_model INTERFACE "${CMAKE_CURRENT_LIST_DIR}/..")
target_link_libraries(mqttwire_traffic_model INTERFACE
  mqttwire::mqttwire nlohmann_json::nlohmann_json EXPAT::EXPAT)
