#!/usr/bin/env bash
# mqttwire-broker against MQTT software nobody here wrote: the broker of unit-gcc's Release build,
# installs the pinned MQTT.js (tests/broker/package-lock.json), then runs tests/broker/test_*:
# Python with Debian's paho-mqtt, mosquitto and mosquitto-clients, and Node with MQTT.js. Each
# test starts its own brokers on ports the OS picks, stops them by pid, and is bounded here by
# timeout. The broker's routing core has its unit tests in the unit stages (test_broker).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/ci/lib.sh
build=$gcc_release_dir
gcc_release_targets mqttwire_broker mqttwire_load
(cd tests/broker && npm ci --no-audit --no-fund --loglevel=error)
export MQTTWIRE_BROKER="$PWD/$build/examples/mqttwire-broker"
export MQTTWIRE_LOAD="$PWD/$build/examples/mqttwire-load"
failed=()
for t in tests/broker/test_*.py tests/broker/test_*.js tests/broker/test_*.sh; do
  name=$(basename "$t")
  case $name in
    *.py) run=(/usr/bin/python3 "$name") ;;  # Debian's python, with python3-paho-mqtt
    *.js) run=(node "$name") ;;
    *.sh) run=(bash "$name") ;;  # test_load_smoke.sh: mqttwire-load, small counts
  esac
  echo "--- $name"
  start=$SECONDS
  if (cd tests/broker && timeout --kill-after=10 180 "${run[@]}"); then
    echo "--- $name passed ($((SECONDS - start)) s)"
  else
    echo "--- $name FAILED ($((SECONDS - start)) s)"
    failed+=("$name")
  fi
done
if ((${#failed[@]})); then
  echo "failed: ${failed[*]}"
  exit 1
fi
