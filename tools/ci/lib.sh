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
# with fuzz/replay_main.cpp.
release_options=(-DCMAKE_BUILD_TYPE=Release -DMQTTWIRE_BUILD_BENCH=ON -DMQTTWIRE_BUILD_FUZZ=ON
                 -DMQTTWIRE_FUZZ_LINKMAIN=ON)
# usage: release_stage <build-dir> <c++ compiler>
release_stage() {
  unit_stage "$1" "$2" "${release_options[@]}"
}

# The g++ Release build of the unit-gcc stage, for the stages that run its programs (the CLI, the
# broker, the traffic system): configured the same way, so a build after unit-gcc has nothing
# left to do, and a stage run on its own builds only the targets it names.
gcc_release_dir=build/ci-gcc
# usage: gcc_release_targets <target>...
gcc_release_targets() {
  local targets=()
  local t
  for t in "$@"; do targets+=(--target "$t"); done
  cmake -S . -B "$gcc_release_dir" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DMQTTWIRE_WERROR=ON \
    "${release_options[@]}" > /dev/null &&
    cmake --build "$gcc_release_dir" -j "$(nproc)" "${targets[@]}"
}

# Runs `<function> <argument>` for each argument, as many at once as there are cores (for work
# that uses one core each: libFuzzer runs, memcheck runs). Returns 1 if any of them failed.
# usage: on_every_core <function> <argument>...
on_every_core() {
  local fn=$1 jobs running=0 rc=0 arg
  shift
  jobs=$(nproc)
  for arg in "$@"; do
    if ((running >= jobs)); then
      wait -n || rc=1
      running=$((running - 1))
    fi
    "$fn" "$arg" &
    running=$((running + 1))
  done
  while ((running > 0)); do
    wait -n || rc=1
    running=$((running - 1))
  done
  return "$rc"
}
