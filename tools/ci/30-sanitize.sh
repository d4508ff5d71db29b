#!/usr/bin/env bash
# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer in a clang 14 debug build,
# with libstdc++'s bounds assertions (-D_GLIBCXX_ASSERTIONS). The fuzz replays are left out: the
# fuzz stage runs the same targets with the same sanitizers and assertions, from the same seeds
# and past crash inputs (and the Release and coverage builds replay them too).
set -euo pipefail
source tools/ci/lib.sh
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -D_GLIBCXX_ASSERTIONS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  unit_stage build/ci-asan clang++ -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DMQTTWIRE_BUILD_BROKER=OFF \
  -DMQTTWIRE_BUILD_TRAFFIC=OFF -DMQTTWIRE_HEADER_CHECK=OFF -DMQTTWIRE_FUZZ_REPLAY=OFF
