#!/usr/bin/env bash
# The same with clang 14, in a debug build with libstdc++'s bounds assertions.
set -euo pipefail
source tools/ci/lib.sh
unit_stage build/ci-clang clang++ -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-D_GLIBCXX_ASSERTIONS"
