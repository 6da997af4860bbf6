#!/usr/bin/env python3
"""Parity fixtures for the model families loaded through the Llama code path: a tiny random Qwen3
(q/k RMSNorm per head, an explicit head_dim different from hidden_size / heads, attention_bias on
q/k/v/o), a tiny random Qwen3 with `use_sliding_window` (layers >= `max_window_layers` windowed), and a
tiny random Phi-3 (fused qkv_proj and gate_up_proj weights, a sliding window on every layer) and a tiny
random OLMo 2 (q/k norms over the whole projections, norms after attention and the MLP), saved as
Hugging Face folders with transformers' logits and greedy generations for fixed inputs.

Run by hand: .venv-bench/bin/python Tests/Fixtures/generate_family_parity.py
Writes Tests/Fixtures/models/{qwen3,qwen3_sliding,phi3,olmo2}/{config.json, model.safetensors, expected.safetensors}.

Same layout, conventions and export code as generate_sliding_window_parity.py (imported): weights rounded to float16 and stored
as F16, expected outputs computed in float32 from the rounded weights; `expected.safetensors` holds
input_ids, attention_mask (left padding in row 1), position_ids, logits, logits_plain, and greedy
decoding through transformers' cache (gen_prompt, gen_prompt_mask, gen_ids).
"""
import torch
import transformers

from generate_sliding_window_parity import export, window_off_everywhere, window_off_qwen


def build(name):
    common = dict(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=64, initializer_range=0.1, head_dim=12)
    if name == "qwen3":
        cfg = transformers.Qwen3Config(**common, rms_norm_eps=1e-6, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
                                       tie_word_embeddings=False, attention_bias=True)
        return transformers.Qwen3ForCausalLM(cfg)
    if name == "qwen3_sliding":
        cfg = transformers.Qwen3Config(**common, rms_norm_eps=1e-6, rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                                       tie_word_embeddings=True, use_sliding_window=True, sliding_window=5, max_window_layers=1)
        assert cfg.layer_types == ["full_attention", "sliding_attention"], cfg.layer_types
        return transformers.Qwen3ForCausalLM(cfg)
    if name == "olmo2":
        olmo = {k: v for k, v in common.items() if k != "head_dim"}
        cfg = transformers.Olmo2Config(**olmo, rms_norm_eps=1e-6, tie_word_embeddings=False, attention_bias=False,
                                       rope_parameters={"rope_type": "default", "rope_theta": 500000.0},
                                       bos_token_id=None, eos_token_id=None, pad_token_id=None)
        return transformers.Olmo2ForCausalLM(cfg)
    if name == "phi3":
        phi = {k: v for k, v in common.items() if k != "head_dim"}
        cfg = transformers.Phi3Config(**phi, rms_norm_eps=1e-5, tie_word_embeddings=False, sliding_window=6,
                                      original_max_position_embeddings=64, bos_token_id=None, eos_token_id=None,
                                      pad_token_id=None)
        return transformers.Phi3ForCausalLM(cfg)
    raise ValueError(name)


def generate():
    torch.manual_seed(0)
    export("qwen3", build("qwen3").eval(), 40)
    export("qwen3_sliding", build("qwen3_sliding").eval(), 41, window_off=window_off_qwen, drop_layer_types=True)
    export("phi3", build("phi3").eval(), 42, window_off=window_off_everywhere)
    export("olmo2", build("olmo2").eval(), 43)


if __name__ == "__main__":
    generate()
