#!/usr/bin/env python3
"""GGUF twins of the RoPE-scaling parity folders, with the metadata and extra tensors llama.cpp's
convert_hf_to_gguf.py writes for each scaling type (gguf-py's key names and tensor map).

Run by hand (after generate_rope_scaling_parity.py): .venv-bench/bin/python Tests/Fixtures/generate_rope_scaling_gguf.py
Writes Tests/Fixtures/models/<name>/model.gguf for:
- llama_rope_linear: `rope.scaling.type` "linear" and `rope.scaling.factor`;
- llama_rope_yarn: "yarn", `factor`, `original_context_length` (beta_fast / beta_slow / attention
  factor only when the config carries them; this one does not);
- llama_rope_llama3: no scaling type; the converter bakes the llama3 scaling into the F32 tensor
  `rope_freqs.weight`, one divisor per frequency (1 / the factor transformers multiplies by);
- phi3_longrope: `original_context_length`, `attn_factor` √(1 + ln s / ln L₀) with s = context / L₀,
  and the F32 tensors `rope_factors_long.weight` / `rope_factors_short.weight` (no scaling type).
Weights as in generate_gemma_parity.py's GGUFs; the llama architecture stores q/k rows in llama.cpp's
interleaved-pair order (the converter's permutation, undone by the Swift loader).
"""
import json
import math

import gguf
import numpy as np
from safetensors.numpy import load_file

from generate_gemma_parity import gguf_metadata
from generate_sliding_window_parity import HERE


def pair_rows(w, heads):
    """Per head, row 2i ← row i and row 2i+1 ← row i + D/2 (llama.cpp's order for interleaved RoPE)."""
    d = w.shape[0] // heads
    return w.reshape(heads, 2, d // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama3_divisors(rope, head_dim):
    """The llama3 scaling as per-frequency divisors, the formula the converter writes to rope_freqs."""
    theta, f = rope["rope_theta"], rope["factor"]
    low, high, original = rope["low_freq_factor"], rope["high_freq_factor"], rope["original_max_position_embeddings"]
    out = []
    for i in range(head_dim // 2):
        wavelength = 2 * math.pi * theta ** (2 * i / head_dim)
        if wavelength < original / high:
            out.append(1.0)
        elif wavelength > original / low:
            out.append(f)
        else:
            smooth = (original / wavelength - low) / (high - low)
            out.append(1 / ((1 - smooth) / f + smooth))
    return np.array(out, dtype=np.float32)


def write(name, arch):
    folder = HERE / name
    c = json.loads((folder / "config.json").read_text())
    rope = c["rope_parameters"]
    heads, kv = c["num_attention_heads"], c.get("num_key_value_heads") or c["num_attention_heads"]
    head_dim = c.get("head_dim") or c["hidden_size"] // heads
    weights = load_file(str(folder / "model.safetensors"))
    arch_id = next(k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == arch)
    names = gguf.get_tensor_name_map(arch_id, c["num_hidden_layers"])
    w = gguf.GGUFWriter(str(folder / "model.gguf"), arch=arch)
    w.add_name(f"tokenalign-{name}")
    plain = dict(c, rope_parameters={"rope_theta": rope["rope_theta"]})
    gguf_metadata(w, arch, plain)
    kind = rope["rope_type"]
    if kind == "linear":
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(rope["factor"])
    elif kind == "yarn":
        w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        w.add_rope_scaling_factor(rope["factor"])
        w.add_rope_scaling_orig_ctx_len(rope["original_max_position_embeddings"])
        for key, add in [("beta_fast", w.add_rope_scaling_yarn_beta_fast), ("beta_slow", w.add_rope_scaling_yarn_beta_slow)]:
            if key in rope:
                add(rope[key])
    elif kind == "llama3":
        w.add_tensor("rope_freqs.weight", llama3_divisors(rope, head_dim))
    elif kind == "longrope":
        original = c["original_max_position_embeddings"]
        scale = c["max_position_embeddings"] / original
        w.add_rope_scaling_orig_ctx_len(original)
        w.add_rope_scaling_attn_factors(math.sqrt(1 + math.log(scale) / math.log(original)) if scale > 1 else 1.0)
        w.add_tensor("rope_factors_long.weight", np.array(rope["long_factor"], dtype=np.float32))
        w.add_tensor("rope_factors_short.weight", np.array(rope["short_factor"], dtype=np.float32))
    for hf_name in sorted(weights):
        gguf_name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        assert gguf_name is not None, f"{arch}: no GGUF name for {hf_name}"
        t = weights[hf_name].astype(np.float32)
        if arch == "llama" and hf_name.endswith(("q_proj.weight", "k_proj.weight")):
            t = pair_rows(t, heads if "q_proj" in hf_name else kv)
        w.add_tensor(gguf_name, t.astype(np.float16) if t.ndim == 2 else t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{name}: {arch} GGUF ({kind}) -> {folder / 'model.gguf'}")


if __name__ == "__main__":
    for name, arch in [("llama_rope_linear", "llama"), ("llama_rope_yarn", "llama"),
                       ("llama_rope_llama3", "llama"), ("phi3_longrope", "phi3")]:
        write(name, arch)
