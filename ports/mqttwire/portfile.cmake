# SPDX-License-Identifier: MIT
# vcpkg port of mqttwire (header-only): installs the headers, the CMake package and the .pc file.

# Header-only: one (release) configuration is all there is to install.
set(VCPKG_BUILD_TYPE release)

if(EXISTS "${CURRENT_PORT_DIR}/../../include/mqttwire/version.hpp" AND NOT VCPKG_USE_HEAD_VERSION)
  # Used as an overlay port from inside a checkout of mqttwire (a git submodule, typically): build
  # that checkout, which is what its owner pinned, and which works in manifest mode too.
  get_filename_component(SOURCE_PATH "${CURRENT_PORT_DIR}/../.." ABSOLUTE)
else()
  # Until v${VERSION} is tagged there is no release archive to pin, so a copy of this port used
  # elsewhere follows the main branch (`vcpkg install mqttwire --head`). A registry port adds
  # `REF "v${VERSION}"` and that archive's `SHA512` here.
  vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO mqttwire/mqttwire
    HEAD_REF main
  )
endif()

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DMQTTWIRE_BUILD_TESTS=OFF
    -DMQTTWIRE_BUILD_EXAMPLES=OFF
    -DMQTTWIRE_BUILD_BENCH=OFF
    -DMQTTWIRE_BUILD_FUZZ=OFF
    -DMQTTWIRE_INSTALL=ON
    # Install the config package where vcpkg wants it, so that it is not moved afterwards.
    "-DMQTTWIRE_INSTALL_CMAKEDIR=share/${PORT}"
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup()
vcpkg_fixup_pkgconfig()

# vcpkg's copyright file replaces the LICENSE copy under share/doc.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/doc")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
