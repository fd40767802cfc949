#!/usr/bin/env bash
# Install what is missing, build with warnings as errors, run the whole test
# suite (unit + integration against a real PostgreSQL and the mock cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DLEDGERFLOW_WERROR=ON
ctest --test-dir build --output-on-failure --timeout 1800 -j "$(nproc)" "$@"
