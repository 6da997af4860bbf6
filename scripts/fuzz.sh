#!/usr/bin/env bash
# Builds the libFuzzer targets (one executable per input format, Tests/Fuzz/Targets/<name>) with
# -sanitize=fuzzer,address into .build-fuzz, outside the normal build, and runs each for SECONDS
# seconds under nice, one at a time, on a scratch copy of its committed seed corpus
# (Tests/Fuzz/corpus/<name>); crashers land in .build-fuzz/crashes/<name>/.
#   scripts/fuzz.sh [SECONDS] [target ...]      (default: 60 s, every target)
# Environment: RUNS=<n> also stops a target after n executions (the issue's budget is 10^6
# executions or 30 minutes: RUNS=1000000 scripts/fuzz.sh 1800); NICE=<n> (default 19);
# BUILD=0 reuses the built executables.
# New inputs that add coverage stay in .build-fuzz/corpus/<name>; copy the small interesting ones,
# and every crasher (after fixing it), into Tests/Fuzz/corpus/<name>/ so CI replays them
# (Tests/FuzzHarnessTests). Limits: -rss_limit_mb=2048 -malloc_limit_mb=1024, 10 s per input.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=${*:-safetensors gguf config tokenizer jsonl yaml template rlprompts rollouts credit rewardbench}
SWIFT=${SWIFT:-swift}
export TOKENALIGN_FUZZ=1
NICE=${NICE:-19}
RUNS=${RUNS:--1}
for t in $TARGETS; do
  [ "${BUILD:-1}" = 0 ] && break
  nice -n "$NICE" $SWIFT build -c debug --scratch-path .build-fuzz --product "fuzz-$t" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -Onone -Xcc -fsanitize=fuzzer-no-link,address >/dev/null
done
BIN=$($SWIFT build -c debug --scratch-path .build-fuzz --show-bin-path)
for t in $TARGETS; do
  mkdir -p ".build-fuzz/corpus/$t" ".build-fuzz/crashes/$t"
  cp -n Tests/Fuzz/corpus/"$t"/* ".build-fuzz/corpus/$t/" 2>/dev/null || true
  echo "== fuzz-$t for ${SECONDS_PER_TARGET}s"
  set +e
  nice -n "$NICE" "$BIN/fuzz-$t" ".build-fuzz/corpus/$t" -max_total_time="$SECONDS_PER_TARGET" -runs="$RUNS" \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix=".build-fuzz/crashes/$t/" 2>".build-fuzz/fuzz-$t.log"
  status=$?
  set -e
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs in" ".build-fuzz/fuzz-$t.log" | sed "s/^/  /"
  if [ $status -ne 0 ]; then
    echo "fuzz-$t found a problem (exit $status); see .build-fuzz/fuzz-$t.log and .build-fuzz/crashes/$t/" >&2
    exit $status
  fi
done
