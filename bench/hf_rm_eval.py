#!/usr/bin/env python3
"""transformers baseline for `tokenalign bench rm-eval` (which starts this script in the same run).

Loads DIR with AutoModelForSequenceClassification (num_labels=1; a causal-LM folder gets a freshly
initialised `score` head, as an untrained reward model), float32, and scores the same workload as
the Swift side: PAIRS pairs of random ids (seed 1 of torch, not the same ids: speed only), each a
PROMPT-token prompt with two RESPONSE-token responses, BATCH sequences per forward, no padding.
Prints one JSON object: pairs per second (best and median of REPEATS runs after WARMUP).

Usage: .venv-bench/bin/python bench/hf_rm_eval.py DIR [--pairs 16 --batch 8 --prompt-length 64 --response-length 64]
"""
import argparse
import json
import resource
import time

import torch
import transformers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--pairs", type=int, default=16)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--prompt-length", type=int, default=64)
    ap.add_argument("--response-length", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    transformers.logging.set_verbosity_error()
    model = transformers.AutoModelForSequenceClassification.from_pretrained(a.model, num_labels=1, dtype=torch.float32).eval()
    if model.config.pad_token_id is None:
        model.config.pad_token_id = -1  # no sequence holds it: the score is read at the last token
    g = torch.Generator().manual_seed(1)
    V = model.config.vocab_size
    seqs = []
    for _ in range(a.pairs):
        p = torch.randint(0, V, (a.prompt_length,), generator=g)
        for _ in range(2):
            seqs.append(torch.cat([p, torch.randint(0, V, (a.response_length,), generator=g)]))
    batches = [torch.stack(seqs[i:i + a.batch]) for i in range(0, len(seqs), a.batch)]
    times = []
    for i in range(a.warmup + a.repeats):
        t0 = time.perf_counter()
        with torch.inference_mode():
            for b in batches:
                model(b).logits[:, 0].tolist()
        t = time.perf_counter() - t0
        if i >= a.warmup:
            times.append(t)
    best, med = min(times), sorted(times)[len(times) // 2]
    print(json.dumps({"case": "rm-eval", "implementation": "transformers", "model": a.model, "pairs": a.pairs, "batch": a.batch,
                      "pairs_per_s": a.pairs / best, "median_pairs_per_s": a.pairs / med, "ms_per_pair": best * 1e3 / a.pairs,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "threads": a.threads,
                      "torch": torch.__version__, "transformers": transformers.__version__}, sort_keys=True))


if __name__ == "__main__":
    main()
