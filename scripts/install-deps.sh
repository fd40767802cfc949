#!/usr/bin/env bash
# Installs what ledgerflow needs to build, run and test on Debian 12, with
# apt-get (as root, or through sudo). Installs nothing that is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang-format
  librdkafka-dev libpqxx-dev libpq-dev rapidjson-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev
  # The executables' malloc (CMake's LEDGERFLOW_ALLOCATOR, docs/performance.md).
  libjemalloc-dev
  postgresql postgresql-client kcat docker-compose
  tzdata
  # The fuzzing harnesses (scripts/fuzz.sh): clang 14 and its runtime
  # libraries (libclang_rt.fuzzer, asan, ubsan).
  clang libclang-rt-14-dev
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 2; }
  as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian package starts a cluster of its own; ledgerflow starts throwaway
# servers from the binaries and needs none.
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
  "${as_root[@]}" pg_ctlcluster "$(pg_lsclusters -h | awk 'NR==1{print $1}')" main stop 2>/dev/null || true
fi
