#!/usr/bin/env bash
# SmolLM2-135M decoding, TokenAlign against llama.cpp, in one run (issue 18): batch 1 and 8, 64 random
# prompt tokens + 64 greedy new tokens, 2 threads. TokenAlign runs the Q4_1 GGUF as float32, as Q8_0
# quantised on load and as kept Q4_1 blocks, and the Q8_0 GGUF (llama.cpp's own quantisation of the
# same file) kept; llama.cpp runs both GGUFs. Writes bench/results/llamacpp_*.json and prints a table.
# Needs llama-cpp-python in .venv-bench (bench/build_llamacpp.sh builds it from the cached sdist).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv-bench/bin/python}"
BIN="${BIN:-.build/release/tokenalign}"
Q41=.assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
Q80="${TMPDIR:-/tmp}/SmolLM2-135M-Instruct.Q8_0.gguf"
REPEATS="${REPEATS:-5}"
THREADS="${THREADS:-2}"
# llama.cpp's timed runs (default REPEATS) and warm-ups (default 1): fewer on a loaded machine.
LLAMA_REPEATS="${LLAMA_REPEATS:-$REPEATS}"
LLAMA_WARMUP="${LLAMA_WARMUP:-1}"
# ROUNDS (default 2): how many times the engines alternate.
#
# Run it on a quiet machine. llama.cpp's threads (OpenMP here) spin at every barrier; on 2 cores
# shared with other jobs a 2-thread decode step of SmolLM2 took 895 ms against 111 ms with 1 thread
# (load average 4–8, 2026-12-05), which is why an earlier run under load average 4–17 printed nothing for 7
# CPU-minutes. `uptime` is recorded beside the results.
mkdir -p bench/results
[ -x "$BIN" ] || swift build -c release --product tokenalign >/dev/null
bench/build_llamacpp.sh >/dev/null
[ -f "$Q80" ] || "$PY" bench/llamacpp_decode.py --make-q8 "$Q41" "$Q80" 2>/dev/null

out=bench/results/llamacpp_compare.jsonl
log=bench/results/llamacpp_decode.log
: > "$out"
uptime | tee bench/results/llamacpp_uptime.txt >&2
# Alternate the engines so a change in the machine's load hits both.
for round in $(seq 1 "${ROUNDS:-2}"); do
    "$BIN" bench generate --model "$Q41" --weights f32 q8_0 keep --batch 1 8 --repeats "$REPEATS" --json \
        | grep '^{' | sed "s/^{/{\"engine\":\"tokenalign\",\"round\":$round,\"file\":\"$(basename "$Q41")\",/" >> "$out"
    "$BIN" bench generate --model "$Q80" --weights keep --batch 1 8 --repeats "$REPEATS" --json \
        | grep '^{' | sed "s/^{/{\"engine\":\"tokenalign\",\"round\":$round,\"file\":\"$(basename "$Q80")\",/" >> "$out"
    # llama.cpp's own log (thousands of lines) goes to a file; a failure shows its end.
    if ! "$PY" bench/llamacpp_decode.py "$Q41" "$Q80" --batch 1 8 --repeats "$LLAMA_REPEATS" --warmup "$LLAMA_WARMUP" \
        --threads "$THREADS" 2>"$log" \
        | sed "s/^{/{\"round\":$round,/" >> "$out"; then
        tail -20 "$log" >&2; exit 1
    fi
    uptime | tee -a bench/results/llamacpp_uptime.txt >&2
done

"$PY" - "$out" <<'PYEOF'
import json, sys, os
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def best(engine, file, batch, weights=None):
    c = [r for r in rows if r["engine"] == engine and os.path.basename(r["file"]) == file and r["batch"] == batch
         and (weights is None or r.get("weights") == weights)]
    return min(c, key=lambda r: r["decode_ms_per_step"]) if c else None
print("| model file | TokenAlign weights | batch | TokenAlign decode ms/step | tok/s | llama.cpp decode ms/step | tok/s | TokenAlign / llama.cpp speed |")
print("|---|---|---|---|---|---|---|---|")
q41, q80 = "SmolLM2-135M-Instruct.Q4_1.gguf", "SmolLM2-135M-Instruct.Q8_0.gguf"
for file, weights, lfile in [(q41, "f32", q41), (q41, "keep", q41), (q41, "q8_0", q80), (q80, "keep", q80)]:
    for batch in (1, 8):
        t, l = best("tokenalign", file, batch, weights), best("llama.cpp", lfile, batch)
        if not t or not l: continue
        print(f"| {file} | {weights} | {batch} | {t['decode_ms_per_step']:.2f} | {batch / t['decode_ms_per_step'] * 1e3:.0f} | "
              f"{l['decode_ms_per_step']:.2f} ({os.path.basename(lfile).split('.')[-2]}) | {l['decode_tokens_per_s']:.0f} | "
              f"{l['decode_ms_per_step'] / t['decode_ms_per_step']:.2f}× |")
PYEOF
