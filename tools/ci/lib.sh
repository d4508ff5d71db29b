# shellcheck shell=bash
# Shared by the stage scripts: configure, build and run ctest in one build directory.
# Warnings are errors in CI (MQTTWIRE_WERROR), unlike in a user's build.
# usage: unit_stage <build-dir> <c++ compiler> [extra cmake arguments...]
unit_stage() {
  local dir=$1 cxx=$2
  shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DMQTTWIRE_WERROR=ON "$@" &&
    cmake --build "$dir" -j "$(nproc)" &&
    ctest --test-dir "$dir" -j "$(nproc)" --output-on-failure --no-tests=error
}

# Every target on, optimised as a user's -DCMAKE_BUILD_TYPE=Release builds it (-O3): the unit
# tests, the examples, the benchmarks (run once, untimed, by ctest) and the fuzz targets linked
# with fuzz/replay_main.cpp. The traffic programs are built and run by stage 65 (g++), so only
# the clang stage builds them here, for clang's warnings: release_stage <dir> <c++> [args...].
# usage: release_stage <build-dir> <c++ compiler> [extra cmake arguments...]
release_stage() {
  local dir=$1 cxx=$2
  shift 2
  unit_stage "$dir" "$cxx" -DCMAKE_BUILD_TYPE=Release -DMQTTWIRE_BUILD_BENCH=ON \
    -DMQTTWIRE_BUILD_FUZZ=ON -DMQTTWIRE_FUZZ_LINKMAIN=ON "$@"
}
