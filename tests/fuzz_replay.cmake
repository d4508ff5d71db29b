# SPDX-License-Identifier: MIT
# Replays the fuzz seed corpora and every past crash input (fuzz/regressions/<target>/) through
# the fuzz targets linked with fuzz/replay_main.cpp, in every unit-test build and with whatever
# compiler it uses, so the targets never rot and old crashes stay fixed. Included from
# tests/CMakeLists.txt; builds its own executables (fuzz/ is only added for libFuzzer builds).
include("${PROJECT_SOURCE_DIR}/fuzz/targets.cmake")

foreach(name IN LISTS mqttwire_fuzz_targets)
  set(replay "replay_${name}")
  add_executable(${replay} "${MQTTWIRE_FUZZ_DIR}/${name}.cpp" "${MQTTWIRE_FUZZ_DIR}/replay_main.cpp")
  mqttwire_fuzz_setup(${replay} ${name})
  set(inputs "${MQTTWIRE_FUZZ_DIR}/seeds/${name}")
  if(EXISTS "${MQTTWIRE_FUZZ_DIR}/regressions/${name}")
    list(APPEND inputs "${MQTTWIRE_FUZZ_DIR}/regressions/${name}")
  endif()
  add_test(NAME "fuzz replay: ${name}" COMMAND ${replay} ${inputs})
endforeach()

# The committed seeds are generated from real encoded packets; fail when they go stale.
add_executable(mqttwire_make_seeds "${MQTTWIRE_FUZZ_DIR}/make_seeds.cpp")
target_link_libraries(mqttwire_make_seeds PRIVATE mqttwire::mqttwire mqttwire_warnings)
target_include_directories(mqttwire_make_seeds PRIVATE "${PROJECT_SOURCE_DIR}/examples/cli")
add_test(NAME "fuzz seeds: up to date"
         COMMAND mqttwire_make_seeds --check "${MQTTWIRE_FUZZ_DIR}/seeds")
