# Tests of the `mqttwire` command-line tool (examples/cli): one ctest test per case file in
# tests/cli/cases, decode cases also fed one byte per read; the sample streams; a large stream.
# The tool (target mqttwire_cli) is built by examples/, which the top level adds *after* tests/,
# so `if(TARGET mqttwire_cli)` cannot be asked yet here; the same condition that adds examples/
# is tested instead, and $<TARGET_FILE:...> is resolved once the whole project is configured.
if(NOT MQTTWIRE_BUILD_EXAMPLES OR NOT EXISTS "${PROJECT_SOURCE_DIR}/examples/CMakeLists.txt")
  return()
endif()

add_executable(cli_feed "${CMAKE_CURRENT_LIST_DIR}/cli/feed.cpp")
target_link_libraries(cli_feed PRIVATE mqttwire_warnings)
target_compile_features(cli_feed PRIVATE cxx_std_20)

find_program(MQTTWIRE_BASH bash REQUIRED)
file(GLOB mqttwire_cli_cases CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/cli/cases/*.case")
foreach(case_file IN LISTS mqttwire_cli_cases)
  get_filename_component(case_name "${case_file}" NAME_WLE)
  add_test(NAME "cli: ${case_name}"
           COMMAND "${MQTTWIRE_BASH}" "${CMAKE_CURRENT_LIST_DIR}/cli/run-case.sh"
                   "$<TARGET_FILE:mqttwire_cli>" "${case_file}" "$<TARGET_FILE:cli_feed>" whole)
  if(case_name MATCHES "^decode-")
    add_test(NAME "cli: ${case_name} (one byte per read)"
             COMMAND "${MQTTWIRE_BASH}" "${CMAKE_CURRENT_LIST_DIR}/cli/run-case.sh"
                     "$<TARGET_FILE:mqttwire_cli>" "${case_file}" "$<TARGET_FILE:cli_feed>" trickle)
  endif()
endforeach()

add_test(NAME "cli: traffic samples are reproducible and decode to their JSON Lines"
         COMMAND "${MQTTWIRE_BASH}" "${CMAKE_CURRENT_LIST_DIR}/cli/samples.sh"
                 "$<TARGET_FILE:mqttwire_cli>" "${PROJECT_SOURCE_DIR}/examples/traffic/samples")
add_test(NAME "cli: a large stream decodes in constant memory"
         COMMAND "${MQTTWIRE_BASH}" "${CMAKE_CURRENT_LIST_DIR}/cli/large-input.sh"
                 "$<TARGET_FILE:mqttwire_cli>" "$<TARGET_FILE:cli_feed>")
set_tests_properties("cli: a large stream decodes in constant memory" PROPERTIES TIMEOUT 600)
add_test(NAME "cli: garbage is refused at once, with the stream still open"
         COMMAND "${MQTTWIRE_BASH}" "${CMAKE_CURRENT_LIST_DIR}/cli/at-once.sh"
                 "$<TARGET_FILE:mqttwire_cli>")
set_tests_properties("cli: garbage is refused at once, with the stream still open" PROPERTIES TIMEOUT 60)
