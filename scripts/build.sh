#!/usr/bin/env bash
# Configures and builds ledgerflow into build/ (RelWithDebInfo, Ninja).
# Extra arguments go to the cmake configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build build --parallel "$(nproc)"
