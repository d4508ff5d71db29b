#!/usr/bin/env bash
# Unit tests, header self-containment and compile-fail tests with g++ 12, optimised.
set -euo pipefail
source tools/ci/lib.sh
unit_stage build/ci-gcc g++ -DCMAKE_BUILD_TYPE=Release
