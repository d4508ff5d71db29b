#!/usr/bin/env bash
# The one command that runs every test of mqttwire on a fresh Debian 12 machine:
#   bash tools/test-all.sh
# It installs what it needs, then runs each stage in tools/ci/ in order (unit tests with g++
# and clang, ASan+UBSan, packaging consumers, CLI and interop, fuzzing, valgrind, coverage,
# benchmarks smoke). Set MQTTWIRE_STAGES="unit-gcc unit-clang" to run only some stages.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bash tools/install-deps.sh || { echo "installing dependencies failed"; exit 1; }

passed=0
failed=0
failed_names=()
start_all=$SECONDS
for stage in tools/ci/[0-9]*.sh; do
  name=$(basename "$stage" .sh)
  name=${name#*-}
  if [ -n "${MQTTWIRE_STAGES:-}" ] && [[ " $MQTTWIRE_STAGES " != *" $name "* ]]; then continue; fi
  echo "=== stage $name"
  start=$SECONDS
  if bash "$stage"; then
    passed=$((passed + 1))
    echo "=== stage $name passed ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    echo "=== stage $name FAILED ($((SECONDS - start)) s)"
  fi
done
echo "all stages took $((SECONDS - start_all)) s"
if ((failed)); then echo "failed stages: ${failed_names[*]}"; fi
echo "stages: $passed passed, $failed failed"
((failed == 0))
