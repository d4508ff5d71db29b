# shellcheck shell=bash
# Shared by the stage scripts: configure, build and run ctest in one build directory.
# usage: unit_stage <build-dir> <c++ compiler> [extra cmake arguments...]
unit_stage() {
  local dir=$1 cxx=$2
  shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" "$@" &&
    cmake --build "$dir" -j "$(nproc)" &&
    ctest --test-dir "$dir" -j "$(nproc)" --output-on-failure --no-tests=error
}
