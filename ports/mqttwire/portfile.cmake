# SPDX-License-Identifier: MIT
# vcpkg port of mqttwire (header-only): installs the headers, the CMake package and the .pc file.

# Header-only: one (release) configuration is all there is to install.
set(VCPKG_BUILD_TYPE release)

# Until v${VERSION} is tagged there is no release archive to pin, so this overlay port follows the
# main branch: `vcpkg install mqttwire --head --overlay-ports=<mqttwire>/ports`. A registry port
# adds `REF "v${VERSION}"` and the archive's `SHA512` here.
vcpkg_from_github(
  OUT_SOURCE_PATH SOURCE_PATH
  REPO mqttwire/mqttwire
  HEAD_REF main
)

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
