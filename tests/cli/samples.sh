#!/usr/bin/env bash
# The sample streams in examples/traffic/samples: the committed .hex files are what `mqttwire encode`
# makes of the JSON Lines beside them, and decoding them (as hex text and as raw bytes) gives
# those JSON Lines back exactly. usage: samples.sh <mqttwire> <examples/traffic/samples directory>
set -euo pipefail
mqttwire=$1 dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for version in 3.1.1 3.1; do
  jsonl=$dir/traffic-$version.jsonl hex=$dir/traffic-$version.hex
  "$mqttwire" encode --hex --protocol "$version" <"$jsonl" >"$work/hex"
  diff -u "$hex" "$work/hex" || { echo "traffic-$version.hex is stale: run examples/traffic/samples/generate.sh"; exit 1; }
  "$mqttwire" decode --hex --protocol "$version" <"$hex" >"$work/decoded"
  diff -u "$jsonl" "$work/decoded" || { echo "decoding traffic-$version.hex differs"; exit 1; }
  "$mqttwire" encode --protocol "$version" <"$jsonl" >"$work/raw"
  "$mqttwire" decode --protocol "$version" <"$work/raw" >"$work/decoded-raw"
  diff -u "$jsonl" "$work/decoded-raw" || { echo "decoding raw traffic-$version differs"; exit 1; }
  echo "ok: traffic-$version ($(wc -l <"$jsonl") packets)"
done
