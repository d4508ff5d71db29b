#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The traffic telemetry system (examples/traffic): builds it in Release with warnings as errors,
# runs its unit tests, then the system tests in tests/traffic/ on 127.0.0.1: the whole system
# with a broker restart against mosquitto (and mqttwire-broker when it is built), the map in
# headless Chromium, the SUMO replay, and the README's demo for a few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build/ci-traffic
jobs=${MQTTWIRE_JOBS:-$(nproc)}
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release \
  -DMQTTWIRE_WERROR=ON >/dev/null
targets=(traffic_generator traffic_monitor traffic_web test_traffic_sim test_traffic_congestion
         test_traffic_sumo test_traffic_payloads)
brokers=(mosquitto)
if [ -f examples/broker/main.cpp ]; then
  targets+=(mqttwire_broker)
  brokers=(mqttwire mosquitto)
fi
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
for t in sim congestion sumo payloads; do "$build/tests/test_traffic_$t"; done
(cd tests/traffic && npm ci --no-audit --no-fund --loglevel=error)

for b in "${brokers[@]}"; do
  echo "--- the whole system against $b"
  timeout 180 bash tests/traffic/system.sh "$build" "$b"
done
echo "--- the map in headless Chromium (${brokers[0]})"
timeout 150 bash tests/traffic/map.sh "$build" "${brokers[0]}"
echo "--- SUMO replay (${brokers[0]})"
timeout 120 bash tests/traffic/sumo.sh "$build" "${brokers[0]}"
echo "--- tools/run-demo.sh, 8 seconds"
MQTTWIRE_DEMO_BUILD="$build" MQTTWIRE_DEMO_SKIP_DEPS=1 timeout 120 bash tools/run-demo.sh --seconds 8 \
  >"$build/traffic-artifacts/demo.log" 2>&1
grep -q "vehicles online 50" "$build/traffic-artifacts/demo.log"
grep -q "the map: http://127.0.0.1:" "$build/traffic-artifacts/demo.log"
echo "tools/run-demo.sh: ok (log in $build/traffic-artifacts/demo.log)"
