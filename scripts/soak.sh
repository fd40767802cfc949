#!/usr/bin/env bash
# The soak (docs/reliability.md, "Soak"): builds ledgerflow and its soak
# driver if needed, then runs `ledgerflow-soak`: `ledgerflow dev
# --infra-only`, engines and projectors as processes, a steady mixed workload
# while a random service is killed with kill -9 every few seconds, then every
# command, balance and read table checked. Prints its run directory first
# and the figures last; exit 0 when nothing differs.
#
#   scripts/soak.sh [--duration 10m] [--engines 2] [--projectors 2] [--rate N]
#                   [--kill-every 3s] [--seed S] [other ledgerflow-soak options]
#   scripts/soak.sh --help          every option of the driver
#
# --build-dir DIR (default build/) builds and runs from DIR; --no-build uses
# what DIR holds. The machine is shared? Run it under `nice`.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
build=yes
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --build-dir=*) build_dir="${1#*=}"; shift ;;
    --no-build) build=no; shift ;;
    *) args+=("$1"); shift ;;
  esac
done

if [ "$build" = yes ]; then
  if [ ! -f "$build_dir/build.ninja" ] && [ ! -f "$build_dir/Makefile" ]; then
    scripts/install-deps.sh
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  fi
  cmake --build "$build_dir" --target ledgerflow ledgerflow-soak
fi
driver="$build_dir/tools/soak/ledgerflow-soak"
[ -x "$driver" ] || { echo "soak.sh: no $driver (build it, or drop --no-build)" >&2; exit 2; }
exec "$driver" --ledgerflow "$build_dir/cli/ledgerflow" "${args[@]}"
