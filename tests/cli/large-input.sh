#!/usr/bin/env bash
# A long stream decodes completely and in constant memory: the peak RSS for 64 MiB of input
# is within a few MiB of that for 8 MiB (the framer holds one packet plus one read chunk).
# usage: large-input.sh <mqttwire> <cli_feed helper>
set -euo pipefail
mqttwire=$1 feed=$2
# Under AddressSanitizer freed blocks wait in a quarantine of up to 256 MiB before they are
# reused. The tool builds each packet's JSON afresh (an nlohmann value holding the payload's
# hex), so there the quarantine, not the tool, would grow with the input: keep it small.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
payload=65536
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
measure() {  # $1 = packets
  local count=$1 rss lines
  "$feed" publishes "$count" "$payload" | "$feed" maxrss "$mqttwire" decode 2>"$work/rss" |
    awk 'END { print NR; print $0 }' >"$work/out"
  rss=$(tail -n 1 "$work/rss")
  lines=$(head -n 1 "$work/out")
  if [ "$lines" != "$count" ]; then echo "expected $count packets, decoded $lines"; exit 1; fi
  local want
  want="{\"type\": \"publish\", \"dup\": false, \"qos\": 0, \"retain\": false, \"topic\": \"t\", \"packet_id\": null, \"payload_hex\": \"$(printf '78%.0s' $(seq "$payload"))\"}"
  if [ "$(tail -n 1 "$work/out")" != "$want" ]; then echo "the last packet decodes wrongly"; exit 1; fi
  echo "$rss"
}
small=$(measure 128)     # 8 MiB
large=$(measure 1024)    # 64 MiB
echo "peak RSS: $small KiB for 8 MiB of input, $large KiB for 64 MiB"
if ((large > small + 8192)); then
  echo "memory grows with the input: not constant"
  exit 1
fi
echo "ok: constant memory"
