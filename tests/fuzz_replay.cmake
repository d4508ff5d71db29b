# SPDX-License-Identifier: MIT
# Replays the fuzz seed corpora and every past crash input (fuzz/regressions/<target>/) through
# the fuzz targets linked with fuzz/replay_main.cpp, in every unit-test build and with whatever
# compiler it uses, so the targets never rot and old crashes stay fixed. Included from
# tests/CMakeLists.txt; builds its own executables, except when fuzz/ is added with
# MQTTWIRE_FUZZ_LINKMAIN=ON and its targets are these very programs.
# -DMQTTWIRE_FUZZ_REPLAY=OFF leaves them out of a build (CI's sanitizer build: its fuzz stage runs
# the same targets under the same sanitizers over the same inputs).
option(MQTTWIRE_FUZZ_REPLAY "Replay the fuzz seeds and past crash inputs in ctest" ON)
if(NOT MQTTWIRE_FUZZ_REPLAY)
  return()
endif()
include("${PROJECT_SOURCE_DIR}/fuzz/targets.cmake")
if(MQTTWIRE_BUILD_FUZZ)
  mqttwire_fuzz_linkmain_option()
endif()

foreach(name IN LISTS mqttwire_fuzz_targets)
  if(MQTTWIRE_BUILD_FUZZ AND MQTTWIRE_FUZZ_LINKMAIN)
    # fuzz/ builds the same program (the target linked with replay_main.cpp): replay through it
    # rather than compile the same sources twice.
    set(replay ${name})
  else()
    set(replay "replay_${name}")
    add_executable(${replay} "${MQTTWIRE_FUZZ_DIR}/${name}.cpp" "${MQTTWIRE_FUZZ_DIR}/replay_main.cpp")
    mqttwire_fuzz_setup(${replay} ${name})
  endif()
  set(inputs "${MQTTWIRE_FUZZ_DIR}/seeds/${name}")
  if(EXISTS "${MQTTWIRE_FUZZ_DIR}/regressions/${name}")
    list(APPEND inputs "${MQTTWIRE_FUZZ_DIR}/regressions/${name}")
  endif()
  add_test(NAME "fuzz replay: ${name}" COMMAND ${replay} ${inputs})
endforeach()

# The committed seeds are generated from real encoded packets; fail when they go stale. The
# seeds of fuzz_cli are lines of the CLI's JSON, written with nlohmann/json.
find_package(nlohmann_json 3.11 REQUIRED)
add_executable(mqttwire_make_seeds "${MQTTWIRE_FUZZ_DIR}/make_seeds.cpp")
target_link_libraries(mqttwire_make_seeds PRIVATE mqttwire::mqttwire nlohmann_json::nlohmann_json mqttwire_warnings)
target_include_directories(mqttwire_make_seeds PRIVATE "${PROJECT_SOURCE_DIR}/examples/cli")
add_test(NAME "fuzz seeds: up to date"
         COMMAND mqttwire_make_seeds --check "${MQTTWIRE_FUZZ_DIR}/seeds")
