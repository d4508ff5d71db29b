// SPDX-License-Identifier: MIT
// mqttwire: the library version (kept equal to project(VERSION) in CMakeLists.txt by a test).
#ifndef MQTTWIRE_VERSION_HPP
#define MQTTWIRE_VERSION_HPP

#define MQTTWIRE_VERSION_MAJOR 0
#define MQTTWIRE_VERSION_MINOR 1
#define MQTTWIRE_VERSION_PATCH 0
#define MQTTWIRE_VERSION_STRING "0.1.0"

namespace mqttwire {

struct version_info {
  int major;
  int minor;
  int patch;
};

inline constexpr version_info version{MQTTWIRE_VERSION_MAJOR, MQTTWIRE_VERSION_MINOR,
                                      MQTTWIRE_VERSION_PATCH};

}  // namespace mqttwire

#endif  // MQTTWIRE_VERSION_HPP
