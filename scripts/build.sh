#!/usr/bin/env bash
# Configures and builds one build flavour. Used by run.sh and test.sh.
#   scripts/build.sh release   -> build-release/ (optimized, checks on)
#   scripts/build.sh ci        -> build-ci/ (ASan + UBSan, -O1, checks on)
#   scripts/build.sh production -> build-production/ (optimized, debug checks
#                                 off, buggify fault points compiled out)
#   scripts/build.sh pgo       -> build-pgo/sim/kvsim/kvsim only: the release
#                                 kvsim, trained on its own runs and rebuilt
#                                 with GCC's profile feedback (docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:?usage: scripts/build.sh release|ci|production|pgo}
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
  pgo)
    # Profile-guided kvsim for long sweeps: same code, same runs and digests
    # (profile feedback only steers inlining, layout and branch order), about
    # 5% less CPU. Two passes in one directory, because GCC finds an object's
    # profile by the object's path: an instrumented build trains on a few
    # standard-scenario runs, then everything is rebuilt with their profile.
    kvsim=build-pgo/sim/kvsim/kvsim
    release_flags=(-S . -B build-pgo -G Ninja -DCMAKE_BUILD_TYPE=Release -DKV_SIM_CHECKS=ON)
    cmake "${release_flags[@]}" -DCMAKE_CXX_FLAGS="-fprofile-generate -fprofile-update=single" >/dev/null
    cmake --build build-pgo -j"$jobs" --target kvsim
    find build-pgo -name '*.gcda' -delete
    # A failing training run still leaves a usable profile; say so and go on.
    train() { "$kvsim" run "$@" >/dev/null || echo "build.sh: training run 'kvsim run $*' failed" >&2; }
    for seed in 1 2 3; do
      train --seed "$seed" --clients 50 --fault-phase-ms 10000 --max-events 100000000
    done
    train --seed 4 --buggify all
    cmake "${release_flags[@]}" \
      -DCMAKE_CXX_FLAGS="-fprofile-use -fprofile-correction -Wno-missing-profile" >/dev/null
    cmake --build build-pgo -j"$jobs" --target kvsim
    echo "profile-guided kvsim: $kvsim"
    ;;
  *)
    echo "build.sh: unknown flavour '$flavour' (release, ci, production or pgo)" >&2
    exit 2
    ;;
esac
