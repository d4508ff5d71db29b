#!/usr/bin/env bash
# The mqttwire CLI against an independent implementation: the tool from the unit-gcc stage's
# Release build, the pinned npm package mqtt-packet (tests/interop/package-lock.json) and the
# differential test, then the CLI demo command as a newcomer runs it (it builds the tool in its
# own directory). The CLI's own tests run in the unit stages through ctest.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/ci/lib.sh
gcc_release_targets mqttwire_cli
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
node tests/interop/differential.js "$gcc_release_dir/examples/mqttwire"
mkdir -p build/ci-cli
bash tools/run-cli-demo.sh >build/ci-cli/demo.log
echo "tools/run-cli-demo.sh: ok ($(grep -c '^{' build/ci-cli/demo.log) JSON lines, log in build/ci-cli/demo.log)"
