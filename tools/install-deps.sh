#!/usr/bin/env bash
# Installs what building and testing mqttwire needs on a fresh Debian 12 machine (run as root,
# or with sudo available). Safe to run again: apt-get skips what is already there.
set -euo pipefail
packages=(
  g++ clang libclang-rt-14-dev cmake ninja-build pkgconf   # compilers, libFuzzer runtime, build
  doctest-dev catch2                                        # unit tests, benchmarks
  nlohmann-json3-dev                                        # the CLI's JSON (examples/cli)
  libexpat1-dev                                             # the traffic example's SUMO readers
  mosquitto mosquitto-clients                               # a second broker for the traffic tests
  chromium sumo sumo-tools                                  # the map test's browser, SUMO replay
  valgrind gcovr python3 python3-yaml shellcheck            # memcheck, coverage, CI file checks
  xxd git zip                                               # hex tools, FetchContent test, CFLite corpora
  libboost-dev                                              # examples/broker: Asio and Beast (headers)
  mosquitto mosquitto-clients python3-paho-mqtt             # the broker's real-peer tests
)
# The machine images ship Node.js and npm from NodeSource; Debian's npm package conflicts with
# that node, so ask apt for them only where node is absent.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
