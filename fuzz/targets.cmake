# SPDX-License-Identifier: MIT
# The list of fuzz targets and what each one needs; included by fuzz/CMakeLists.txt (libFuzzer
# builds) and tests/fuzz_replay.cmake (replay builds under every unit-test compiler).
# A target is listed only once the headers it exercises exist, so the tree builds while other
# components are still being written.
set(MQTTWIRE_FUZZ_DIR "${CMAKE_CURRENT_LIST_DIR}")
set(mqttwire_fuzz_root "${CMAKE_CURRENT_LIST_DIR}/..")

set(mqttwire_fuzz_targets fuzz_decode fuzz_encode)
if(EXISTS "${mqttwire_fuzz_root}/include/mqttwire/framer.hpp")
  list(APPEND mqttwire_fuzz_targets fuzz_framer)
endif()
if(EXISTS "${mqttwire_fuzz_root}/include/mqttwire/topic_match.hpp" AND
   EXISTS "${mqttwire_fuzz_root}/include/mqttwire/subscription_index.hpp")
  list(APPEND mqttwire_fuzz_targets fuzz_topics)
endif()
if(EXISTS "${mqttwire_fuzz_root}/include/mqttwire/session/server.hpp")
  list(APPEND mqttwire_fuzz_targets fuzz_session fuzz_session_client)
endif()
if(EXISTS "${mqttwire_fuzz_root}/examples/cli/json.hpp")
  # The CLI reads and writes JSON with nlohmann/json. Where it is missing or older (the Ubuntu
  # 20.04 of OSS-Fuzz's base-builder has 3.7) only this target is left out.
  find_package(nlohmann_json 3.11 QUIET)
  if(nlohmann_json_FOUND)
    list(APPEND mqttwire_fuzz_targets fuzz_cli)
  else()
    message(STATUS "fuzz_cli left out: it needs nlohmann_json 3.11 or later (Debian: nlohmann-json3-dev)")
  endif()
endif()

# A target's own source may also not exist yet in a working tree.
set(mqttwire_fuzz_present "")
foreach(name IN LISTS mqttwire_fuzz_targets)
  if(EXISTS "${MQTTWIRE_FUZZ_DIR}/${name}.cpp")
    list(APPEND mqttwire_fuzz_present ${name})
  endif()
endforeach()
set(mqttwire_fuzz_targets ${mqttwire_fuzz_present})

# MQTTWIRE_FUZZ_LINKMAIN: link the targets with replay_main.cpp instead of libFuzzer. On by
# default where the compiler has no libFuzzer (g++). Defined here so that tests/fuzz_replay.cmake,
# which runs before fuzz/, sees the same value.
macro(mqttwire_fuzz_linkmain_option)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    set(mqttwire_linkmain_default OFF)
  else()
    set(mqttwire_linkmain_default ON)
  endif()
  option(MQTTWIRE_FUZZ_LINKMAIN "Link the fuzz targets with replay_main.cpp instead of libFuzzer"
         ${mqttwire_linkmain_default})
endmacro()

# Compile settings every build of a target shares (libFuzzer or replay).
function(mqttwire_fuzz_setup target name)
  target_link_libraries(${target} PRIVATE mqttwire::mqttwire mqttwire_warnings)
  target_include_directories(${target} PRIVATE "${MQTTWIRE_FUZZ_DIR}")
  target_compile_features(${target} PRIVATE cxx_std_20)
  if(name STREQUAL "fuzz_cli")
    target_include_directories(${target} PRIVATE "${mqttwire_fuzz_root}/examples/cli")
    target_link_libraries(${target} PRIVATE nlohmann_json::nlohmann_json)
  endif()
endfunction()
