#!/usr/bin/env bash
# The same with clang 14: a Release build with every target on, then a debug build with
# libstdc++'s bounds assertions. Both run, whichever fails.
set -euo pipefail
source tools/ci/lib.sh
failed=0
release_stage build/ci-clang-release clang++ || failed=1
unit_stage build/ci-clang clang++ -DCMAKE_BUILD_TYPE=Debug -DMQTTWIRE_BUILD_TRAFFIC=OFF \
  -DCMAKE_CXX_FLAGS="-D_GLIBCXX_ASSERTIONS" || failed=1
exit "$failed"
