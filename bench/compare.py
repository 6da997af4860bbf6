#!/usr/bin/env python3
"""Side-by-side: `tokenalign bench` vs PyTorch eager on the same machine, in the same run.

Runs each case for TokenAlign and for PyTorch (bench/torch_block.py) alternately, several rounds,
and keeps each side's best time, so both see the same machine load. Prints a Markdown table for
BENCHMARKS.md and, with --json, the raw rows.

Usage: .venv-bench/bin/python bench/compare.py [--rounds 3] [--sizes tiny,small]
Needs torch in the interpreter that runs it; TokenAlign itself never needs Python.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", default="tiny,small")
    ap.add_argument("--cases", default="mlp,attention,block")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/tokenalign"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sizes = args.sizes.split(",")
    best = {}
    for r in range(args.rounds):
        for case in args.cases.split(","):
            ours = run_json([args.binary, "bench", f"{case}-step", "--size", *sizes, "--json"])
            theirs = run_json([sys.executable, os.path.join(HERE, "torch_block.py"), "--sizes", args.sizes, "--cases", case])
            for impl, rows in (("tokenalign", ours), ("torch", theirs)):
                for row in rows:
                    key = (row["case"], row["size"], impl)
                    if key not in best or row["ms_per_step"] < best[key]["ms_per_step"]:
                        best[key] = row
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    matmul = run_json([args.binary, "bench", "matmul", "--size", "512", "1024", "--json"])
    if args.json:
        for row in list(best.values()) + matmul:
            print(json.dumps(row, sort_keys=True))
        return
    print("| case | size | TokenAlign ms/step (median) | PyTorch ms/step (median) | speed-up | heap allocs/step | tensor buffers allocated/step |")
    print("|---|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        for size in sizes:
            o, t = best.get((f"{case}-step", size, "tokenalign")), best.get((f"{case}-step", size, "torch"))
            if not o or not t:
                continue
            print(f"| {case}-step | {size} | {o['ms_per_step']:.1f} ({o['median_ms_per_step']:.1f}) | "
                  f"{t['ms_per_step']:.1f} ({t['median_ms_per_step']:.1f}) | {t['ms_per_step'] / o['ms_per_step']:.2f}× | "
                  f"{o.get('heap_allocations_per_step', '-')} | {o.get('buffer_allocations_per_step', '-')} |")
    print()
    print("| matmul n | engine GFLOP/s (median) | direct cblas_sgemm GFLOP/s (median) | ratio |")
    print("|---|---|---|---|")
    for m in matmul:
        print(f"| {m['n']} | {m['engine_gflops']:.1f} ({m['median_engine_gflops']:.1f}) | "
              f"{m['cblas_gflops']:.1f} ({m['median_cblas_gflops']:.1f}) | {m['ratio']:.2f} |")


if __name__ == "__main__":
    main()
