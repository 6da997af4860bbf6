#!/usr/bin/env bash
# Every figure in BENCHMARKS.md, measured in one run on this machine: TokenAlign's engine and
# generation benchmarks beside PyTorch (the external baseline torch_baseline.py, found through $SHARED; bench/torch_block.py,
# bench/torch_generate_hf.py). Needs a Python with torch/transformers: PYTHON=.venv-bench/bin/python.
# Writes bench/results/*.json and prints Markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv-bench/bin/python}"
BIN=.build/release/tokenalign
SHARED="${SHARED:-../shared}"
mkdir -p bench/results
swift build -c release --product tokenalign >/dev/null

echo "## Block steps and matmul (alternating TokenAlign / PyTorch, best of 3 rounds)"
"$PY" bench/compare.py --rounds 3

echo
echo "## Generation: batch 8, 64 prompt + 64 new tokens, greedy, KV cache"
"$BIN" bench generate --size tiny small --json > bench/results/generate.json
"$PY" "$SHARED/bench/torch_baseline.py" --sizes tiny,small --cases infer --wait-quiet 0 --out bench/results/torch_infer.json >/dev/null
SMOL=.assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
if [ -f "$SMOL" ]; then
    "$BIN" bench generate --model "$SMOL" --repeats 5 --json > bench/results/generate_smollm2.json
    rm -rf /tmp/ta-smol-hf && "$BIN" convert --model "$SMOL" --out /tmp/ta-smol-hf 2>/dev/null
    "$PY" bench/torch_generate_hf.py /tmp/ta-smol-hf > bench/results/torch_generate_smollm2.json 2>/dev/null
fi
"$PY" - <<'PYEOF'
import json, pathlib
r = pathlib.Path("bench/results")
ours = [json.loads(l) for l in (r / "generate.json").read_text().splitlines() if l.startswith("{")]
torch = json.loads((r / "torch_infer.json").read_text())["results"]
print("| model | TokenAlign new tok/s (median) | decode ms/step | prefill ms | PyTorch new tok/s (median) | decode ms/step | prefill ms | speed-up |")
print("|---|---|---|---|---|---|---|---|")
for o in ours:
    t = next((x for x in torch if x.get("size") == o["size"] and x.get("case") == "infer"), None)
    if not t: continue
    print(f"| {o['size']} | {o['new_tokens_per_s']:.0f} ({o['median_new_tokens_per_s']:.0f}) | {o['decode_ms_per_step']:.2f} | {o['prefill_ms']:.1f} | "
          f"{t['new_tokens_per_s_best']:.0f} ({t['new_tokens_per_s_median']:.0f}) | {t['decode_ms_per_step_min']:.2f} | {t['prefill_ms_min']:.1f} | "
          f"{o['new_tokens_per_s'] / t['new_tokens_per_s_best']:.2f}× |")
so, st = r / "generate_smollm2.json", r / "torch_generate_smollm2.json"
if so.exists() and st.exists():
    o = json.loads(so.read_text().splitlines()[-1]); t = json.loads(st.read_text().splitlines()[-1])
    print(f"| SmolLM2-135M | {o['new_tokens_per_s']:.0f} ({o['median_new_tokens_per_s']:.0f}) | {o['decode_ms_per_step']:.2f} | {o['prefill_ms']:.1f} | "
          f"{t['new_tokens_per_s']:.0f} ({t['median_new_tokens_per_s']:.0f}) | {t['decode_ms_per_step']:.2f} | {t['prefill_ms']:.1f} | "
          f"{o['new_tokens_per_s'] / t['new_tokens_per_s']:.2f}× |")
PYEOF
