"""Batched greedy decoding of a GGUF with llama.cpp (llama-cpp-python's low-level API), timed like
`tokenalign bench generate`: `batch` sequences of `prompt` random token ids (one prefill call), then
`new` greedy steps that each decode one token per sequence in a single llama_decode call.

Prints one JSON object per (file, batch): best and median decode ms/step over the repeats, decode
tokens/s (batch / ms per step), prefill ms and new tokens/s over the whole call (the same columns as
`tokenalign bench generate`). With --make-q8 SRC OUT it first writes OUT, a Q8_0 GGUF quantised from
SRC with llama.cpp's own quantiser (llama_model_quantize, requantising allowed).

Built by bench/build_llamacpp.sh; driven by bench/llamacpp_compare.sh.
"""
import argparse
import ctypes
import json
import statistics
import sys
import time

import numpy as np
import llama_cpp as L


def make_q8(src: str, out: str, threads: int) -> None:
    params = L.llama_model_quantize_default_params()
    params.ftype = L.LLAMA_FTYPE_MOSTLY_Q8_0
    params.allow_requantize = True
    params.nthread = threads
    rc = L.llama_model_quantize(src.encode(), out.encode(), ctypes.byref(params))
    if rc != 0:
        sys.exit(f"llama_model_quantize({src} -> {out}) failed with {rc}")


def load_model(path: str):
    mp = L.llama_model_default_params()
    load = getattr(L, "llama_model_load_from_file", None) or L.llama_load_model_from_file
    model = load(path.encode(), mp)
    if not model:
        sys.exit(f"{path}: llama.cpp could not load the model")
    return model


def new_context(model, batch: int, prompt: int, new: int, threads: int):
    cp = L.llama_context_default_params()
    cp.n_ctx = batch * (prompt + new) + 64
    cp.n_batch = max(512, batch * prompt)
    cp.n_ubatch = cp.n_batch
    cp.n_seq_max = batch
    cp.n_threads = threads
    cp.n_threads_batch = threads
    init = getattr(L, "llama_init_from_model", None) or L.llama_new_context_with_model
    ctx = init(model, cp)
    if not ctx:
        sys.exit("llama.cpp could not create a context")
    return ctx


def fill(b, entries):
    """entries: (token, position, sequence, wants_logits)."""
    for i, (tok, pos, seq, logits) in enumerate(entries):
        b.token[i] = tok
        b.pos[i] = pos
        b.n_seq_id[i] = 1
        b.seq_id[i][0] = seq
        b.logits[i] = 1 if logits else 0
    b.n_tokens = len(entries)


def run_once(model, n_vocab, prompts, new, threads):
    batch, prompt = len(prompts), len(prompts[0])
    ctx = new_context(model, batch, prompt, new, threads)
    b = L.llama_batch_init(batch * prompt, 0, batch)
    try:
        t0 = time.perf_counter()
        fill(b, [(prompts[s][p], p, s, p == prompt - 1) for s in range(batch) for p in range(prompt)])
        if L.llama_decode(ctx, b) != 0:
            sys.exit("llama_decode failed (prefill)")
        # Logit rows in batch order: the last prompt token of each sequence.
        rows = [s * prompt + prompt - 1 for s in range(batch)]
        t1 = time.perf_counter()
        for step in range(new):
            nxt = []
            for r in rows:
                logits = np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, r), shape=(n_vocab,))
                nxt.append(int(np.argmax(logits)))
            if step == new - 1:
                break
            fill(b, [(nxt[s], prompt + step, s, True) for s in range(batch)])
            if L.llama_decode(ctx, b) != 0:
                sys.exit("llama_decode failed (decode)")
            rows = list(range(batch))
        t2 = time.perf_counter()
    finally:
        L.llama_batch_free(b)
        L.llama_free(ctx)
    # new − 1 decode calls (the first new token comes from the prefill), as tokenalign counts them.
    return t2 - t0, t1 - t0, (t2 - t1) / max(new - 1, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf", nargs="*")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--new", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--make-q8", nargs=2, metavar=("SRC", "OUT"))
    a = ap.parse_args()
    L.llama_backend_init()
    if a.make_q8:
        make_q8(a.make_q8[0], a.make_q8[1], a.threads)
    for path in a.gguf:
        model = load_model(path)
        vocab = L.llama_model_get_vocab(model)
        n_vocab = L.llama_vocab_n_tokens(vocab)
        for batch in a.batch:
            rng = np.random.default_rng(1)
            prompts = [[int(t) for t in rng.integers(0, n_vocab, a.prompt)] for _ in range(batch)]
            runs = [run_once(model, n_vocab, prompts, a.new, a.threads) for _ in range(a.warmup + a.repeats)][a.warmup:]
            total = [r[0] for r in runs]
            step = [r[2] for r in runs]
            print(json.dumps({
                "engine": "llama.cpp", "version": L.__version__, "file": path, "batch": batch,
                "prompt_tokens": a.prompt, "new_tokens": a.new, "threads": a.threads,
                "decode_ms_per_step": min(step) * 1e3, "median_decode_ms_per_step": statistics.median(step) * 1e3,
                "decode_tokens_per_s": batch / min(step), "prefill_ms": min(r[1] for r in runs) * 1e3,
                "new_tokens_per_s": batch * a.new / min(total), "median_new_tokens_per_s": batch * a.new / statistics.median(total),
            }), flush=True)
        L.llama_model_free(model) if hasattr(L, "llama_model_free") else L.llama_free_model(model)


if __name__ == "__main__":
    main()
