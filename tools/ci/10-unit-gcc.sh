#!/usr/bin/env bash
# Unit tests, header self-containment and compile-fail tests with g++ 12 in a Release build with
# every target on (benchmarks and fuzz targets too). Later stages reuse this build.
set -euo pipefail
source tools/ci/lib.sh
release_stage "$gcc_release_dir" g++
