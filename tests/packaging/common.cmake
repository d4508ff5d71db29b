# SPDX-License-Identifier: MIT
# Shared by the packaging consumer projects: the consumer program and the "no extras" checks.

set(MQTTWIRE_PACKAGING_DIR "${CMAKE_CURRENT_LIST_DIR}")

# Builds the consumer program against mqttwire::mqttwire. No C++ standard is set here on
# purpose: the cxx_std_20 requirement must reach the consumer through the target.
function(mqttwire_add_consumer name)
  add_executable(${name} "${MQTTWIRE_PACKAGING_DIR}/consumer.cpp")
  target_link_libraries(${name} PRIVATE mqttwire::mqttwire)
  # Users compile our headers with their own warnings; they must stay quiet.
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${name} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  endif()
  if(ARGN)
    target_compile_definitions(${name} PRIVATE "MQTTWIRE_EXPECTED_VERSION=\"${ARGN}\"")
  endif()
endfunction()

# For add_subdirectory and FetchContent: the parent must get mqttwire::mqttwire and nothing it
# did not ask for (no tests, examples, benchmarks, fuzzers, no warning flags, no install rules).
function(mqttwire_check_subproject source_dir)
  if(NOT TARGET mqttwire::mqttwire)
    message(FATAL_ERROR "the parent project did not get mqttwire::mqttwire")
  endif()
  if(TARGET mqttwire_test_main OR TARGET mqttwire_header_check OR TARGET mqttwire_cli
     OR TARGET test_smoke)
    message(FATAL_ERROR "mqttwire created its test or example targets in a parent project")
  endif()
  get_property(subdirs DIRECTORY "${source_dir}" PROPERTY SUBDIRECTORIES)
  if(subdirs)
    message(FATAL_ERROR "mqttwire added subdirectories in a parent project: ${subdirs}")
  endif()
  # mqttwire_warnings may exist (it is an INTERFACE target nobody links), but nothing else may.
  get_property(targets DIRECTORY "${source_dir}" PROPERTY BUILDSYSTEM_TARGETS)
  list(REMOVE_ITEM targets mqttwire mqttwire_warnings)
  if(targets)
    message(FATAL_ERROR "mqttwire created unexpected targets in a parent project: ${targets}")
  endif()
  get_target_property(options mqttwire INTERFACE_COMPILE_OPTIONS)
  get_target_property(definitions mqttwire INTERFACE_COMPILE_DEFINITIONS)
  get_target_property(links mqttwire INTERFACE_LINK_LIBRARIES)
  if(options OR definitions OR links)
    message(FATAL_ERROR "mqttwire::mqttwire carries flags into the parent: "
                        "options='${options}' definitions='${definitions}' links='${links}'")
  endif()
  if(MQTTWIRE_BUILD_TESTS OR MQTTWIRE_BUILD_EXAMPLES OR MQTTWIRE_BUILD_BENCH OR MQTTWIRE_BUILD_FUZZ)
    message(FATAL_ERROR "mqttwire's build options must default to OFF in a parent project")
  endif()
  # MQTTWIRE_INSTALL is OFF too, unless the parent asked for it (see add_subdirectory/).
  if(MQTTWIRE_INSTALL AND NOT MQTTWIRE_EXPECT_INSTALL)
    message(FATAL_ERROR "MQTTWIRE_INSTALL must default to OFF in a parent project")
  endif()
  if(CMAKE_CXX_FLAGS MATCHES "-W")
    message(FATAL_ERROR "mqttwire changed CMAKE_CXX_FLAGS: ${CMAKE_CXX_FLAGS}")
  endif()
endfunction()
