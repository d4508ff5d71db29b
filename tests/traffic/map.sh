#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The map in a real browser: a broker serving build/traffic-web (MQTT over WebSockets on the
# same port), the generator (50 vehicles, the jam 5 s in) and the monitor; then headless
# Chromium loads the page (tests/traffic/map.mjs), waits for every vehicle, checks that they
# move and that the status line counts them, waits for the congestion highlight and saves the
# screenshot to <build>/traffic-artifacts/map.png.
#   usage: tests/traffic/map.sh <build dir> <mosquitto|mqttwire> [vehicles] [screenshot]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
kind=$2
work=$build/traffic-artifacts/map-$kind
source "$here/lib.sh"
bin=$build/examples/traffic
vehicles=${3:-50}
rm -rf "$work"
mkdir -p "$work"
[ -f "$build/traffic-web/vendor/mqtt.min.js" ] || { echo "build the traffic_web target first"; exit 2; }
[ -d "$here/node_modules/puppeteer-core" ] ||
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
port=$(free_port)
ws=$(free_port)
case $kind in
  mosquitto) start_mosquitto "$work/broker" "$port" "$ws" "$build/traffic-web" ;;
  mqttwire)
    "$build/examples/mqttwire-broker" --bind 127.0.0.1 --port "$port" --ws-port "$ws" \
      --http-root "$build/traffic-web" >"$work/broker.log" 2>&1 &
    pids+=("$!")
    wait_port "$port"
    wait_port "$ws"
    ;;
  *) echo "unknown broker kind $kind"; exit 2 ;;
esac
timeout 120 "$bin/traffic-monitor" --port "$port" --json >"$work/monitor.jsonl" 2>"$work/monitor.err" &
pids+=("$!")
for _ in $(seq 100); do grep -q subscribed "$work/monitor.err" && break; sleep 0.1; done
timeout 120 "$bin/traffic-generator" --port "$port" --vehicles "$vehicles" --jam-at 5 --jam-for 60 \
  >"$work/generator.log" 2>&1 &
pids+=("$!")
sleep 2
shot=$build/traffic-artifacts/map.png
[ "$kind" = mqttwire ] || shot=$build/traffic-artifacts/map-$kind.png
shot=${4:-$shot}
timeout 100 node "$here/map.mjs" "http://127.0.0.1:$ws/index.html" "$vehicles" "$shot" 40
echo "map test ($kind): ok, screenshot $shot"
