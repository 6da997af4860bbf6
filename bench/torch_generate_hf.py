#!/usr/bin/env python3
"""PyTorch/transformers baseline for `tokenalign bench generate --model DIR`.

Greedy decoding with the KV cache for a Hugging Face folder (e.g. SmolLM2-135M-Instruct converted by
`tokenalign convert`), float32, 2 threads, batch 8 × 64 random prompt tokens → 64 new tokens: the
shape of the PyTorch baseline's `infer` case. A manual loop (prefill, then one token per step through
`past_key_values`) so that generate()'s bookkeeping is not timed. Prints one JSON object.

Usage: .venv-bench/bin/python bench/torch_generate_hf.py DIR [--threads 2]
"""
import argparse
import json
import time

import torch
import transformers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--prompt-length", type=int, default=64)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = transformers.AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32).eval()
    g = torch.Generator().manual_seed(1)
    prompt = torch.randint(0, model.config.vocab_size, (a.batch, a.prompt_length), generator=g)
    runs = []
    for i in range(a.warmup + a.repeats):
        with torch.inference_mode():
            t0 = time.perf_counter()
            out = model(prompt, use_cache=True, logits_to_keep=1)
            nxt = out.logits[:, -1].argmax(-1, keepdim=True)
            past = out.past_key_values
            t1 = time.perf_counter()
            for _ in range(a.new_tokens - 1):
                out = model(nxt, past_key_values=past, use_cache=True)
                past = out.past_key_values
                nxt = out.logits[:, -1].argmax(-1, keepdim=True)
            t2 = time.perf_counter()
        if i >= a.warmup:
            runs.append((t2 - t0, t1 - t0, (t2 - t1) / (a.new_tokens - 1)))
    best = min(runs)
    med = sorted(runs)[len(runs) // 2]
    new = a.batch * a.new_tokens
    print(json.dumps({"case": "generate", "size": a.model, "impl": "torch", "torch": torch.__version__,
                      "transformers": transformers.__version__, "threads": a.threads,
                      "new_tokens_per_s": new / best[0], "median_new_tokens_per_s": new / med[0],
                      "prefill_ms": min(r[1] for r in runs) * 1e3, "decode_ms_per_step": min(r[2] for r in runs) * 1e3,
                      "median_decode_ms_per_step": med[2] * 1e3}, sort_keys=True))


if __name__ == "__main__":
    main()
