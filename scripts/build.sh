#!/usr/bin/env bash
# Configures and builds ledgerflow into build/ (RelWithDebInfo, Ninja):
# everything, or only the targets named with --target (scripts/dev.sh builds
# only the binary). Other arguments go to the cmake configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=()
configure=()
while (($#)); do
  case "$1" in
    --target)
      targets+=(--target "$2")
      shift 2
      ;;
    *)
      configure+=("$1")
      shift
      ;;
  esac
done
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${configure[@]}"
cmake --build build --parallel "$(nproc)" "${targets[@]}"
