#!/usr/bin/env bash
# Configures and builds one build flavour. Used by run.sh and test.sh.
#   scripts/build.sh release   -> build-release/ (optimized, checks on)
#   scripts/build.sh ci        -> build-ci/ (ASan + UBSan, -O1, checks on)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:?usage: scripts/build.sh release|ci}
jobs=$(nproc 2>/dev/null || echo 2)
case "$flavour" in
  release)
    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKV_SIM_CHECKS=ON >/dev/null
    cmake --build build-release -j"$jobs"
    ;;
  ci)
    # Sanitizers find memory and UB bugs; -O1 keeps the simulation sweeps
    # fast enough to run hundreds of seeds within CI's budget.
    cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKV_SANITIZE=ON \
      -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DKV_SIM_CHECKS=ON >/dev/null
    cmake --build build-ci -j"$jobs"
    ;;
  *)
    echo "build.sh: unknown flavour '$flavour' (release or ci)" >&2
    exit 2
    ;;
esac
