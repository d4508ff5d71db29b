#!/usr/bin/env bash
# The mqttwire CLI against an independent implementation: builds the tool, installs the pinned
# npm package mqtt-packet (tests/interop/package-lock.json) and runs the differential test,
# then the README's demo command. The CLI's own tests run in the unit stages through ctest.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build/ci-cli
jobs=${MQTTWIRE_JOBS:-$(nproc)}
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release \
  -DMQTTWIRE_BUILD_TESTS=OFF -DMQTTWIRE_WERROR=ON
cmake --build "$build" -j "$jobs" --target mqttwire_cli
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
node tests/interop/differential.js "$build/examples/mqttwire"
MQTTWIRE_DEMO_BUILD="$build" bash tools/run-cli-demo.sh >"$build/demo.log"
echo "tools/run-cli-demo.sh: ok ($(grep -c '^{' "$build/demo.log") JSON lines, log in $build/demo.log)"
