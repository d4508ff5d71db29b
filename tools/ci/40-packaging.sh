#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Packaging: install to a prefix, then every documented way of consuming mqttwire builds and runs
# a real program (find_package, pkg-config, add_subdirectory, FetchContent, vcpkg port, Conan's
# test_package), plus checks of the version, the recipes, the presets, the workflows and scripts.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
cxx=${CXX:-g++}
work=$root/build/pkg-ci
rm -rf "$work"
mkdir -p "$work"
gen=(-G Ninja -DCMAKE_CXX_COMPILER="$cxx")

failed=()
# Runs one check in a subshell with -e, records its result and carries on with the next one.
check() {
  local name=$1
  shift
  echo "--- $name"
  set +e
  (set -e; "$@")
  local rc=$?
  set -e
  if ((rc == 0)); then echo "--- $name: ok"; else echo "--- $name: FAILED"; failed+=("$name"); fi
}

# configure + build + run ctest for one consumer project
consumer() {
  local src=$1 dir=$2
  shift 2
  cmake -S "$src" -B "$dir" "${gen[@]}" "$@"
  cmake --build "$dir" -j 2
  ctest --test-dir "$dir" --output-on-failure --no-tests=error
}

version_check() {
  cmake -P tests/packaging/check-version.cmake
}

# The install prefix given at configure time is deliberately not the one installed to, so that
# anything that remembered the configured prefix (a .pc file, a config file) shows up below.
install_prefix() {
  cmake -S . -B "$work/lib" "${gen[@]}" -DMQTTWIRE_BUILD_TESTS=OFF -DMQTTWIRE_BUILD_EXAMPLES=OFF \
    -DMQTTWIRE_INSTALL=ON -DCMAKE_INSTALL_PREFIX=/configured/prefix/unused
  cmake --install "$work/lib" --prefix "$work/prefix"
  local f
  for f in include/mqttwire/mqttwire.hpp include/mqttwire/version.hpp \
    share/cmake/mqttwire/mqttwireConfig.cmake share/cmake/mqttwire/mqttwireConfigVersion.cmake \
    share/cmake/mqttwire/mqttwireTargets.cmake share/pkgconfig/mqttwire.pc \
    share/doc/mqttwire/LICENSE; do
    [ -f "$work/prefix/$f" ] || { echo "not installed: $f"; return 1; }
  done
  if grep -rl -e /configured/prefix -e "$root" "$work/prefix"; then
    echo "installed files above contain an absolute path"
    return 1
  fi
  # SameMinorVersion and ARCH_INDEPENDENT are exercised by the find_package consumer.
}

find_package_consumer() {
  consumer tests/packaging/find_package "$work/find_package" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
  # The build tree is a package too (export(EXPORT) in cmake/install.cmake).
  consumer tests/packaging/find_package "$work/find_package-build-tree" -Dmqttwire_DIR="$work/lib" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
}

# Build with the flags pkg-config gives, from the install prefix and again after moving the tree.
pkg_config_consumer() {
  local prefix
  for prefix in "$work/prefix" "$work/moved/elsewhere"; do
    if [ "$prefix" != "$work/prefix" ]; then
      mkdir -p "$(dirname "$prefix")"
      cp -a "$work/prefix" "$prefix"
    fi
    local cflags version
    version=$(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --modversion mqttwire)
    cflags=$(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --cflags mqttwire)
    cflags=${cflags%% }
    echo "pkg-config: mqttwire $version, cflags $cflags"
    if [ ! -d "${cflags#-I}" ] ||
      [ "$(cd "${cflags#-I}" && pwd -P)" != "$(cd "$prefix/include" && pwd -P)" ]; then
      echo "pkg-config's include directory is not $prefix/include"
      return 1
    fi
    # shellcheck disable=SC2086 # cflags is a list of flags
    "$cxx" -std=c++20 -Wall -Wextra -Werror $cflags -DMQTTWIRE_EXPECTED_VERSION="\"$version\"" \
      tests/packaging/consumer.cpp -o "$work/pkg_config_consumer"
    "$work/pkg_config_consumer"
  done
}

add_subdirectory_consumer() {
  consumer tests/packaging/add_subdirectory "$work/add_subdirectory" -DMQTTWIRE_SOURCE_DIR="$root"
  # The parent's install must not install mqttwire unless it asks for it.
  cmake --install "$work/add_subdirectory" --prefix "$work/add_subdirectory-prefix"
  if [ -e "$work/add_subdirectory-prefix/include/mqttwire" ]; then
    echo "add_subdirectory installed mqttwire into the parent's prefix without MQTTWIRE_INSTALL"
    return 1
  fi
}

# The note in docs/install.md: a parent that installs (exports) a target linking mqttwire::mqttwire needs
# -DMQTTWIRE_INSTALL=ON. Without it CMake refuses to generate; with it the install works.
add_subdirectory_parent_installs() {
  if cmake -S tests/packaging/add_subdirectory -B "$work/parent-no-install" "${gen[@]}" \
    -DMQTTWIRE_SOURCE_DIR="$root" -DMQTTWIRE_EXPECT_INSTALL=ON >"$work/parent-no-install.log" 2>&1; then
    echo "expected CMake to reject an exported parent target without MQTTWIRE_INSTALL=ON"
    return 1
  fi
  grep -q "mqttwire" "$work/parent-no-install.log"
  consumer tests/packaging/add_subdirectory "$work/parent-install" -DMQTTWIRE_SOURCE_DIR="$root" \
    -DMQTTWIRE_EXPECT_INSTALL=ON -DMQTTWIRE_INSTALL=ON
  cmake --install "$work/parent-install" --prefix "$work/parent-install-prefix"
  [ -f "$work/parent-install-prefix/include/mqttwire/mqttwire.hpp" ]
  [ -f "$work/parent-install-prefix/share/cmake/parent/parentTargets.cmake" ]
}

# FetchContent from a git URL: a bare clone of this repository (so that git's ownership checks
# and the working tree's uncommitted state play no part), fetched at the committed HEAD.
fetchcontent_consumer() {
  local head
  head=$(git -c safe.directory="$root" rev-parse HEAD)
  git -c safe.directory="$root" clone -q --bare "$root" "$work/mqttwire.git"
  consumer tests/packaging/fetchcontent "$work/fetchcontent" \
    -DMQTTWIRE_GIT_URL="file://$work/mqttwire.git" -DMQTTWIRE_GIT_TAG="$head"
}

vcpkg_port() {
  python3 -m json.tool ports/mqttwire/vcpkg.json >/dev/null
  local mode
  for mode in overlay head; do
    cmake -DMQTTWIRE_SOURCE_DIR="$root" -DWORK_DIR="$work/vcpkg-$mode" -DMODE=$mode -DCXX="$cxx" \
      -P tests/packaging/vcpkg/emulate.cmake
  done
}

# Conan cannot be installed here: check the recipes, then build test_package/ against the install
# prefix, which asks for the same package and target names that CMakeDeps generates.
conan_recipe() {
  python3 -c 'import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]' \
    conanfile.py test_package/conanfile.py
  python3 tests/packaging/conan/check_recipe.py "$root"
  cmake -S test_package -B "$work/test_package" "${gen[@]}" -DCMAKE_PREFIX_PATH="$work/prefix"
  cmake --build "$work/test_package"
  "$work/test_package/test_package"
}

presets() {
  cmake --list-presets=all
}

workflows() {
  python3 - .github/workflows/*.yml <<'PY'
import sys, yaml
for path in sys.argv[1:]:
    with open(path) as f:
        doc = yaml.safe_load(f)
    assert isinstance(doc, dict) and "jobs" in doc, f"{path}: no jobs"
    print(f"{path}: {len(doc['jobs'])} job(s)")
with open(".github/workflows/ci.yml") as f:
    assert "tools/test-all.sh" in f.read(), "ci.yml must run tools/test-all.sh"
PY
}

scripts() {
  if ! command -v shellcheck >/dev/null; then
    echo "shellcheck is not installed; skipped"
    return 0
  fi
  shellcheck -x tools/*.sh tools/ci/*.sh .ci/run
}

check "version" version_check
check "install" install_prefix
check "find_package consumer" find_package_consumer
check "pkg-config consumer" pkg_config_consumer
check "add_subdirectory consumer" add_subdirectory_consumer
check "add_subdirectory, parent installs" add_subdirectory_parent_installs
check "FetchContent consumer" fetchcontent_consumer
check "vcpkg port" vcpkg_port
check "conan recipe and test_package" conan_recipe
check "CMake presets" presets
check "GitHub workflows" workflows
check "shellcheck" scripts

if ((${#failed[@]})); then
  echo "packaging checks failed: ${failed[*]}"
  exit 1
fi
echo "packaging: all checks passed"
