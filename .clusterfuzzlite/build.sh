#!/bin/bash -eu
# SPDX-License-Identifier: MIT
# Builds the fuzz targets for ClusterFuzzLite / OSS-Fuzz. The service sets CC, CXX, CXXFLAGS (its
# sanitizer and coverage flags), LIB_FUZZING_ENGINE (the engine's link flags), SRC, WORK and OUT;
# the binaries, their seed corpora and dictionaries go to $OUT. Run from the repository root.
# No CMAKE_BUILD_TYPE: its flags (-O2 -g -DNDEBUG for RelWithDebInfo) would come after the
# service's and override them (its -O1 -gline-tables-only, its coverage build's flags).
build="$WORK/mqttwire-build"
cmake -S . -B "$build" -G Ninja \
  -DMQTTWIRE_BUILD_TESTS=OFF -DMQTTWIRE_BUILD_EXAMPLES=OFF -DMQTTWIRE_INSTALL=OFF \
  -DMQTTWIRE_BUILD_FUZZ=ON -DMQTTWIRE_FUZZ_LINKMAIN=OFF \
  -DMQTTWIRE_FUZZ_LDFLAGS="$LIB_FUZZING_ENGINE"
cmake --build "$build"

found=0
for bin in "$build"/fuzz/fuzz_*; do
  if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then continue; fi
  t=$(basename "$bin")
  cp "$bin" "$OUT/$t"
  # Same file name as the binary: libFuzzer and the service pick these up on their own.
  rm -f "$OUT/${t}_seed_corpus.zip"
  zip -q -j "$OUT/${t}_seed_corpus.zip" fuzz/seeds/"$t"/*
  cp fuzz/mqtt.dict "$OUT/$t.dict"
  printf '[libfuzzer]\nmax_len = 4096\n' > "$OUT/$t.options"
  found=$((found + 1))
done
echo "built $found fuzz targets into $OUT"
[ "$found" -gt 0 ]
