#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, clang, ASan + UBSan) into build-fuzz/
# and runs each for SECONDS (default 60): first over its whole seed corpus
# (fuzz/corpus/<harness>/, every input once), then fuzzing from it. New
# inputs go to build-fuzz/fuzz-work/<harness>/corpus, never into the repo
# (fuzz/README.md says how to add one); each run starts from the seeds
# alone unless --keep-corpus. Prints per harness the executions,
# exec/s, coverage and crashes; exits 1 on any crash, naming the input that
# crashed.
#
#   scripts/fuzz.sh [SECONDS] [--harness NAME]... [--jobs N] [--corpus-only]
#                   [--keep-corpus] [--no-build]
#
#   --harness NAME  run only this harness (repeatable): command_fuzz,
#                   record_fuzz, json_fuzz, tzif_fuzz, csv_fuzz
#   --jobs N        N fuzzing processes per harness (libFuzzer -fork=N)
#   --corpus-only   only run the seed corpora (no fuzzing)
#   --keep-corpus   start from the inputs earlier runs found too
#   --no-build      use the harnesses already in build-fuzz/
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
jobs=1
corpus_only=0
keep_corpus=0
build=1
harnesses=()
all_harnesses=(command_fuzz record_fuzz json_fuzz tzif_fuzz csv_fuzz)
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --harness) [ $# -ge 2 ] || usage; harnesses+=("$2"); shift 2 ;;
    --jobs) [ $# -ge 2 ] || usage; jobs="$2"; shift 2 ;;
    --corpus-only) corpus_only=1; shift ;;
    --keep-corpus) keep_corpus=1; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) usage ;;
    [0-9]*) seconds="$1"; shift ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; usage ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all_harnesses[@]}")
for harness in "${harnesses[@]}"; do
  [ -d "fuzz/corpus/$harness" ] || { echo "fuzz.sh: no harness $harness" >&2; exit 2; }
done
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --jobs takes a positive number" >&2; exit 2; }
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: SECONDS is a positive number" >&2; exit 2; }

if [ "$build" -eq 1 ]; then
  command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is missing (scripts/install-deps.sh)" >&2; exit 2; }
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Debug keeps assertions (rapidjson's included) and LF_DEEP_CHECKS on;
  # -O1 for speed.
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
    -DCMAKE_CXX_COMPILER=clang++ -DLEDGERFLOW_FUZZ=ON -DLEDGERFLOW_WERROR=ON "${launcher[@]}" >/dev/null
  cmake --build build-fuzz --parallel "$(nproc)" --target lf_fuzz_harnesses
fi

# Every sanitizer report ends the run; leaks are reported (ASan's default).
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

failed=0
summary=()
for harness in "${harnesses[@]}"; do
  binary="build-fuzz/fuzz/$harness"
  seeds="fuzz/corpus/$harness"
  work="build-fuzz/fuzz-work/$harness"
  mkdir -p "$work/corpus" "$work/artifacts"
  # -entropic=0: the entropic schedule's bookkeeping took more than half of
  # command_fuzz's and record_fuzz's time (2 to 3 times fewer executions).
  options=(-timeout=10 -rss_limit_mb=2048 -entropic=0 -artifact_prefix="$work/artifacts/")
  [ -f "fuzz/$harness.dict" ] && options+=(-dict="fuzz/$harness.dict")

  # Every seed once: a seed that crashes is a regression.
  seed_count=$(find "$seeds" -type f | wc -l)
  if ! "$binary" "${options[@]}" -runs=0 "$seeds" >"$work/seeds.log" 2>&1; then
    echo "fuzz.sh: $harness crashed on its seed corpus ($seeds):" >&2
    grep -E "fuzz property failed|ERROR: |SUMMARY: |Test unit written|assertion failed" "$work/seeds.log" >&2 || tail -20 "$work/seeds.log" >&2
    summary+=("$(printf '%-13s %10s %8s %7s %7s  CRASH on a seed (%s)' "$harness" - - - - "$work/seeds.log")")
    failed=1
    continue
  fi
  if [ "$corpus_only" -eq 1 ]; then
    summary+=("$(printf '%-13s %10s %8s %7s %7s  %d seeds ran clean' "$harness" "$seed_count" - - - "$seed_count")")
    continue
  fi

  rm -f "$work/artifacts/"*
  [ "$keep_corpus" -eq 1 ] || find "$work/corpus" -type f -delete
  run=(-max_total_time="$seconds" -print_final_stats=1)
  [ "$jobs" -gt 1 ] && run+=(-fork="$jobs")
  status=0
  "$binary" "${options[@]}" "${run[@]}" "$work/corpus" "$seeds" >"$work/fuzz.log" 2>&1 || status=$?

  # Figures: the last status line (#runs ... cov: ... ft: ... corp: ... exec/s: ...).
  last=$(grep -E '^#[0-9]+:?[[:space:]].*cov: ' "$work/fuzz.log" | tail -1 || true)
  runs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo -)
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo -)
  rate=$(grep -E 'stat::average_exec_per_sec' "$work/fuzz.log" | grep -oE '[0-9]+$' || true)
  # Fork mode (--jobs) prints no final stats: its last status line's rate.
  [ -n "$rate" ] || rate=$(grep -oE 'exec/s:? [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo -)
  corpus_size=$(find "$work/corpus" -type f | wc -l)
  # slow-unit-* inputs (over 10 s) are reported, not failures.
  crashes=$(find "$work/artifacts" -type f ! -name 'slow-unit-*' | wc -l)
  for slow in "$work/artifacts/"slow-unit-*; do
    [ -f "$slow" ] && echo "fuzz.sh: $harness: an input took over 10 s: $slow" >&2
  done
  if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    failed=1
    echo "fuzz.sh: $harness crashed (exit $status); the log is $work/fuzz.log:" >&2
    grep -E "fuzz property failed|ERROR: |SUMMARY: |assertion failed" "$work/fuzz.log" | head -5 >&2 || true
    for artifact in "$work/artifacts/"*; do
      [[ -f "$artifact" && "$artifact" != */slow-unit-* ]] && echo "fuzz.sh: crashing input: $artifact (replay: $binary $artifact)" >&2
    done
    summary+=("$(printf '%-13s %10s %8s %7s %7s  CRASH: %s' "$harness" "${runs:--}" "$rate" "$cov" "$ft" \
      "$(find "$work/artifacts" -type f ! -name 'slow-unit-*' | head -1)")")
  else
    summary+=("$(printf '%-13s %10s %8s %7s %7s  no crash; %d seeds, %d inputs in %s' "$harness" "${runs:--}" \
      "$rate" "$cov" "$ft" "$seed_count" "$corpus_size" "$work/corpus")")
  fi
done

echo
printf '%-13s %10s %8s %7s %7s  %s\n' harness executions exec/s cov ft result
printf '%s\n' "${summary[@]}"
exit "$failed"
