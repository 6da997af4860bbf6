#!/usr/bin/env bash
# OpenBLAS against oneMKL (docs/design/blas-backends.md) in one run: the tiny and small SFT and DPO
# steps (`bench sft-step | dpo-step`), and SmolLM2-135M decoding from the Q4_1 GGUF at batch 1 and 8
# (float32 weights; the skinny decode kernel does not use BLAS, prefill does). The two
# backends alternate process by process (ROUNDS times) so a change of the machine's load hits both;
# every JSON row carries "blas", the backend that ran. Writes bench/results/blas_compare.jsonl and
# prints the best of each. Needs .assets/mkl (bench/fetch_mkl.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.build/release/tokenalign}"
GGUF=.assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
REPEATS="${REPEATS:-5}"
[ -f .assets/mkl/lib/libmkl_rt.so.3 ] || bench/fetch_mkl.sh
mkdir -p bench/results
out=bench/results/blas_compare.jsonl
: > "$out"
for round in $(seq 1 "${ROUNDS:-2}"); do
    for blas in openblas mkl; do
        export TOKENALIGN_BLAS=$blas
        "$BIN" bench sft-step --size tiny small --repeats "$REPEATS" --json | grep '^{' >> "$out"
        "$BIN" bench dpo-step --size tiny small --repeats "$REPEATS" --json | grep '^{' >> "$out"
        "$BIN" bench generate --model "$GGUF" --weights f32 --batch 1 8 --repeats "$REPEATS" --json | grep '^{' \
            | sed 's/^{/{"case":"generate",/' >> "$out"
    done
done
unset TOKENALIGN_BLAS
python3 - "$out" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def key(r): return (r["case"], r.get("size") or r.get("weights"), r.get("batch"))
best = {}
for r in rows:
    k = key(r) + (r["blas"],)
    ms = r.get("ms_per_step", r.get("decode_ms_per_step"))
    if k not in best or ms < best[k][0]: best[k] = (ms, r)
print("| case | size / weights | batch | OpenBLAS ms/step (median) | MKL ms/step (median) | MKL speed-up |")
print("|---|---|---|---|---|---|")
for k in sorted({key(r) for r in rows}, key=str):
    o, m = best.get(k + ("openblas",)), best.get(k + ("mkl",))
    if not o or not m: continue
    def med(r): return r.get("median_ms_per_step", r.get("median_decode_ms_per_step", float("nan")))
    extra = ""
    if k[0] == "generate":
        extra = f" ; prefill {o[1]['prefill_ms']:.0f} vs {m[1]['prefill_ms']:.0f} ms"
    print(f"| {k[0]} | {k[1]} | {k[2]} | {o[0]:.1f} ({med(o[1]):.1f}) | {m[0]:.1f} ({med(m[1]):.1f}) | {o[0] / m[0]:.2f}×{extra} |")
PYEOF
