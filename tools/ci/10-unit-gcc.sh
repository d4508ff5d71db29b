#!/usr/bin/env bash
# Unit tests, header self-containment and compile-fail tests with g++ 12 in a Release build with
# every target on (benchmarks and fuzz targets too).
set -euo pipefail
source tools/ci/lib.sh
release_stage build/ci-gcc g++ -DMQTTWIRE_BUILD_TRAFFIC=OFF  # stage 65 builds them with g++
