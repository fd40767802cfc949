#!/usr/bin/env bash
# Install what is missing, check the deployment's compose file, build with
# warnings as errors, run the whole test suite (unit + integration against a
# real PostgreSQL and the mock cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# compose.yaml must stay valid; Debian's docker-compose checks it without an engine.
docker-compose -f compose.yaml config --quiet
scripts/build.sh -DLEDGERFLOW_WERROR=ON
ctest --test-dir build --output-on-failure --timeout 1800 -j "$(nproc)" "$@"
