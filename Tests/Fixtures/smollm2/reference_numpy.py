#!/usr/bin/env python3
"""Independent reference for SmolLM2-135M-Instruct (GGUF): a plain numpy Llama forward pass.

Reads the GGUF with the `gguf` package (its own dequantisation), keeps llama.cpp's permuted q/k
rows and therefore rotates *interleaved* pairs (the GGUF convention) — TokenAlign un-permutes and
rotates halves, so agreement checks both paths. Tokenises the ChatML prompt with transformers'
GGUF tokenizer conversion. Writes next_token_logits.safetensors (prompt ids + last-position logits)
and prints the greedy continuation.

Run by hand: .venv-bench/bin/python Tests/Fixtures/smollm2/reference_numpy.py .assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
"""
import pathlib
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

path = sys.argv[1]
r = GGUFReader(path)


def meta(key):
    f = r.fields[key]
    v = f.parts[f.data[0]]
    return v.tobytes().decode() if f.types[0].name == "STRING" else v[0]


W = {}
for t in r.tensors:
    a = dequantize(t.data, t.tensor_type).astype(np.float32)
    W[t.name] = a.reshape([int(d) for d in reversed(t.shape)])  # row-major [out, in]

C = int(meta("llama.embedding_length"))
L = int(meta("llama.block_count"))
H = int(meta("llama.attention.head_count"))
HKV = int(meta("llama.attention.head_count_kv"))
eps = float(meta("llama.attention.layer_norm_rms_epsilon"))
theta = float(meta("llama.rope.freq_base"))
D = C // H


def rms(x, w):
    return x / np.sqrt((x.astype(np.float64) ** 2).mean(-1, keepdims=True) + eps).astype(np.float32) * w


def rope_interleaved(x, pos):  # x [T, heads, D], pairs (2i, 2i+1)
    inv = theta ** (-np.arange(0, D, 2, dtype=np.float64) / D)
    ang = np.outer(pos, inv)  # [T, D/2]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[..., 0::2].astype(np.float64), x[..., 1::2].astype(np.float64)
    out = np.empty_like(x, dtype=np.float64)
    out[..., 0::2] = a * c - b * s
    out[..., 1::2] = a * s + b * c
    return out.astype(np.float32)


def forward(ids):
    T = len(ids)
    x = W["token_embd.weight"][ids]
    pos = np.arange(T)
    mask = np.triu(np.full((T, T), -np.inf, dtype=np.float32), 1)
    for l in range(L):
        p = f"blk.{l}."
        h = rms(x, W[p + "attn_norm.weight"])
        q = (h @ W[p + "attn_q.weight"].T).reshape(T, H, D)
        k = (h @ W[p + "attn_k.weight"].T).reshape(T, HKV, D)
        v = (h @ W[p + "attn_v.weight"].T).reshape(T, HKV, D)
        q, k = rope_interleaved(q, pos), rope_interleaved(k, pos)
        k = np.repeat(k, H // HKV, axis=1)
        v = np.repeat(v, H // HKV, axis=1)
        att = np.einsum("thd,shd->hts", q, k) / np.sqrt(D) + mask
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        o = np.einsum("hts,shd->thd", att, v).reshape(T, C)
        x = x + o @ W[p + "attn_output.weight"].T
        h = rms(x, W[p + "ffn_norm.weight"])
        g = h @ W[p + "ffn_gate.weight"].T
        u = h @ W[p + "ffn_up.weight"].T
        x = x + ((g / (1 + np.exp(-g))) * u) @ W[p + "ffn_down.weight"].T
    x = rms(x, W["output_norm.weight"])
    head = W.get("output.weight", W["token_embd.weight"])
    return x @ head.T


from transformers import AutoTokenizer  # noqa: E402

gguf_path = pathlib.Path(path)
tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
messages = [{"role": "user", "content": "What is the capital of France?"}]
text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
ids = tok(text, add_special_tokens=False)["input_ids"]
logits = forward(np.array(ids))
seq = list(ids)
for _ in range(12):
    nxt = int(forward(np.array(seq))[-1].argmax())
    seq.append(nxt)
    if nxt == 2:
        break
print("prompt:", repr(text))
print("ids:", ids)
print("greedy:", repr(tok.decode(seq[len(ids):])))

from safetensors.numpy import save_file  # noqa: E402

out = pathlib.Path(__file__).with_name("next_token_logits.safetensors")
save_file({"input_ids": np.array(ids, dtype=np.int64), "logits": logits[-1].astype(np.float32),
           "greedy_ids": np.array(seq[len(ids):], dtype=np.int64)}, str(out),
          metadata={"prompt": text, "source": "numpy forward over gguf-package dequantisation"})
print("wrote", out)
