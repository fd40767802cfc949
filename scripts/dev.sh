#!/usr/bin/env bash
# The main job: install what is missing, build, and run `ledgerflow dev` with
# the demo workload (mock Kafka cluster + throwaway PostgreSQL in one
# process). Ctrl-C stops it. Extra arguments go to `ledgerflow dev`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --target ledgerflow  # only what the demo runs; scripts/test.sh builds the rest
exec build/cli/ledgerflow dev --demo "$@"
