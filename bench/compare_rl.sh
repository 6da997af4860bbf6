#!/usr/bin/env bash
# One online-RL step, TokenAlign vs TRL's GRPOTrainer vs a plain PyTorch step, in one run.
# The machine is shared and noisy, so the three run interleaved, ROUNDS times per size (each run
# in its own process: its own peak RSS), and the summary takes each side's best run.
#
#   bench/compare_rl.sh                         # tiny and small, 2 rounds
#   SIZES=tiny ROUNDS=3 bench/compare_rl.sh
#
# Needs the release build (`swift build -c release`) and a Python with torch, transformers, trl
# and datasets (PYTHON, default .venv-bench/bin/python). Raw JSON lines go to
# bench/results/rl-step-<date>.jsonl, the summary table (markdown) to stdout.
#
# Before each run the script waits (up to QUIET_WAIT s, default 120) until other processes leave
# the CPUs nearly idle, and it records beside each run `other_cpu_busy_cores`: the cores other
# processes kept busy while it ran (0 = a quiet machine; PyTorch's OpenMP threads slow down by
# far more than their share when other processes compete for the 2 cores, so compare runs with
# low values).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv-bench/bin/python}
BIN=${BIN:-.build/release/tokenalign}
SIZES=${SIZES:-"tiny small"}
ROUNDS=${ROUNDS:-2}
STEPS=${STEPS:-5}
WARMUP=${WARMUP:-2}
QUIET_WAIT=${QUIET_WAIT:-120}
NCPU=$(nproc)
mkdir -p bench/results
OUT=${OUT:-bench/results/rl-step-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
: > "$OUT"
echo "writing $OUT" >&2

# Total and idle CPU time of the machine (jiffies), from /proc/stat.
cpu_times() { awk '/^cpu /{t=0; for (i=2; i<=NF; i++) t+=$i; print t, $5 + $6}' /proc/stat; }

# Waits until the machine's busy cores (over 2 s) drop below 0.3, or QUIET_WAIT seconds pass.
wait_quiet() {
  local waited=0
  while [ "$waited" -lt "$QUIET_WAIT" ]; do
    read -r t0 i0 < <(cpu_times); sleep 2; read -r t1 i1 < <(cpu_times)
    if awk -v t=$((t1 - t0)) -v i=$((i1 - i0)) -v n="$NCPU" 'BEGIN{exit !((t - i) / t * n < 0.3)}'; then return; fi
    waited=$((waited + 2))
  done
  echo "  (machine still busy after ${QUIET_WAIT}s; running anyway)" >&2
}

# run LABEL COMMAND...: runs the command after waiting for quiet, appends its last output line
# (a JSON object) with the cores others kept busy meanwhile (machine busy time minus this run's
# own user+system CPU time, over wall time).
run() {
  local label=$1; shift
  wait_quiet
  echo "  $label" >&2
  local t0 i0 t1 i1 s0 s1 line
  read -r t0 i0 < <(cpu_times); s0=$(date +%s.%N)
  line=$( { /usr/bin/time -f "%U %S" -o /tmp/compare_rl_time.$$ "$@" 2>/dev/null; } | tail -1)
  read -r t1 i1 < <(cpu_times); s1=$(date +%s.%N)
  read -r user sys < /tmp/compare_rl_time.$$
  rm -f /tmp/compare_rl_time.$$
  local hz; hz=$(getconf CLK_TCK)
  local others
  others=$(awk -v busy=$(( (t1 - t0) - (i1 - i0) )) -v hz="$hz" -v own="$user" -v sys="$sys" -v s0="$s0" -v s1="$s1" \
    'BEGIN{o = (busy / hz - own - sys) / (s1 - s0); if (o < 0) o = 0; printf "%.2f", o}')
  "$PYTHON" -c 'import json, sys; r = json.loads(sys.argv[1]); r["other_cpu_busy_cores"] = float(sys.argv[2]); print(json.dumps(r, sort_keys=True))' \
    "$line" "$others" >> "$OUT"
}

for size in $SIZES; do
  for round in $(seq 1 "$ROUNDS"); do
    run "[$size, round $round] tokenalign" "$BIN" bench rl-step --size "$size" --steps "$STEPS" --warmup "$WARMUP" --json
    for case in trl torch; do
      run "[$size, round $round] $case" "$PYTHON" bench/trl_grpo_step.py --case "$case" --size "$size" --steps "$STEPS" --warmup "$WARMUP"
    done
  done
done

"$PYTHON" - "$OUT" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
names = {"tokenalign": "TokenAlign", "trl-grpo": "TRL GRPOTrainer", "torch-plain": "plain PyTorch"}
print("| size | implementation | ms/step (median) | generated tok/s (median) | generate ms (median) | update ms (median) | peak RSS MiB | runs: best ms/step [other busy cores] |")
print("|---|---|---|---|---|---|---|---|")
best = {}
for size in dict.fromkeys(r["size"] for r in rows):
    for impl in names:
        runs = [r for r in rows if r["size"] == size and r["implementation"] == impl]
        if not runs:
            continue
        b = min(runs, key=lambda r: r["ms_per_step"])
        best[size, impl] = b
        print(f"| {size} | {names[impl]} | {b['ms_per_step']:,.0f} ({b['median_ms_per_step']:,.0f}) | "
              f"{b['generated_tokens_per_s']:,.0f} ({b['median_generated_tokens_per_s']:,.0f}) | "
              f"{b['generate_ms']:,.0f} ({b['median_generate_ms']:,.0f}) | {b['update_ms']:,.0f} ({b['median_update_ms']:,.0f}) | "
              f"{b['peak_rss_mib']:,.0f} | {', '.join(format(r['ms_per_step'], ',.0f') + ' [' + format(r.get('other_cpu_busy_cores', -1), '.2f') + ']' for r in runs)} |")
print()
for (size, impl), b in best.items():
    ours = best.get((size, "tokenalign"))
    if ours and impl != "tokenalign":
        print(f"{size}: TokenAlign is {b['ms_per_step'] / ours['ms_per_step']:.2f}x faster per step than {names[impl]} "
              f"(median {b['median_ms_per_step'] / ours['median_ms_per_step']:.2f}x; generate "
              f"{b['generate_ms'] / ours['generate_ms']:.2f}x, update {b['update_ms'] / ours['update_ms']:.2f}x)")
EOF
