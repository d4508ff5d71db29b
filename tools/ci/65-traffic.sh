#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The traffic telemetry system (examples/traffic): the programs of unit-gcc's Release build
# (built there, or here if the stage runs on its own), the model's unit tests, then the
# system tests in tests/traffic/ on 127.0.0.1: the whole system with
# a broker restart against mqttwire-broker and against mosquitto, and the SUMO replay, side by
# side; then the map in headless Chromium (served by mqttwire-broker) and the README's demo for
# a few seconds. 3 minutes on an idle 2-core machine from nothing, 75 s of it the tests (each
# bounded by timeout here and by its own timeouts inside).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/ci/lib.sh
build=$gcc_release_dir
gcc_release_targets mqttwire_broker traffic_generator traffic_monitor traffic_web \
  test_traffic
"$build/tests/test_traffic"
(cd tests/traffic && npm ci --no-audit --no-fund --loglevel=error)
artifacts=$build/traffic-artifacts
mkdir -p "$artifacts"

# Three independent runs at once, each on its own free ports; each log is shown when it ends.
names=(system-mqttwire system-mosquitto sumo-mqttwire)
timeout --kill-after=10 120 bash tests/traffic/system.sh "$build" mqttwire >"$artifacts/${names[0]}.log" 2>&1 &
run_pids=("$!")
timeout --kill-after=10 120 bash tests/traffic/system.sh "$build" mosquitto >"$artifacts/${names[1]}.log" 2>&1 &
run_pids+=("$!")
timeout --kill-after=10 120 bash tests/traffic/sumo.sh "$build" mqttwire >"$artifacts/${names[2]}.log" 2>&1 &
run_pids+=("$!")
failed=()
for i in "${!names[@]}"; do
  rc=0
  wait "${run_pids[$i]}" || rc=$?
  echo "--- ${names[$i]} (exit $rc)"
  cat "$artifacts/${names[$i]}.log"
  ((rc == 0)) || failed+=("${names[$i]}")
done

echo "--- the map in headless Chromium, served by mqttwire-broker"
timeout --kill-after=10 120 bash tests/traffic/map.sh "$build" mqttwire || failed+=(map)
echo "--- tools/run-demo.sh, 8 seconds"
if MQTTWIRE_DEMO_BUILD="$build" MQTTWIRE_DEMO_SKIP_DEPS=1 MQTTWIRE_DEMO_SKIP_BUILD=1 \
    timeout --kill-after=10 60 bash tools/run-demo.sh --seconds 8 >"$artifacts/demo.log" 2>&1 &&
  grep -q "mqttwire-broker on 127.0.0.1:" "$artifacts/demo.log" &&
  grep -q "vehicles online 50" "$artifacts/demo.log" &&
  grep -q "the map: http://127.0.0.1:" "$artifacts/demo.log"; then
  echo "tools/run-demo.sh: ok (log in $artifacts/demo.log)"
else
  cat "$artifacts/demo.log"
  failed+=(demo)
fi
if ((${#failed[@]})); then
  echo "traffic: failed: ${failed[*]}"
  exit 1
fi
echo "traffic: all passed (artifacts in $artifacts)"
