#!/usr/bin/env python3
"""Parity fixtures for Gemma 2 and Gemma 3 text, and tiny GGUF files for the newer families.

Run by hand: .venv-bench/bin/python Tests/Fixtures/generate_gemma_parity.py
(needs the PyPI package `gguf`, ggml's own reader/writer, for the GGUF part).

(a) Tiny random Hugging Face folders with transformers' outputs, written by the export of
    generate_sliding_window_parity.py (imported; same inputs, F16 weights, float32 expected outputs,
    left-padded row, greedy decoding through transformers' cache past the window):
    - gemma2: two layers (sliding window 6, then global), attention and final soft-capping at 5 and 3
      (small, so the caps bind on these inputs), query_pre_attn_scalar = head_dim, tied embeddings;
    - gemma3: six layers (five local with window 5 and RoPE base 10 000, one global with base 10^6 and
      linear RoPE scaling 2), per-head q/k norms, no soft-capping, query_pre_attn_scalar = head_dim,
      an untied lm_head (GGUF `output.weight`);
    - gemma2_variant: untied lm_head, biases on q/k/v/o, query_pre_attn_scalar 20 (not head_dim),
      exact-erf GELU ("gelu"), global layer first, only final soft-capping.
    Writes Tests/Fixtures/models/<name>/{config.json, model.safetensors, expected.safetensors}.

(b) model.gguf beside the gemma2, gemma3, qwen3, phi3 and olmo2 folders: the same weights in
    llama.cpp's layout, named by gguf-py's own tensor map (as convert_hf_to_gguf.py names them) with
    the metadata its converter writes for that architecture: Gemma norms stored as 1 + w, Phi-3's
    fused qkv / gate_up kept fused (`attn_qkv`, `ffn_up`), no q/k permutation (these architectures use
    llama.cpp's neox rotation), 2-D weights F16 as in the folder, 1-D tensors F32. The Swift tests load
    each GGUF and must reproduce the folder's transformers logits.
"""
import json
import pathlib

import numpy as np
import torch
import transformers
from safetensors.numpy import load_file

from generate_sliding_window_parity import HERE, export

COMMON = dict(vocab_size=64, hidden_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=12,
              max_position_embeddings=64, initializer_range=0.1, rms_norm_eps=1e-6,
              bos_token_id=None, eos_token_id=None, pad_token_id=None)


def build(name):
    if name == "gemma2":
        cfg = transformers.Gemma2Config(**COMMON, intermediate_size=48, num_hidden_layers=2, sliding_window=6,
                                        query_pre_attn_scalar=12, attn_logit_softcapping=5.0,
                                        final_logit_softcapping=3.0, tie_word_embeddings=True,
                                        rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
        assert cfg.layer_types == ["sliding_attention", "full_attention"], cfg.layer_types
        return transformers.Gemma2ForCausalLM(cfg)
    if name == "gemma3":
        rope = {"full_attention": {"rope_type": "linear", "factor": 2.0, "rope_theta": 1000000.0},
                "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}
        cfg = transformers.Gemma3TextConfig(**COMMON, intermediate_size=32, num_hidden_layers=6, sliding_window=5,
                                            query_pre_attn_scalar=12, tie_word_embeddings=False, rope_parameters=rope)
        assert cfg.layer_types == ["sliding_attention"] * 5 + ["full_attention"], cfg.layer_types
        assert cfg.attn_logit_softcapping is None and cfg.final_logit_softcapping is None
        return transformers.Gemma3ForCausalLM(cfg)
    if name == "gemma2_variant":
        cfg = transformers.Gemma2Config(**COMMON, intermediate_size=48, num_hidden_layers=2, sliding_window=4,
                                        layer_types=["full_attention", "sliding_attention"], query_pre_attn_scalar=20,
                                        attn_logit_softcapping=None, final_logit_softcapping=10.0,
                                        tie_word_embeddings=False, attention_bias=True, hidden_activation="gelu",
                                        rope_parameters={"rope_type": "default", "rope_theta": 500.0})
        return transformers.Gemma2ForCausalLM(cfg)
    raise ValueError(name)


def window_off_gemma(cfg):
    """Gemma: the window applies to the layers `layer_types` marks sliding; make them all global."""
    cfg.layer_types = ["full_attention"] * cfg.num_hidden_layers


# ------------------------------------------------------------------------------------------ (b)

def gguf_metadata(w, arch, c):
    """The hyperparameters convert_hf_to_gguf.py writes for `arch` (gguf-py's key names)."""
    heads = c["num_attention_heads"]
    head_dim = c.get("head_dim") or c["hidden_size"] // heads
    w.add_context_length(c["max_position_embeddings"])
    w.add_embedding_length(c["hidden_size"])
    w.add_block_count(c["num_hidden_layers"])
    w.add_feed_forward_length(c["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(c.get("num_key_value_heads") or heads)
    w.add_layer_norm_rms_eps(c["rms_norm_eps"])
    if arch in ("gemma2", "gemma3") or head_dim != c["hidden_size"] // heads:
        w.add_key_length(head_dim)
        w.add_value_length(head_dim)
    rope = c.get("rope_parameters") or {}
    if arch == "gemma3":
        rope = rope["full_attention"]
    if arch != "gemma2":
        w.add_rope_freq_base(rope.get("rope_theta", c.get("rope_theta", 10000.0)))
        w.add_rope_dimension_count(head_dim)
    if rope.get("rope_type") == "linear":
        w.add_rope_scaling_type(__import__("gguf").RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(rope["factor"])
    if arch == "gemma2":
        w.add_attn_logit_softcapping(c["attn_logit_softcapping"])
        w.add_final_logit_softcapping(c["final_logit_softcapping"])
    if arch == "gemma3" and c.get("final_logit_softcapping"):
        w.add_final_logit_softcapping(c["final_logit_softcapping"])
    if arch in ("gemma2", "gemma3", "phi3") and c.get("sliding_window"):
        w.add_sliding_window(c["sliding_window"])


def write_gguf(name, arch):
    import gguf

    folder = HERE / name
    c = json.loads((folder / "config.json").read_text())
    weights = load_file(str(folder / "model.safetensors"))
    arch_id = next(k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == arch)
    names = gguf.get_tensor_name_map(arch_id, c["num_hidden_layers"])
    out = folder / "model.gguf"
    w = gguf.GGUFWriter(str(out), arch=arch)
    w.add_name(f"tokenalign-{name}")
    gguf_metadata(w, arch, c)
    for hf_name in sorted(weights):
        gguf_name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        assert gguf_name is not None, f"{arch}: no GGUF name for {hf_name}"
        t = weights[hf_name].astype(np.float32)
        if arch in ("gemma2", "gemma3") and hf_name.endswith("norm.weight"):
            t = t + 1.0  # Gemma's RMSNorm scale (1 + w), as the converter stores it
        w.add_tensor(gguf_name, t.astype(np.float16) if t.ndim == 2 else t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{name}: {arch} GGUF with {len(weights)} tensors -> {out}")


def generate():
    torch.manual_seed(0)
    export("gemma2", build("gemma2").eval(), 60, window_off=window_off_gemma)
    export("gemma3", build("gemma3").eval(), 61, window_off=window_off_gemma)
    export("gemma2_variant", build("gemma2_variant").eval(), 62, window_off=window_off_gemma)
    for name, arch in [("gemma2", "gemma2"), ("gemma3", "gemma3"), ("qwen3", "qwen3"), ("phi3", "phi3"), ("olmo2", "olmo2")]:
        write_gguf(name, arch)


if __name__ == "__main__":
    generate()
