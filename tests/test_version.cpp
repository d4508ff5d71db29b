// SPDX-License-Identifier: MIT
// The MQTTWIRE_VERSION_* macros equal project(VERSION) in the top-level CMakeLists.txt.
#include <mqttwire/version.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

TEST_CASE("version: MQTTWIRE_VERSION_* equal project(VERSION) in CMakeLists.txt") {
  std::ifstream in(MQTTWIRE_SOURCE_DIR "/CMakeLists.txt");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string cmake = text.str();
  const std::regex version_re(R"(project\s*\(\s*mqttwire[^)]*VERSION\s+(\d+)\.(\d+)\.(\d+))");
  std::smatch m;
  REQUIRE(std::regex_search(cmake, m, version_re));
  CHECK(std::stoi(m[1]) == MQTTWIRE_VERSION_MAJOR);
  CHECK(std::stoi(m[2]) == MQTTWIRE_VERSION_MINOR);
  CHECK(std::stoi(m[3]) == MQTTWIRE_VERSION_PATCH);
  CHECK(std::string(MQTTWIRE_VERSION_STRING) ==
        std::string(m[1]) + "." + std::string(m[2]) + "." + std::string(m[3]));
  CHECK(mqttwire::version.major == MQTTWIRE_VERSION_MAJOR);
  CHECK(mqttwire::version.minor == MQTTWIRE_VERSION_MINOR);
  CHECK(mqttwire::version.patch == MQTTWIRE_VERSION_PATCH);
}
