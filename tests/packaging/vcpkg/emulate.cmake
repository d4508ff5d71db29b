# SPDX-License-Identifier: MIT
# Runs the real ports/mqttwire/portfile.cmake without vcpkg (which cannot be installed here): this
# script stands in for the vcpkg helper functions the port calls, checks vcpkg's rules for a
# header-only package on the result, then builds a consumer against it.
#
#   cmake -DMQTTWIRE_SOURCE_DIR=<checkout> -DWORK_DIR=<scratch dir> -DMODE=overlay|head
#         [-DCXX=g++] -P emulate.cmake
#
# MODE=overlay is `vcpkg install --overlay-ports=<checkout>/ports` (the port builds the checkout it
# sits in); MODE=head is `vcpkg install --head` of a copy of the port, where vcpkg_from_github
# fetches HEAD_REF (here: "extracts" the local checkout instead of downloading it).
#
# It checks the portfile's logic and the package layout, not vcpkg's own download or post-build
# lint; where vcpkg would do more (moving a config package and rewriting its _IMPORT_PREFIX), the
# stand-in refuses instead of pretending.
cmake_minimum_required(VERSION 3.21)

foreach(var IN ITEMS MQTTWIRE_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "pass -D${var}=...")
  endif()
  get_filename_component(${var} "${${var}}" ABSOLUTE)
endforeach()
if(NOT MODE MATCHES "^(overlay|head)$")
  message(FATAL_ERROR "pass -DMODE=overlay or -DMODE=head")
endif()
if(NOT DEFINED CXX)
  set(CXX c++)
endif()

# ---- What vcpkg defines before it includes a portfile ----------------------------------------
set(PORT mqttwire)
set(CURRENT_PORT_DIR "${MQTTWIRE_SOURCE_DIR}/ports/${PORT}")
set(TARGET_TRIPLET x64-linux)
set(VCPKG_TARGET_ARCHITECTURE x64)
set(VCPKG_CRT_LINKAGE dynamic)
set(VCPKG_LIBRARY_LINKAGE static)
set(VCPKG_CMAKE_SYSTEM_NAME Linux)
set(VCPKG_TARGET_IS_LINUX ON)
set(CURRENT_BUILDTREES_DIR "${WORK_DIR}/buildtrees/${PORT}")
set(CURRENT_PACKAGES_DIR "${WORK_DIR}/packages/${PORT}_${TARGET_TRIPLET}")
set(CURRENT_INSTALLED_DIR "${WORK_DIR}/installed/${TARGET_TRIPLET}")
if(MODE STREQUAL "head")
  set(VCPKG_USE_HEAD_VERSION ON)
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${CURRENT_BUILDTREES_DIR}" "${CURRENT_PACKAGES_DIR}")

set(errors "")
macro(problem text)
  string(APPEND errors "  ${text}\n")
endmacro()

# ---- The manifest: vcpkg.json -------------------------------------------------------------------
file(READ "${CURRENT_PORT_DIR}/vcpkg.json" manifest)
string(JSON name ERROR_VARIABLE json_error GET "${manifest}" name)
if(json_error)
  message(FATAL_ERROR "vcpkg.json: ${json_error}")
endif()
if(NOT name STREQUAL PORT)
  problem("vcpkg.json name '${name}' is not the port directory name '${PORT}'")
endif()
string(JSON VERSION ERROR_VARIABLE json_error GET "${manifest}" version-semver)
if(json_error OR NOT VERSION MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$")
  problem("vcpkg.json needs a semver 'version-semver' (got '${VERSION}')")
endif()
foreach(key IN ITEMS description homepage license)
  string(JSON value ERROR_VARIABLE json_error GET "${manifest}" ${key})
  if(json_error OR value STREQUAL "")
    problem("vcpkg.json has no '${key}'")
  endif()
endforeach()
# Header-only ports built with vcpkg_cmake_* depend on the two helper ports, as host tools.
string(JSON dep_count ERROR_VARIABLE json_error LENGTH "${manifest}" dependencies)
set(host_deps "")
if(NOT json_error AND dep_count GREATER 0)
  math(EXPR last "${dep_count} - 1")
  foreach(i RANGE ${last})
    string(JSON dep_name ERROR_VARIABLE e GET "${manifest}" dependencies ${i} name)
    string(JSON dep_host ERROR_VARIABLE e2 GET "${manifest}" dependencies ${i} host)
    if(NOT e AND NOT e2 AND dep_host)
      list(APPEND host_deps "${dep_name}")
    else()
      problem("vcpkg.json dependency ${i} is not a host dependency (the port has no runtime ones)")
    endif()
  endforeach()
endif()
foreach(dep IN ITEMS vcpkg-cmake vcpkg-cmake-config)
  if(NOT dep IN_LIST host_deps)
    problem("vcpkg.json must list {\"name\": \"${dep}\", \"host\": true}")
  endif()
endforeach()

# ---- Stand-ins for the vcpkg helpers the port uses ----------------------------------------------

# Like vcpkg: REF needs a SHA512; without a REF the port only builds with --head (HEAD_REF).
# Instead of downloading, "extracts" the local checkout: its tracked and unignored files, as they
# are in the working tree, so that build directories and ignored files never leak into the package.
function(vcpkg_from_github)
  cmake_parse_arguments(PARSE_ARGV 0 arg "USE_TARBALL_API"
    "OUT_SOURCE_PATH;REPO;REF;SHA512;HEAD_REF;GITHUB_HOST;AUTHORIZATION_TOKEN;FILE_DISAMBIGUATOR"
    "PATCHES")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vcpkg_from_github: unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_OUT_SOURCE_PATH OR NOT arg_REPO MATCHES "^[^/]+/[^/]+$")
    message(FATAL_ERROR "vcpkg_from_github needs OUT_SOURCE_PATH and REPO <owner>/<name>")
  endif()
  if(DEFINED arg_REF)
    string(LENGTH "${arg_SHA512}" sha_length)
    if(NOT sha_length EQUAL 128 OR NOT arg_SHA512 MATCHES "^[0-9a-f]+$")
      message(FATAL_ERROR "vcpkg_from_github: REF ${arg_REF} needs the archive's SHA512")
    endif()
  endif()
  if(VCPKG_USE_HEAD_VERSION)
    if(NOT arg_HEAD_REF)
      message(FATAL_ERROR "vcpkg_from_github: --head needs HEAD_REF")
    endif()
  elseif(NOT DEFINED arg_REF)
    message(FATAL_ERROR "Package does not specify REF. It must be built using --head.")
  endif()
  if(arg_PATCHES)
    message(FATAL_ERROR "vcpkg_from_github: the emulation does not apply PATCHES")
  endif()

  set_property(GLOBAL PROPERTY emulated_vcpkg_from_github_called ON)
  set(src "${CURRENT_BUILDTREES_DIR}/src/head")
  find_program(GIT git REQUIRED)
  execute_process(COMMAND "${GIT}" -c "safe.directory=${MQTTWIRE_SOURCE_DIR}"
                          ls-files --cached --others --exclude-standard
                  WORKING_DIRECTORY "${MQTTWIRE_SOURCE_DIR}"
                  OUTPUT_VARIABLE files COMMAND_ERROR_IS_FATAL ANY)
  string(REPLACE "\n" ";" files "${files}")
  foreach(f IN LISTS files)
    if(f AND EXISTS "${MQTTWIRE_SOURCE_DIR}/${f}" AND NOT IS_DIRECTORY "${MQTTWIRE_SOURCE_DIR}/${f}")
      get_filename_component(dir "${src}/${f}" DIRECTORY)
      file(COPY "${MQTTWIRE_SOURCE_DIR}/${f}" DESTINATION "${dir}")
    endif()
  endforeach()
  set(${arg_OUT_SOURCE_PATH} "${src}" PARENT_SCOPE)
endfunction()

# Configures release (and debug, unless VCPKG_BUILD_TYPE is release) with the settings vcpkg passes.
function(vcpkg_cmake_configure)
  cmake_parse_arguments(PARSE_ARGV 0 arg
    "PREFER_NINJA;DISABLE_PARALLEL_CONFIGURE;WINDOWS_USE_MSBUILD;NO_CHARSET_FLAG;Z_CMAKE_GET_VARS_USAGE"
    "SOURCE_PATH;GENERATOR;LOGFILE_BASE"
    "OPTIONS;OPTIONS_DEBUG;OPTIONS_RELEASE;MAYBE_UNUSED_VARIABLES")
  if(NOT IS_DIRECTORY "${arg_SOURCE_PATH}")
    message(FATAL_ERROR "vcpkg_cmake_configure: SOURCE_PATH '${arg_SOURCE_PATH}' is not a directory")
  endif()
  set(configs release)
  if(NOT VCPKG_BUILD_TYPE STREQUAL "release")
    list(APPEND configs debug)
  endif()
  set(dirs "")
  foreach(config IN LISTS configs)
    if(config STREQUAL "release")
      set(build_type Release)
      set(prefix "${CURRENT_PACKAGES_DIR}")
      set(extra ${arg_OPTIONS_RELEASE})
      set(dir "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel")
    else()
      set(build_type Debug)
      set(prefix "${CURRENT_PACKAGES_DIR}/debug")
      set(extra ${arg_OPTIONS_DEBUG})
      set(dir "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-dbg")
    endif()
    execute_process(
      COMMAND "${CMAKE_COMMAND}" -S "${arg_SOURCE_PATH}" -B "${dir}" -G Ninja
              "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_BUILD_TYPE=${build_type}"
              "-DCMAKE_INSTALL_PREFIX=${prefix}"
              -DCMAKE_INSTALL_LIBDIR:STRING=lib -DCMAKE_INSTALL_BINDIR:STRING=bin
              -DFETCHCONTENT_FULLY_DISCONNECTED=ON -DBUILD_SHARED_LIBS=OFF
              -DCMAKE_EXPORT_NO_PACKAGE_REGISTRY=ON -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
              ${arg_OPTIONS} ${extra}
      RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "vcpkg_cmake_configure: configuring ${config} failed")
    endif()
    list(APPEND dirs "${dir}")
  endforeach()
  set_property(GLOBAL PROPERTY emulated_vcpkg_build_dirs "${dirs}")
endfunction()

function(vcpkg_cmake_install)
  get_property(dirs GLOBAL PROPERTY emulated_vcpkg_build_dirs)
  if(NOT dirs)
    message(FATAL_ERROR "vcpkg_cmake_install before vcpkg_cmake_configure")
  endif()
  foreach(dir IN LISTS dirs)
    execute_process(COMMAND "${CMAKE_COMMAND}" --build "${dir}" --target install
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "vcpkg_cmake_install: building 'install' in ${dir} failed")
    endif()
  endforeach()
endfunction()

# Leaves the package's config files in share/<package>, without absolute paths to the packages
# directory, and drops the debug copy (the release one covers both configurations).
function(vcpkg_cmake_config_fixup)
  cmake_parse_arguments(PARSE_ARGV 0 arg "DO_NOT_DELETE_PARENT_CONFIG_PATH;NO_PREFIX_CORRECTION"
                        "PACKAGE_NAME;CONFIG_PATH;TOOLS_PATH" "")
  if(NOT arg_PACKAGE_NAME)
    set(arg_PACKAGE_NAME "${PORT}")
  endif()
  if(NOT arg_CONFIG_PATH)
    set(arg_CONFIG_PATH "share/${arg_PACKAGE_NAME}")
  endif()
  set(config_dir "${CURRENT_PACKAGES_DIR}/${arg_CONFIG_PATH}")
  if(NOT IS_DIRECTORY "${config_dir}")
    message(FATAL_ERROR "'${config_dir}' does not exist.")
  endif()
  if(NOT arg_CONFIG_PATH STREQUAL "share/${arg_PACKAGE_NAME}")
    message(FATAL_ERROR "vcpkg_cmake_config_fixup: the config is in ${arg_CONFIG_PATH}; vcpkg would "
      "move it and rewrite its _IMPORT_PREFIX, which this stand-in does not do. Have the port "
      "install it to share/${arg_PACKAGE_NAME} (MQTTWIRE_INSTALL_CMAKEDIR).")
  endif()
  file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/${arg_CONFIG_PATH}"
                      "${CURRENT_PACKAGES_DIR}/debug/share")
  file(GLOB cmake_files "${config_dir}/*.cmake")
  foreach(f IN LISTS cmake_files)
    file(READ "${f}" text)
    string(REPLACE "${CURRENT_PACKAGES_DIR}" "\${_IMPORT_PREFIX}" text "${text}")
    file(WRITE "${f}" "${text}")
  endforeach()
endfunction()

# Makes every .pc file relocatable (prefix=${pcfiledir}/..., no packages-dir paths), then checks
# that pkg-config can read it, as vcpkg does.
function(vcpkg_fixup_pkgconfig)
  cmake_parse_arguments(PARSE_ARGV 0 arg "SKIP_CHECK" "" "RELEASE_FILES;DEBUG_FILES;SYSTEM_LIBRARIES")
  file(GLOB_RECURSE pcs "${CURRENT_PACKAGES_DIR}/*.pc")
  list(FILTER pcs EXCLUDE REGEX "^${CURRENT_PACKAGES_DIR}/debug/")
  if(NOT pcs)
    message(FATAL_ERROR "vcpkg_fixup_pkgconfig: the port installed no .pc file")
  endif()
  find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
  foreach(pc IN LISTS pcs)
    get_filename_component(pc_dir "${pc}" DIRECTORY)
    file(RELATIVE_PATH up "${pc_dir}" "${CURRENT_PACKAGES_DIR}")
    string(REGEX REPLACE "/$" "" up "${up}")
    file(READ "${pc}" text)
    string(REPLACE "${CURRENT_PACKAGES_DIR}" "\${prefix}" text "${text}")
    string(REGEX REPLACE "(^|\n)prefix=[^\n]*" "\\1prefix=\${pcfiledir}/${up}" text "${text}")
    file(WRITE "${pc}" "${text}")
    if(NOT arg_SKIP_CHECK)
      get_filename_component(pc_name "${pc}" NAME_WE)
      set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
      execute_process(COMMAND "${PKG_CONFIG}" --cflags "${pc_name}" RESULT_VARIABLE rc
                      OUTPUT_VARIABLE cflags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR "vcpkg_fixup_pkgconfig: pkg-config cannot read ${pc}: ${err}")
      endif()
    endif()
  endforeach()
endfunction()

function(vcpkg_install_copyright)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "COMMENT" "FILE_LIST")
  if(NOT arg_FILE_LIST)
    message(FATAL_ERROR "vcpkg_install_copyright: FILE_LIST is required")
  endif()
  set(text "")
  if(arg_COMMENT)
    string(APPEND text "${arg_COMMENT}\n\n")
  endif()
  foreach(f IN LISTS arg_FILE_LIST)
    if(NOT EXISTS "${f}")
      message(FATAL_ERROR "vcpkg_install_copyright: ${f} does not exist")
    endif()
    file(READ "${f}" part)
    string(APPEND text "${part}")
  endforeach()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright" "${text}")
endfunction()

# ---- Run the real portfile ------------------------------------------------------------------------
if(errors)
  message(FATAL_ERROR "vcpkg port problems:\n${errors}")
endif()
include("${CURRENT_PORT_DIR}/portfile.cmake")
get_property(fetched GLOBAL PROPERTY emulated_vcpkg_from_github_called)
if(MODE STREQUAL "head" AND NOT fetched)
  problem("with --head the port must get its sources through vcpkg_from_github")
elseif(MODE STREQUAL "overlay" AND fetched)
  problem("as an overlay inside a checkout the port must build that checkout, not download")
endif()

# ---- vcpkg's layout rules for a header-only package ------------------------------------------
set(pkg "${CURRENT_PACKAGES_DIR}")
foreach(required IN ITEMS include/mqttwire/mqttwire.hpp include/mqttwire/version.hpp
        share/${PORT}/copyright share/${PORT}/usage share/${PORT}/mqttwireConfig.cmake
        share/${PORT}/mqttwireConfigVersion.cmake share/${PORT}/mqttwireTargets.cmake)
  if(NOT EXISTS "${pkg}/${required}")
    problem("missing ${required}")
  endif()
endforeach()
# Nothing to link, so no libraries, no binaries and no debug tree; CMake files in share/<port> only.
foreach(forbidden IN ITEMS debug lib bin tools share/cmake lib/cmake)
  if(EXISTS "${pkg}/${forbidden}")
    problem("a header-only package must not contain ${forbidden}/")
  endif()
endforeach()
file(GLOB root_entries RELATIVE "${pkg}" "${pkg}/*")
foreach(entry IN LISTS root_entries)
  if(NOT IS_DIRECTORY "${pkg}/${entry}")
    problem("file at the package root: ${entry}")
  endif()
endforeach()
file(GLOB_RECURSE all_files LIST_DIRECTORIES true "${pkg}/*")
foreach(f IN LISTS all_files)
  if(IS_DIRECTORY "${f}")
    file(GLOB children "${f}/*")
    if(NOT children)
      problem("empty directory ${f}")
    endif()
  else()
    file(READ "${f}" text)
    foreach(abs IN ITEMS "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}" "${MQTTWIRE_SOURCE_DIR}")
      string(FIND "${text}" "${abs}" at)
      if(NOT at EQUAL -1)
        problem("${f} contains the absolute path ${abs}")
      endif()
    endforeach()
  endif()
endforeach()
if(EXISTS "${pkg}/share/${PORT}/usage")
  file(READ "${pkg}/share/${PORT}/usage" usage)
  foreach(needle IN ITEMS "find_package(mqttwire CONFIG REQUIRED)" "mqttwire::mqttwire")
    string(FIND "${usage}" "${needle}" at)
    if(at EQUAL -1)
      problem("usage does not mention ${needle}")
    endif()
  endforeach()
endif()
if(errors)
  message(FATAL_ERROR "vcpkg layout problems in ${pkg}:\n${errors}")
endif()
message(STATUS "vcpkg port: the package follows the header-only layout")

# ---- Consume it the way vcpkg's toolchain would: from installed/<triplet> ------------------------
file(COPY "${pkg}/" DESTINATION "${CURRENT_INSTALLED_DIR}")
set(consumer_build "${WORK_DIR}/consumer")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}/../find_package" -B "${consumer_build}"
          -G Ninja "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_PREFIX_PATH=${CURRENT_INSTALLED_DIR}"
          -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
  RESULT_VARIABLE rc)
if(rc EQUAL 0)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${consumer_build}" RESULT_VARIABLE rc)
endif()
if(rc EQUAL 0)
  execute_process(COMMAND "${consumer_build}/consumer" RESULT_VARIABLE rc)
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the consumer of the vcpkg package failed")
endif()
message(STATUS "vcpkg port: a consumer built and ran against ${CURRENT_INSTALLED_DIR}")
