#!/usr/bin/env bash
# Regenerates the sample byte streams traffic-<version>.hex from the JSON Lines beside them,
# with the mqttwire CLI itself, so the samples are reproducible from readable sources.
#   usage: examples/traffic/samples/generate.sh [path/to/mqttwire]   (default: build/cli-gcc/examples/mqttwire)
# ctest (tests/cli.cmake) checks that the committed .hex files equal this output.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mqttwire=${1:-$here/../../../build/cli-gcc/examples/mqttwire}
for version in 3.1.1 3.1; do
  "$mqttwire" encode --hex --protocol "$version" <"$here/traffic-$version.jsonl" >"$here/traffic-$version.hex"
done
