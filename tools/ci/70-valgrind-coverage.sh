#!/usr/bin/env bash
# valgrind memcheck over the unit test programs, then a gcovr line-coverage report of include/
# from a g++ --coverage build of the unit tests plus the fuzz seed corpus replay (ctest runs both).
set -euo pipefail
vbuild=build/ci-valgrind
build=build/ci-coverage
jobs=$(nproc)
# memcheck is about 50 times slower than native code, so it gets an optimised build (-O1 keeps
# the line numbers of its reports usable); the coverage build is separate and unoptimised.
cmake -S . -B "$vbuild" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS="-O1 -g" -DMQTTWIRE_WERROR=ON -DMQTTWIRE_BUILD_TRAFFIC=OFF
cmake --build "$vbuild" -j "$jobs"
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS="--coverage -O0" -DCMAKE_EXE_LINKER_FLAGS="--coverage" -DMQTTWIRE_WERROR=ON \
  -DMQTTWIRE_BUILD_TRAFFIC=OFF
cmake --build "$build" -j "$jobs"

# ---- memcheck: every unit test program, and the fuzz replays over their seeds
# nouserintercepts: a test that replaces operator new to count allocations (test_alloc) keeps its
# own operator new, whose malloc calls memcheck still tracks.
vg=(valgrind --tool=memcheck --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
    --soname-synonyms=somalloc=nouserintercepts --quiet)
failed=0
programs=()
for p in "$vbuild"/tests/test_*; do
  [ -f "$p" ] && [ -x "$p" ] && programs+=("$p")
done
((${#programs[@]})) || { echo "no unit test programs in $vbuild/tests"; exit 1; }
for p in "${programs[@]}"; do
  log="$vbuild/valgrind-$(basename "$p").log"
  if "${vg[@]}" "$p" > "$log" 2>&1; then
    echo "memcheck ok: $(basename "$p")"
  else
    echo "memcheck FAILED: $(basename "$p")"
    tail -40 "$log"
    failed=1
  fi
done
for p in "$vbuild"/tests/replay_fuzz_*; do
  if [ ! -f "$p" ] || [ ! -x "$p" ]; then continue; fi
  t=${p##*/replay_}
  log="$vbuild/valgrind-replay-$t.log"
  if "${vg[@]}" "$p" "fuzz/seeds/$t" > "$log" 2>&1; then
    echo "memcheck ok: replay of $t seeds"
  else
    echo "memcheck FAILED: replay of $t seeds"
    tail -40 "$log"
    failed=1
  fi
done

# ---- coverage: the whole ctest run (unit tests, seed and regression replays)
find "$build" -name '*.gcda' -delete
ctest --test-dir "$build" -j "$jobs" --output-on-failure --no-tests=error || failed=1
mkdir -p "$build/coverage"
# gcovr 5.2 (Debian 12) stops on an assertion when one inline function of a header shows up at
# two line numbers in different translation units; later gcovr versions merge them. Run it with
# that merge turned on, from the interpreter gcovr itself uses.
gcovr_python=$(head -1 "$(command -v gcovr)" | sed 's/^#! *//')
"$gcovr_python" - --root . --object-directory "$build" --filter 'include/' \
  --html-details "$build/coverage/index.html" --txt "$build/coverage/summary.txt" \
  --print-summary > "$build/coverage/print.txt" <<'PY' || failed=1
import sys
import gcovr.merging
if hasattr(gcovr.merging, "DEFAULT_MERGE_OPTIONS"):
    gcovr.merging.DEFAULT_MERGE_OPTIONS.ignore_function_lineno = True
from gcovr.__main__ import main
sys.argv[0] = "gcovr"
sys.exit(main())
PY
cat "$build/coverage/summary.txt" || true
line=$(grep -E '^lines:' "$build/coverage/print.txt" || true)
echo "line coverage of include/ (unit tests + seed corpus replay): ${line#lines: }"
echo "report: $build/coverage/index.html"
exit "$failed"
