#!/usr/bin/env python3
"""Writes Tests/Fuzz/corpus/gguf/valid-tiny-llama.gguf, the GGUF fuzz target's main seed: a tiny
llama (hidden 8, one layer, 2 heads, MLP 32, a 20-token byte-level BPE vocabulary with merges and a
chat template) with F32, F16 and Q8_0 tensors, so that mutations reach the metadata, the tokenizer,
the configuration checks and dequantisation. Needs the PyPI packages `gguf` and `numpy`; the seed
is fixed, so rerunning reproduces the file byte for byte.

    .venv-bench/bin/python Tests/Fuzz/make_gguf_seed.py
"""
import os

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter
from gguf.quants import quantize

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "gguf", "valid-tiny-llama.gguf")
rng = np.random.default_rng(7)
H, I, V, heads, layers = 8, 32, 20, 2, 1

w = GGUFWriter(out, "llama")
w.add_context_length(16)
w.add_embedding_length(H)
w.add_block_count(layers)
w.add_feed_forward_length(I)
w.add_head_count(heads)
w.add_head_count_kv(heads)
w.add_layer_norm_rms_eps(1e-5)
w.add_rope_dimension_count(H // heads)
w.add_vocab_size(V)
tokens = ["a", "b", "c", "d", "Ġ", "ab", "cd", "Ġa", "abcd", "<s>", "</s>", "e", "f", "g", "h", "i", "j", "k", "l", "m"]
w.add_tokenizer_model("gpt2")
w.add_tokenizer_pre("default")
w.add_token_list(tokens)
w.add_token_types([1] * 9 + [3, 3] + [1] * 9)
w.add_token_merges(["a b", "c d", "Ġ a", "ab cd"])
w.add_bos_token_id(9)
w.add_eos_token_id(10)
w.add_chat_template("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}")


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


w.add_tensor("token_embd.weight", f32(V, H))
w.add_tensor("output_norm.weight", np.ones(H, dtype=np.float32))
w.add_tensor("output.weight", f32(V, H).astype(np.float16))
for l in range(layers):
    p = f"blk.{l}."
    w.add_tensor(p + "attn_norm.weight", np.ones(H, dtype=np.float32))
    w.add_tensor(p + "ffn_norm.weight", np.ones(H, dtype=np.float32))
    for name in ["attn_q", "attn_k", "attn_v", "attn_output"]:
        w.add_tensor(p + name + ".weight", f32(H, H))
    w.add_tensor(p + "ffn_gate.weight", f32(I, H))
    w.add_tensor(p + "ffn_up.weight", f32(I, H))
    down = f32(H, I)
    w.add_tensor(p + "ffn_down.weight", quantize(down, GGMLQuantizationType.Q8_0), raw_dtype=GGMLQuantizationType.Q8_0)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print(out, os.path.getsize(out), "bytes")
