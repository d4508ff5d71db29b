#!/usr/bin/env bash
# g++'s debug build of the unit tests, with coverage: the whole ctest run (unit tests, seed and
# regression replays) and a gcovr line-coverage report of include/ from it, then valgrind
# memcheck over each unit test file and the fuzz replays over their seeds.
set -euo pipefail
source tools/ci/lib.sh
build=build/ci-coverage
jobs=$(nproc)
# One build serves both: -O1 keeps memcheck (about 50 times slower than native code) bearable
# and its reports' line numbers usable; --coverage adds counters memcheck does not mind. The
# broker and traffic programs are left out (their no-I/O cores are in test_broker and test_traffic).
# -fno-var-tracking: memcheck's reports need line tables, not the locations of optimised-out
# variables, whose tracking is a third of g++'s time at -O1 -g on a test file.
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS="--coverage -O1 -g -fno-var-tracking" -DCMAKE_EXE_LINKER_FLAGS="--coverage" -DMQTTWIRE_WERROR=ON \
  -DMQTTWIRE_BUILD_BROKER=OFF -DMQTTWIRE_BUILD_TRAFFIC=OFF -DMQTTWIRE_HEADER_CHECK=OFF
cmake --build "$build" -j "$jobs"
failed=0

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
# ---- memcheck: every unit test program, and the fuzz replays over their seeds
# nouserintercepts: a test that replaces operator new to count allocations (test_alloc) keeps its
# own operator new, whose malloc calls memcheck still tracks.
vg=(valgrind --tool=memcheck --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
    --soname-synonyms=somalloc=nouserintercepts --quiet)
# The seeded chaos runs of the sessions (thousands of connections) and the lists of 268 MB would
# take most of an hour here; they run under AddressSanitizer in the sanitizer stage instead.
skip='session chaos*,*makes the packet exceed*'
runs=()  # "log|program|argument|argument..." one per memcheck run
# One run per test file (a test program runs the cases of one file with -sf), so that the runs
# are as even as the files and the longest one does not keep a core alone.
manifest=$build/tests/test_files.txt
[ -s "$manifest" ] || { echo "no list of test programs and files: $manifest"; exit 1; }
while read -r program file; do
  runs+=("$build/valgrind-$file.log|$build/tests/$program|--source-file=*/$file.cpp|--test-case-exclude=$skip")
done < "$manifest"
for p in "$build"/tests/replay_fuzz_*; do
  if [ ! -f "$p" ] || [ ! -x "$p" ]; then continue; fi
  t=${p##*/replay_}
  runs+=("$build/valgrind-replay-$t.log|$p|fuzz/seeds/$t")
done
# shellcheck disable=SC2317 # called through on_every_core, which shellcheck does not follow
memcheck() {  # $1 = "log|program|argument..."
  local log program args
  IFS='|' read -r -a args <<< "$1"
  log=${args[0]}
  program=${args[1]}
  args=("${args[@]:2}")
  # A file pattern that matched nothing would pass having run nothing.
  if "${vg[@]}" "$program" "${args[@]}" > "$log" 2>&1 &&
    ! grep -qE '^\[doctest\] test cases: +0 \|' "$log"; then
    echo "memcheck ok: $(basename "$program") ${args[0]}"
  else
    echo "memcheck FAILED: $(basename "$program") ${args[*]}"
    tail -40 "$log"
    return 1
  fi
}
# memcheck runs one thread: run as many programs at once as there are cores.
on_every_core memcheck "${runs[@]}" || failed=1

exit "$failed"
