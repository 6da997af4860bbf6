#!/usr/bin/env python3
"""PyTorch eager baseline for `tokenalign bench mlp-step | attention-step | block-step`.

Same computation as the Swift benchmark: one pre-LayerNorm GPT-2 block (the Block of
the PyTorch baseline's model), batch 8 x full context, float32, 2 threads; forward + backward
with a fixed random upstream gradient. Prints one JSON object per case in the schema of
docs/design/README.md ("Benchmarks"): best of >= 5 runs after warm-up, medians alongside.

Usage: .venv-bench/bin/python bench/torch_block.py [--sizes tiny,small] [--threads 2]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SIZES = {"tiny": (256, 4, 128), "small": (384, 6, 256), "gpt2": (768, 12, 256)}


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.fc_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def attn(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return x + self.proj(y.transpose(1, 2).reshape(B, T, C))

    def mlp(self, x):
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    def forward(self, x):
        return self.mlp(self.attn(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="tiny,small")
    ap.add_argument("--cases", default="mlp,attention,block")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for size in args.sizes.split(","):
        d, h, ctx = SIZES[size]
        blk = Block(d, h)
        x = torch.randn(args.batch, ctx, d, requires_grad=True)
        g = torch.randn(args.batch, ctx, d)
        for case in args.cases.split(","):
            fn = {"mlp": blk.mlp, "attention": blk.attn, "block": blk}[case]

            def step():
                blk.zero_grad(set_to_none=True)
                x.grad = None
                fn(x).backward(g)

            for _ in range(args.warmup):
                step()
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                step()
                times.append(time.perf_counter() - t0)
            best, med = min(times), sorted(times)[len(times) // 2]
            print(json.dumps({
                "case": f"{case}-step", "size": size, "impl": "torch", "torch": torch.__version__,
                "threads": args.threads, "ms_per_step": best * 1e3, "median_ms_per_step": med * 1e3,
                "tokens_per_s": args.batch * ctx / best, "median_tokens_per_s": args.batch * ctx / med,
            }, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
