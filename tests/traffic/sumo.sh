#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SUMO replay: builds a small scenario with the real tools (netgenerate, randomTrips.py, sumo
# --fcd-output), replays it with traffic-generator --sumo-fcd at 5x speed through a broker,
# and checks that the network published is the net file's, that every vehicle of the FCD file
# connected and was seen by the monitor, and that every FCD record became one QoS 1 report.
#   usage: tests/traffic/sumo.sh <build dir> <mosquitto|mqttwire>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
kind=$2
work=$build/traffic-artifacts/sumo-$kind
source "$here/lib.sh"
bin=$build/examples/traffic
export SUMO_HOME=/usr/share/sumo
rm -rf "$work"
mkdir -p "$work"
cd "$work"
netgenerate --grid --grid.number 4 --grid.length 150 --default.lanenumber 1 -o net.net.xml \
  >sumo.log 2>&1
/usr/bin/python3 "$SUMO_HOME/tools/randomTrips.py" -n net.net.xml -o trips.xml -e 60 -p 1.5 \
  --seed 7 >>sumo.log 2>&1
sumo -n net.net.xml -r trips.xml --fcd-output fcd.xml --end 120 --seed 7 --no-step-log \
  >>sumo.log 2>&1
echo "SUMO scenario: $(grep -c '<edge id="[^:]' net.net.xml) edges, $(grep -c '<timestep' fcd.xml) timesteps, $(grep -c '<vehicle ' fcd.xml) records"

port=$(free_port)
ws=$(free_port)
case $kind in
  mosquitto) start_mosquitto "$work/broker" "$port" "$ws" "$build/traffic-web" ;;
  mqttwire)
    "$build/examples/mqttwire-broker" --bind 127.0.0.1 --port "$port" >"$work/broker.log" 2>&1 &
    pids+=("$!")
    wait_port "$port"
    ;;
  *) echo "unknown broker kind $kind"; exit 2 ;;
esac
timeout 90 "$bin/traffic-monitor" --port "$port" --json >monitor.jsonl 2>monitor.err &
monitor=$!
pids+=("$monitor")
for _ in $(seq 100); do grep -q subscribed monitor.err && break; sleep 0.1; done
gen_rc=0
timeout 80 "$bin/traffic-generator" --port "$port" --sumo-fcd fcd.xml --sumo-net net.net.xml \
  --speedup 5 --json >generator.jsonl 2>generator.err || gen_rc=$?
sleep 2
mosquitto_sub -h 127.0.0.1 -p "$port" -t traffic/network -C 1 -W 3 >network.json 2>/dev/null || true
stop_pid "$monitor"
/usr/bin/python3 - "$gen_rc" <<'PY'
import json, sys, xml.etree.ElementTree as ET
gen_rc = int(sys.argv[1])
failures = []
def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok: failures.append(what)
net_edges = {e.get("id") for e in ET.parse("net.net.xml").getroot().iter("edge")
             if not e.get("id").startswith(":") and e.get("function") in (None, "normal")}
ids, records = set(), 0
for _, el in ET.iterparse("fcd.xml"):
    if el.tag == "vehicle":
        ids.add(el.get("id")); records += 1
    el.clear()
gen = [json.loads(l) for l in open("generator.jsonl") if l.startswith("{")]
mon = [json.loads(l) for l in open("monitor.jsonl") if l.startswith("{")]
summary = next(j for j in gen if j.get("summary"))
final = next(j for j in mon if j.get("final"))
print("generator:", json.dumps(summary))
check(gen_rc == 0, "the generator replayed the file to its end and left cleanly")
check(summary["sumo_vehicles"] == len(ids), "%d vehicles replayed (the FCD has %d)" % (summary["sumo_vehicles"], len(ids)))
check(summary["positions"] == records, "%d reports sent for %d FCD records" % (summary["positions"], records))
check(set(final["vehicles"]) == ids, "the monitor saw every vehicle of the FCD file (%d)" % len(final["vehicles"]))
check(final["received"] - final["duplicates"] == records and final["lost"] == 0,
      "the monitor received every report (%d, lost %d)" % (final["received"], final["lost"]))
net = json.loads(open("network.json").read() or "{}")
got = {f["properties"]["id"] for f in net.get("features", [])}
check(got == net_edges, "traffic/network has the net file's %d edges" % len(net_edges))
seen_segments = {s["segment"] for t in mon for s in t.get("slowest", [])}
check(seen_segments and seen_segments <= net_edges, "the monitor's segments are the net's edges")
print("sumo test: %d checks failed" % len(failures))
sys.exit(1 if failures else 0)
PY
