#!/usr/bin/env bash
# The same with clang 14: a Release build with every target on. clang's debug build is the
# sanitizer stage's (with libstdc++'s bounds assertions), g++'s the valgrind and coverage stage's.
set -euo pipefail
source tools/ci/lib.sh
release_stage build/ci-clang-release clang++
