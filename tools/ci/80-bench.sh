#!/usr/bin/env bash
# Benchmarks smoke: build the Catch2 benchmarks and bench/ops with g++ -O2, run every benchmark
# briefly (allocation counts are checked: encode and decode must not allocate), then one quick
# bench/report pass under callgrind. Timings and instruction counts are printed, never asserted:
# this machine is shared and noisy, and the targets are tracked in docs/performance.md.
set -euo pipefail
dir=build/ci-bench
cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DMQTTWIRE_BUILD_BENCH=ON -DMQTTWIRE_BUILD_TESTS=OFF \
  -DMQTTWIRE_BUILD_EXAMPLES=OFF -DMQTTWIRE_BUILD_FUZZ=OFF -DMQTTWIRE_INSTALL=OFF \
  -DMQTTWIRE_WERROR=ON
cmake --build "$dir" -j "$(nproc)"
"$dir/bench/mqttwire_bench" --benchmark-samples 3 --benchmark-resamples 100 \
  --benchmark-warmup-time 10
"$dir/bench/ops" decode P1 1000 # the instruction-count program runs on its own
MQTTWIRE_BENCH_BUILD_DIR="$dir" bench/report --quick
