# SPDX-License-Identifier: MIT
# Compile-fail tests (as in fmt and date): each tests/compile_fail/<name>.cpp must NOT compile,
# and the same file with -DMQTTWIRE_CONTROL must compile, so a failure has the intended cause.
# Each source becomes two object libraries outside `all`; ctest builds them on demand.
file(GLOB mqttwire_compile_fail_sources CONFIGURE_DEPENDS
     "${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/*.cpp")
foreach(source IN LISTS mqttwire_compile_fail_sources)
  get_filename_component(name "${source}" NAME_WE)
  foreach(kind IN ITEMS fail control)
    set(target "mqttwire_compile_${kind}_${name}")
    add_library(${target} OBJECT EXCLUDE_FROM_ALL "${source}")
    target_link_libraries(${target} PRIVATE mqttwire::mqttwire mqttwire_warnings)
    if(kind STREQUAL "control")
      target_compile_definitions(${target} PRIVATE MQTTWIRE_CONTROL)
    endif()
    add_test(NAME "compile_${kind}: ${name}"
             COMMAND "${CMAKE_COMMAND}" --build "${CMAKE_BINARY_DIR}" --target ${target})
  endforeach()
  set_tests_properties("compile_fail: ${name}" PROPERTIES WILL_FAIL TRUE)
  # Builds through the same build tree must not run concurrently.
  set_tests_properties("compile_fail: ${name}" "compile_control: ${name}" PROPERTIES
                       RESOURCE_LOCK mqttwire_build_tree)
endforeach()
