#!/usr/bin/env python3
"""Sliding-window parity fixtures for ModelsTests: a tiny random Mistral (every layer windowed) and a
tiny random Qwen2 with `use_sliding_window` (layers >= `max_window_layers` windowed), saved as
Hugging Face folders with transformers' logits and greedy generations for fixed inputs.

Run by hand: .venv-bench/bin/python Tests/Fixtures/generate_sliding_window_parity.py
Writes Tests/Fixtures/models/{mistral,qwen2_sliding}/{config.json, model.safetensors, expected.safetensors}.

The window is short (6 and 5) and the sequences long (40) so most keys fall outside it. transformers'
convention (masking_utils.sliding_window_overlay): query i sees keys j with i - window < j <= i.

Weights are rounded to float16 and stored as F16 to keep the folders small; the expected outputs are
computed in float32 from those rounded weights, so a float32 loader sees exactly the same model.

`expected.safetensors` holds, like generate_model_parity.py: input_ids [B,T] (I64), attention_mask
[B,T] (F32, left padding in row 1), position_ids [B,T] (I64), logits [B,T,V] (masked batch) and
logits_plain [B,T,V] (no mask), plus greedy decoding through transformers' cache:
gen_prompt [B,P] (I64, row 1 left-padded), gen_prompt_mask [B,P] (F32) and gen_ids [B,P+N] (I64),
N new tokens, so decoding runs well past the window.
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
                  num_key_value_heads=2, max_position_embeddings=64, initializer_range=0.1)
    if name == "mistral":
        cfg = transformers.MistralConfig(**common, rms_norm_eps=1e-5, rope_theta=10000.0, sliding_window=6,
                                         tie_word_embeddings=False)
        return transformers.MistralForCausalLM(cfg)
    if name == "qwen2_sliding":
        cfg = transformers.Qwen2Config(**common, rms_norm_eps=1e-6, rope_theta=100000.0, tie_word_embeddings=True,
                                       use_sliding_window=True, sliding_window=5, max_window_layers=1)
        assert cfg.layer_types == ["full_attention", "sliding_attention"], cfg.layer_types
        return transformers.Qwen2ForCausalLM(cfg)
    raise ValueError(name)


def perturb_and_round(model, seed):
    """Random weights well away from the initialiser's, then rounded to float16 (stored as F16)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.3)
            p.copy_(p.half().float())


def window_off_everywhere(cfg):
    """Mistral / Phi-3: one window on every layer; turning it off is dropping it."""
    cfg.sliding_window = None


def window_off_qwen(cfg):
    """Qwen2 / Qwen3: the window is gated by use_sliding_window and placed by layer_types."""
    cfg.use_sliding_window = False
    cfg.sliding_window = None
    cfg.layer_types = ["full_attention"] * cfg.num_hidden_layers


def save_rounded(model, out, edit_config=None):
    """Writes `model` to the folder `out` as a user's checkpoint: config.json (sorted, dtype float16,
    `edit_config` applied to the dict) and F16 weights, without generation_config.json."""
    out.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(out)
    cfg_path = out / "config.json"
    cfg = json.loads(cfg_path.read_text())
    if edit_config:
        edit_config(cfg)
    cfg["dtype"] = "float16"
    cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    weights = {k: v.detach().half().contiguous() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        weights.pop("lm_head.weight", None)
    save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "generation_config.json").unlink(missing_ok=True)


def export(name, model, seed, window_off=None, drop_layer_types=False, extra=None, cached_equals_full=True):
    """Perturbs and rounds `model`, saves it as HERE/name, reloads it as a user would and writes
    expected.safetensors from the reloaded model. With `window_off` (the model is windowed), also
    reports how much the window changes the logits on these inputs (not stored). With
    `drop_layer_types`, config.json leaves out layer_types so loaders rebuild them from
    use_sliding_window / max_window_layers. `extra(model, ids)` returns more tensors to store,
    computed after the two forwards and before generation. `cached_equals_full=False` skips the
    check that cached greedy equals a full forward's argmax (RoPE whose frequencies depend on the
    length seen so far: cached keys keep their old rotation by design)."""
    perturb_and_round(model, seed)
    V = model.config.vocab_size
    out = HERE / name
    save_rounded(model, out, (lambda cfg: cfg.pop("layer_types", None)) if drop_layer_types else None)

    # Reload exactly as a user would, so the expected outputs come from the saved folder.
    model = transformers.AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    assert (getattr(model.config, "sliding_window", None) is not None) == (window_off is not None)

    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, V, (2, T), generator=g)
    mask = torch.ones(2, T)
    mask[1, :PAD] = 0
    pos = (mask.cumsum(-1) - 1).clamp(min=0).long()
    with torch.no_grad():
        masked = model(input_ids=ids, attention_mask=mask.long(), position_ids=pos).logits
        plain = model(input_ids=ids).logits
        extras = extra(model, ids) if extra else {}

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
        if cached_equals_full:
            assert torch.equal(re[:, P - 1:-1].argmax(-1), gen[:, P:]), "cached greedy != full forward argmax"

    save_file({"input_ids": ids, "attention_mask": mask, "position_ids": pos,
               "logits": masked.contiguous(), "logits_plain": plain.contiguous(),
               "gen_prompt": prompt, "gen_prompt_mask": pmask, "gen_ids": gen.contiguous(), **extras},
              str(out / "expected.safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})

    params = sum(p.numel() for p in model.parameters())
    if window_off is None:
        print(f"{name}: params {params}, greedy {gen[:, P:].tolist()} -> {out}")
        return
    # How much the window matters on these inputs (reported, not stored).
    cfg_nowin = type(model.config).from_pretrained(out)
    window_off(cfg_nowin)
    nowin = type(model)(cfg_nowin).eval()
    nowin.load_state_dict(model.state_dict())
    with torch.no_grad():
        plain_nowin = nowin(input_ids=ids).logits
    lp = torch.log_softmax(plain, -1) - torch.log_softmax(plain_nowin, -1)
    print(f"{name}: params {params}, window {model.config.sliding_window}, "
          f"max |log p(window) - log p(no window)| = {lp.abs().max().item():.3f}; greedy {gen[:, P:].tolist()} -> {out}")


def generate():
    torch.manual_seed(0)
    export("mistral", build("mistral").eval(), 20, window_off=window_off_everywhere)
    # Exercise the use_sliding_window / max_window_layers path (transformers rebuilds the same
    # layer_types from them on load).
    export("qwen2_sliding", build("qwen2_sliding").eval(), 21, window_off=window_off_qwen, drop_layer_types=True)


if __name__ == "__main__":
    generate()
