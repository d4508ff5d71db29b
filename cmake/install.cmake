# SPDX-License-Identifier: MIT
# Install rules for mqttwire: headers, the exported target, a CMake config package and a .pc file.
# Included by the top-level CMakeLists.txt when MQTTWIRE_INSTALL is ON.

include(CMakePackageConfigHelpers)

# Cache variables so that packagers (vcpkg, Conan, distributions) can move things without patching.
# The config package is architecture-independent (headers only), hence DATADIR and not LIBDIR.
set(MQTTWIRE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/mqttwire"
    CACHE STRING "Where to install mqttwireConfig.cmake, relative to the prefix")
set(MQTTWIRE_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig"
    CACHE STRING "Where to install mqttwire.pc, relative to the prefix")
set(MQTTWIRE_INSTALL_LICENSEDIR "${CMAKE_INSTALL_DATADIR}/doc/mqttwire"
    CACHE STRING "Where to install the LICENSE file, relative to the prefix")
mark_as_advanced(MQTTWIRE_INSTALL_CMAKEDIR MQTTWIRE_INSTALL_PKGCONFIGDIR MQTTWIRE_INSTALL_LICENSEDIR)

install(TARGETS mqttwire EXPORT mqttwireTargets)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.hpp")
install(EXPORT mqttwireTargets
        NAMESPACE mqttwire::
        DESTINATION "${MQTTWIRE_INSTALL_CMAKEDIR}")

configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/mqttwireConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/mqttwireConfig.cmake"
  INSTALL_DESTINATION "${MQTTWIRE_INSTALL_CMAKEDIR}")
# Before 1.0 the API may change with every minor release, so 0.1 must not accept 0.2.
# ARCH_INDEPENDENT: a header-only package fits 32- and 64-bit consumers alike.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/mqttwireConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/mqttwireConfig.cmake"
              "${PROJECT_BINARY_DIR}/mqttwireConfigVersion.cmake"
        DESTINATION "${MQTTWIRE_INSTALL_CMAKEDIR}")

# The build tree is a usable package too (-Dmqttwire_DIR=<build dir>), as fmt does it.
export(EXPORT mqttwireTargets
       NAMESPACE mqttwire::
       FILE "${PROJECT_BINARY_DIR}/mqttwireTargets.cmake")

# pkg-config: the prefix is computed from the .pc file's own location so that the file stays
# right after `cmake --install --prefix <anywhere>` or after the tree is moved. A prefix written
# at configure time (@CMAKE_INSTALL_PREFIX@) would be wrong in both cases.
if(IS_ABSOLUTE "${MQTTWIRE_INSTALL_PKGCONFIGDIR}")
  # An absolute .pc directory cannot be expressed relative to the prefix: fall back to the
  # configured prefix, which is all one can do for such a layout.
  set(MQTTWIRE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _mqttwire_pc_up "/prefix/${MQTTWIRE_INSTALL_PKGCONFIGDIR}" "/prefix")
  string(REGEX REPLACE "/$" "" _mqttwire_pc_up "${_mqttwire_pc_up}")
  set(MQTTWIRE_PC_PREFIX "\${pcfiledir}/${_mqttwire_pc_up}")
  unset(_mqttwire_pc_up)
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(MQTTWIRE_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(MQTTWIRE_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/mqttwire.pc.in" "${PROJECT_BINARY_DIR}/mqttwire.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/mqttwire.pc" DESTINATION "${MQTTWIRE_INSTALL_PKGCONFIGDIR}")

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${MQTTWIRE_INSTALL_LICENSEDIR}")
