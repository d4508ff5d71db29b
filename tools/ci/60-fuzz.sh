#!/usr/bin/env bash
# Fuzzing: the ClusterFuzzLite files checked and its build.sh run as the service would (with ASan
# and UBSan together, the service's address and undefined builds in one), then each libFuzzer
# target it built for about 20 s on a scratch copy of its seeds with the dictionary, failing on
# any crash, leak or timeout (printed in hex), and the past crash inputs replayed.
# MQTTWIRE_FUZZ_SECONDS changes the time per target.
set -euo pipefail
source tools/ci/lib.sh
secs=${MQTTWIRE_FUZZ_SECONDS:-20}
build=build/ci-fuzz
root=$PWD
jobs=$(nproc)
for tool in clang++ xxd zip; do
  command -v "$tool" > /dev/null || { echo "60-fuzz needs $tool (tools/install-deps.sh)"; exit 1; }
done

mkdir -p "$build"
failed=0

# ---- 1. the continuous-fuzzing files: syntax of the YAML files, and build.sh run by hand
py=""
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c "import yaml" 2>/dev/null; then py=$candidate; break; fi
done
[ -n "$py" ] || { echo "no python3 with the yaml module (python3-yaml)"; exit 1; }
"$py" - .clusterfuzzlite/project.yaml .github/workflows/cflite_pr.yml .github/workflows/cflite_batch.yml <<'PY' || failed=1
import sys, yaml
for path in sys.argv[1:]:
    with open(path) as f:
        doc = yaml.safe_load(f)
    if path.endswith("project.yaml"):
        assert doc.get("language") == "c++", path + ": language must be c++"
        continue
    # PyYAML reads the key "on" as True (YAML 1.1); accept either.
    assert ("on" in doc) or (True in doc), path + ": no trigger"
    for name, job in doc["jobs"].items():
        uses = [s.get("uses", "") for s in job["steps"]]
        assert any("clusterfuzzlite/actions/build_fuzzers" in u for u in uses), path + ": no build step"
        assert any("clusterfuzzlite/actions/run_fuzzers" in u for u in uses), path + ": no run step"
    print("ok", path)
PY
bash -n .clusterfuzzlite/build.sh
grep -q '^FROM gcr.io/oss-fuzz-base/base-builder' .clusterfuzzlite/Dockerfile ||
  { echo "Dockerfile: not based on base-builder"; failed=1; }

# What base-builder would set, on a copy of the tree; the fuzzing below runs what it built.
scratch="$root/$build/cflite"
rm -rf "$scratch"
mkdir -p "$scratch/src/mqttwire" "$scratch/out" "$scratch/work"
tar -C "$root" --exclude=./build --exclude=./.git -cf - . | tar -C "$scratch/src/mqttwire" -xf -
# base-builder's flags for libFuzzer with ASan, plus UBSan (its "undefined" build) and no recovery,
# and libstdc++'s bounds assertions, as in the sanitizer stage (which leaves these targets to us).
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize-address-use-after-scope"
sanitize="$sanitize -D_GLIBCXX_ASSERTIONS"
sanitize="$sanitize -fsanitize=fuzzer-no-link"
(
  cd "$scratch/src/mqttwire"
  export SRC="$scratch/src" OUT="$scratch/out" WORK="$scratch/work"
  export CC=clang CXX=clang++ CMAKE_BUILD_PARALLEL_LEVEL="$jobs"
  export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only $sanitize"
  export CXXFLAGS="$CFLAGS"
  export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
  bash .clusterfuzzlite/build.sh
) > "$build/cflite-build.log" 2>&1 || { echo "build.sh failed:"; tail -30 "$build/cflite-build.log"; exit 1; }

targets=()
for bin in "$scratch"/out/fuzz_*; do
  [ -f "$bin" ] && [ -x "$bin" ] && targets+=("$(basename "$bin")")
done
((${#targets[@]})) || { echo "build.sh built no fuzz targets"; exit 1; }
echo "fuzz targets: ${targets[*]}"

# ---- 2. run each target on a scratch corpus, so the committed seeds never change
# A libFuzzer run uses one core: as many targets run at once as there are cores, each writing
# its report to its own file, printed in target order once all have finished.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# shellcheck disable=SC2317 # called through on_every_core, which shellcheck does not follow
fuzz_target() {  # $1 = target; its report goes to stdout (redirected by the caller)
  local t=$1 work="$build/work/$1" artifacts="$build/artifacts/$1" status=0 found f bad=0
  rm -rf "$work" "$artifacts"
  mkdir -p "$work" "$artifacts"
  cp fuzz/seeds/"$t"/* "$work"/
  # Past crashes first (libFuzzer runs the files given and exits).
  if [ -d "fuzz/regressions/$t" ] && compgen -G "fuzz/regressions/$t/*" > /dev/null; then
    "$scratch/out/$t" -artifact_prefix="$artifacts/" fuzz/regressions/"$t"/* > "$build/$t.regressions.log" 2>&1 ||
      { echo "$t: a regression input fails again"; tail -40 "$build/$t.regressions.log"; bad=1; }
  fi
  echo "--- $t: fuzzed for $secs s"
  "$scratch/out/$t" "$work" -dict=fuzz/mqtt.dict -max_total_time="$secs" \
    -max_len=4096 -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" > "$build/$t.log" 2>&1 || status=$?
  grep -E "stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb" "$build/$t.log" | sed "s/^/  /" || true
  found=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \))
  if [ -n "$found" ] || [ "$status" -ne 0 ]; then
    bad=1
    echo "$t: FAILED (exit $status)"
    grep -E "oracle violated|ERROR:|SUMMARY:" "$build/$t.log" | head -5 || true
    for f in $found; do
      echo "  $f:"
      xxd "$f" | head -64 | sed "s/^/    /"
    done
  fi
  return "$bad"
}
# shellcheck disable=SC2317 # called through on_every_core
fuzz_to_report() { fuzz_target "$1" > "$build/$1.report" 2>&1; }
on_every_core fuzz_to_report "${targets[@]}" || failed=1
for t in "${targets[@]}"; do cat "$build/$t.report"; done

# ---- 3. the service's runs: each binary with its dictionary
for t in "${targets[@]}"; do
  for f in "$t" "${t}_seed_corpus.zip" "$t.dict"; do
    [ -s "$scratch/out/$f" ] || { echo "build.sh: \$OUT/$f is missing"; failed=1; }
  done
  # The service runs the binary with its dictionary; a few runs prove it starts.
  if [ -x "$scratch/out/$t" ]; then
    "$scratch/out/$t" -runs=200 -dict="$scratch/out/$t.dict" > "$build/cflite-$t.log" 2>&1 ||
      { echo "\$OUT/$t does not run"; tail -20 "$build/cflite-$t.log"; failed=1; }
  fi
done
echo "ClusterFuzzLite build by hand: $(find "$scratch/out" -type f | wc -l) files in \$OUT"

exit "$failed"
