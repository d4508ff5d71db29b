#!/usr/bin/env bash
# The CLI inspector demo (the second "run it" command): builds the `mqttwire` tool, decodes the
# recorded traffic-system exchanges in examples/traffic/samples/ (MQTT 3.1.1 and 3.1) to JSON
# Lines, encodes a few JSON lines back to hex, and shows what a malformed stream looks like.
# Installs what it needs on Debian 12.
#   bash tools/run-cli-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
build=${MQTTWIRE_DEMO_BUILD:-build/cli-demo}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMQTTWIRE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target mqttwire_cli >/dev/null
mqttwire=$build/examples/mqttwire

for version in 3.1.1 3.1; do
  echo "== mqttwire decode --hex --protocol $version < examples/traffic/samples/traffic-$version.hex"
  "$mqttwire" decode --hex --protocol "$version" <"examples/traffic/samples/traffic-$version.hex"
  echo
done

echo "== the same 3.1.1 exchange as raw bytes: xxd -r -p traffic-3.1.1.hex | mqttwire decode | sed -n 1,3p"
xxd -r -p examples/traffic/samples/traffic-3.1.1.hex | "$mqttwire" decode | sed -n 1,3p
echo

echo "== mqttwire encode --hex (a monitor subscribing, a position report, its acknowledgement)"
"$mqttwire" encode --hex <<'JSON'
{"type": "subscribe", "packet_id": 7, "dup": false, "subscriptions": [{"topic_filter": "traffic/vehicles/+/position", "qos": 1}]}
{"type": "publish", "dup": false, "qos": 1, "retain": false, "topic": "traffic/vehicles/vehicle-7/position", "packet_id": 8, "payload_hex": "7b226b6d68223a35307d"}
{"type": "puback", "packet_id": 8}
JSON
echo

echo "== a stream with a wildcard in a PUBLISH topic ([MQTT-3.3.2-2]): the error line, exit code 1"
status=0
echo "c000 3005 0003 612f23" | "$mqttwire" decode --hex || status=$?
echo "exit code $status"
