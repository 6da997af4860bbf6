#!/usr/bin/env python3
"""Parity fixtures for ModelsTests: tiny random GPT-2, Llama (GQA) and Qwen2 (qkv bias, tied
embeddings) saved as Hugging Face folders, with transformers' logits for fixed inputs.

Sliding-window (Mistral, Qwen2) and RoPE-scaling fixtures come from generate_sliding_window_parity.py
and generate_rope_scaling_parity.py beside this file, in the same format.

Run by hand: .venv-bench/bin/python Tests/Fixtures/generate_model_parity.py
Writes Tests/Fixtures/models/<name>/{config.json, model.safetensors, expected.safetensors}.
`expected.safetensors` holds: input_ids [B,T] (I64), attention_mask [B,T] (F32, left padding in
row 1), position_ids [B,T] (I64, cumulative mask - 1 as transformers' generate computes them),
logits [B,T,V] (F32) for the masked batch, and logits_plain [B,T,V] for all-ones mask.

With --check-saved DIR it instead loads a folder written by TokenAlign's `ModelRegistry.save`,
runs transformers on it, and compares with that folder's `expected.safetensors` (written by the
Swift test when TOKENALIGN_WRITE_SAVED_MODELS is set), printing max |difference|.
"""
import argparse
import json
import pathlib
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file

HERE = pathlib.Path(__file__).parent / "models"


def perturb(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.1)


def inputs(vocab):
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, vocab, (2, 9), generator=g)
    mask = torch.ones(2, 9)
    mask[1, :3] = 0  # left padding in row 1
    pos = (mask.cumsum(-1) - 1).clamp(min=0).long()
    return ids, mask, pos


def build(name):
    if name == "gpt2":
        cfg = transformers.GPT2Config(vocab_size=512, n_positions=64, n_embd=64, n_layer=2, n_head=4,
                                      initializer_range=0.1, resid_pdrop=0, embd_pdrop=0, attn_pdrop=0)
        return transformers.GPT2LMHeadModel(cfg)
    if name == "llama":
        cfg = transformers.LlamaConfig(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                       num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5,
                                       rope_theta=10000.0, max_position_embeddings=64, tie_word_embeddings=False,
                                       initializer_range=0.1)
        return transformers.LlamaForCausalLM(cfg)
    if name == "qwen2":
        cfg = transformers.Qwen2Config(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                       num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-6,
                                       rope_theta=100000.0, max_position_embeddings=64, tie_word_embeddings=True,
                                       initializer_range=0.1)
        return transformers.Qwen2ForCausalLM(cfg)
    raise ValueError(name)


def run(model, ids, mask, pos):
    with torch.no_grad():
        masked = model(input_ids=ids, attention_mask=mask.long(), position_ids=pos).logits
        plain = model(input_ids=ids).logits
    return masked, plain


def generate():
    torch.manual_seed(0)
    for i, name in enumerate(["gpt2", "llama", "qwen2"]):
        model = build(name).eval()
        perturb(model, 10 + i)
        out = HERE / name
        out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(out, safe_serialization=True)
        ids, mask, pos = inputs(model.config.vocab_size)
        masked, plain = run(model, ids, mask, pos)
        save_file({"input_ids": ids, "attention_mask": mask, "position_ids": pos,
                   "logits": masked.contiguous(), "logits_plain": plain.contiguous()},
                  str(out / "expected.safetensors"), metadata={"transformers": transformers.__version__,
                                                               "torch": torch.__version__})
        (out / "generation_config.json").unlink(missing_ok=True)
        print(name, "params", sum(p.numel() for p in model.parameters()), "->", out)


def check_saved(folder):
    folder = pathlib.Path(folder)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
    exp = load_file(str(folder / "expected.safetensors"))
    ids, mask = exp["input_ids"].long(), exp["attention_mask"]
    pos = (mask.cumsum(-1) - 1).clamp(min=0).long()
    masked, _ = run(model, ids, mask, pos)
    keep = mask.bool()
    diff = (masked - exp["logits"]).abs()[keep].max().item()
    print(f"{folder.name}: transformers {transformers.__version__} loaded {type(model).__name__}; "
          f"max |logits - TokenAlign logits| over real tokens = {diff:.3e}")
    return diff


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--check-saved", nargs="*")
    a = ap.parse_args()
    if a.check_saved:
        worst = max(check_saved(f) for f in a.check_saved)
        print("all checks passed" if worst < 1e-4 else "MISMATCH")
        sys.exit(0 if worst < 1e-4 else 1)
    generate()
