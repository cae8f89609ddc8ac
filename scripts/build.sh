#!/usr/bin/env bash
# Configures and builds one build flavour. Used by run.sh and test.sh.
#   scripts/build.sh release   -> build-release/ (optimized, checks on)
#   scripts/build.sh ci        -> build-ci/ (ASan + UBSan, -O1, checks on)
#   scripts/build.sh production -> build-production/ (optimized, debug checks
#                                 off, buggify fault points compiled out)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:?usage: scripts/build.sh release|ci|production}
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
  production)
    # What an operator deploys: the same code without the simulation-only
    # costs. Tests still build and pass here (buggify tests adapt).
    cmake -S . -B build-production -G Ninja -DCMAKE_BUILD_TYPE=Release -DKV_SIM_CHECKS=OFF \
      -DKV_BUGGIFY=OFF >/dev/null
    cmake --build build-production -j"$jobs"
    ;;
  *)
    echo "build.sh: unknown flavour '$flavour' (release, ci or production)" >&2
    exit 2
    ;;
esac
