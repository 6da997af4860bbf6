#!/usr/bin/env python3
"""Parity fixtures for the model families loaded through the Llama code path: a tiny random Qwen3
(q/k RMSNorm per head, an explicit head_dim different from hidden_size / heads, attention_bias on
q/k/v/o), a tiny random Qwen3 with `use_sliding_window` (layers >= `max_window_layers` windowed), and a
tiny random Phi-3 (fused qkv_proj and gate_up_proj weights, a sliding window on every layer) and a tiny
random OLMo 2 (q/k norms over the whole projections, norms after attention and the MLP), saved as
Hugging Face folders with transformers' logits and greedy generations for fixed inputs.

Run by hand: .venv-bench/bin/python Tests/Fixtures/generate_family_parity.py
Writes Tests/Fixtures/models/{qwen3,qwen3_sliding,phi3,olmo2}/{config.json, model.safetensors, expected.safetensors}.

Same layout and conventions as generate_sliding_window_parity.py: weights rounded to float16 and stored
as F16, expected outputs computed in float32 from the rounded weights; `expected.safetensors` holds
input_ids, attention_mask (left padding in row 1), position_ids, logits, logits_plain, and greedy
decoding through transformers' cache (gen_prompt, gen_prompt_mask, gen_ids).
"""
import json
import pathlib

import torch
import transformers
from safetensors.torch import save_file

HERE = pathlib.Path(__file__).parent / "models"
T, PAD = 40, 7          # sequence length, left padding of row 1
P, GEN_PAD, N = 8, 3, 28  # prompt length, its left padding in row 1, new tokens


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


def perturb_and_round(model, seed):
    """Random weights well away from the initialiser's, then rounded to float16 (stored as F16)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.3)
            p.copy_(p.half().float())


def generate():
    torch.manual_seed(0)
    for i, name in enumerate(["qwen3", "qwen3_sliding", "phi3", "olmo2"]):
        model = build(name).eval()
        perturb_and_round(model, 40 + i)
        V = model.config.vocab_size
        out = HERE / name
        out.mkdir(parents=True, exist_ok=True)
        model.config.save_pretrained(out)
        cfg_path = out / "config.json"
        cfg = json.loads(cfg_path.read_text())
        if name == "qwen3_sliding":
            # Exercise the use_sliding_window / max_window_layers path (transformers rebuilds the
            # same layer_types from them on load).
            cfg.pop("layer_types", None)
        cfg["dtype"] = "float16"
        cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
        weights = {k: v.detach().half().contiguous() for k, v in model.state_dict().items()}
        if model.config.tie_word_embeddings:
            weights.pop("lm_head.weight", None)
        save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
        (out / "generation_config.json").unlink(missing_ok=True)

        # Reload exactly as a user would, so the expected outputs come from the saved folder.
        model = transformers.AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
        assert (getattr(model.config, "sliding_window", None) is not None) == (name in ("qwen3_sliding", "phi3"))

        g = torch.Generator().manual_seed(1)
        ids = torch.randint(0, V, (2, T), generator=g)
        mask = torch.ones(2, T)
        mask[1, :PAD] = 0
        pos = (mask.cumsum(-1) - 1).clamp(min=0).long()
        with torch.no_grad():
            masked = model(input_ids=ids, attention_mask=mask.long(), position_ids=pos).logits
            plain = model(input_ids=ids).logits

        prompt = torch.randint(0, V, (2, P), generator=g)
        pmask = torch.ones(2, P)
        pmask[1, :GEN_PAD] = 0
        prompt[1, :GEN_PAD] = 0
        model.generation_config.eos_token_id = None
        model.generation_config.pad_token_id = 0
        with torch.no_grad():
            gen = model.generate(input_ids=prompt, attention_mask=pmask.long(), max_new_tokens=N, min_new_tokens=N,
                                 do_sample=False)
            # transformers' cached greedy must equal the argmax of a full forward over its output.
            full_mask = torch.cat([pmask, torch.ones(2, N)], dim=1)
            full_pos = (full_mask.cumsum(-1) - 1).clamp(min=0).long()
            re = model(input_ids=gen, attention_mask=full_mask.long(), position_ids=full_pos).logits
            assert torch.equal(re[:, P - 1:-1].argmax(-1), gen[:, P:]), "cached greedy != full forward argmax"

        save_file({"input_ids": ids, "attention_mask": mask, "position_ids": pos,
                   "logits": masked.contiguous(), "logits_plain": plain.contiguous(),
                   "gen_prompt": prompt, "gen_prompt_mask": pmask, "gen_ids": gen.contiguous()},
                  str(out / "expected.safetensors"),
                  metadata={"transformers": transformers.__version__, "torch": torch.__version__})

        if name in ("qwen3", "olmo2"):
            print(f"{name}: params {sum(p.numel() for p in model.parameters())}, greedy {gen[:, P:].tolist()} -> {out}")
            continue
        # How much the window matters on these inputs (reported, not stored).
        cfg_nowin = type(model.config).from_pretrained(out)
        cfg_nowin.sliding_window = None
        if name == "qwen3_sliding":
            cfg_nowin.use_sliding_window = False
            cfg_nowin.layer_types = ["full_attention"] * cfg_nowin.num_hidden_layers
        nowin = type(model)(cfg_nowin).eval()
        nowin.load_state_dict(model.state_dict())
        with torch.no_grad():
            plain_nowin = nowin(input_ids=ids).logits
        lp = torch.log_softmax(plain, -1) - torch.log_softmax(plain_nowin, -1)
        print(f"{name}: params {sum(p.numel() for p in model.parameters())}, window {model.config.sliding_window}, "
              f"max |log p(window) - log p(no window)| = {lp.abs().max().item():.3f}; greedy {gen[:, P:].tolist()} -> {out}")


if __name__ == "__main__":
    generate()
