#!/usr/bin/env bash
# The test job: install what is missing, build with ASan + UBSan, and run the
# whole suite through ctest. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh ci
cd build-ci
ctest --output-on-failure -j"$(nproc 2>/dev/null || echo 2)" --timeout 900
