#!/usr/bin/env python3
"""RoPE-scaling parity fixtures for ModelsTests: tiny random checkpoints with each `rope_type` the
Llama path implements, saved as Hugging Face folders with transformers' logits for fixed inputs.

Run by hand: .venv-bench/bin/python Tests/Fixtures/generate_rope_scaling_parity.py
Writes Tests/Fixtures/models/<name>/{config.json, model.safetensors, expected.safetensors}. Weights are
rounded to float16 and stored as F16; expected outputs are computed in float32 from the rounded weights.

- llama_rope_linear, llama_rope_llama3 (format of generate_model_parity.py: input_ids, attention_mask
  with row 1 left-padded, position_ids, logits, logits_plain). The llama3 case uses
  original_max_position_embeddings 64 with head_dim 16 and theta 10000, so the 8 frequencies cover all
  three regimes of `_compute_llama3_parameters`.
- llama_rope_yarn (defaults: beta 32 / 1, truncated ramp, attention factor 0.1 ln f + 1),
  qwen3_rope_yarn (beta 16 / 2, `truncate: false`, attention factor from mscale / mscale_all_dim),
  llama_rope_dynamic (NTK-aware base growth once the length passes max_position_embeddings 24) and
  phi3_longrope (short / long factors switched at original_max_position_embeddings 24, attention factor
  from max_position_embeddings / original): the export of generate_sliding_window_parity.py (40-token
  inputs, so beyond the original context, left padding in row 1, and greedy decoding through
  transformers' cache from 8 to 36 tokens, past the switch point), plus for the two length-dependent
  types `logits_short`, the plain logits of the first 20 tokens (within the original context).
"""
import torch
import transformers
from safetensors.torch import save_file

from generate_sliding_window_parity import HERE, export, perturb_and_round, save_rounded

T, PAD = 40, 5
SHORT = 20

LEGACY_CASES = {
    "llama_rope_linear": {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0},
    "llama_rope_llama3": {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                          "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
}
LLAMA = dict(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2,
             num_key_value_heads=1, head_dim=16, rms_norm_eps=1e-5, tie_word_embeddings=False, initializer_range=0.1)


def unscaled_gap(model, ids, plain):
    """max |logits - logits with plain RoPE| on `ids`: how much the scaling matters (reported only)."""
    cfg = type(model.config).from_pretrained(model.name_or_path)
    cfg.rope_parameters = {"rope_type": "default", "rope_theta": model.config.rope_parameters["rope_theta"]}
    unscaled = type(model)(cfg).eval()
    unscaled.load_state_dict(model.state_dict())
    with torch.no_grad():
        return (unscaled(input_ids=ids).logits - plain).abs().max().item()


def legacy():
    torch.manual_seed(0)
    for i, (name, rope) in enumerate(LEGACY_CASES.items()):
        cfg = transformers.LlamaConfig(**LLAMA, max_position_embeddings=256, rope_parameters=dict(rope))
        model = transformers.LlamaForCausalLM(cfg).eval()
        perturb_and_round(model, 30 + i)
        out = HERE / name
        save_rounded(model, out)
        model = transformers.AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
        assert model.config.rope_parameters["rope_type"] == rope["rope_type"], model.config.rope_parameters
        gen = torch.Generator().manual_seed(1)
        ids = torch.randint(0, 64, (2, T), generator=gen)
        mask = torch.ones(2, T)
        mask[1, :PAD] = 0
        pos = (mask.cumsum(-1) - 1).clamp(min=0).long()
        with torch.no_grad():
            masked = model(input_ids=ids, attention_mask=mask.long(), position_ids=pos).logits
            plain = model(input_ids=ids).logits
        save_file({"input_ids": ids, "attention_mask": mask, "position_ids": pos,
                   "logits": masked.contiguous(), "logits_plain": plain.contiguous()},
                  str(out / "expected.safetensors"),
                  metadata={"transformers": transformers.__version__, "torch": torch.__version__})
        inv = model.model.rotary_emb.inv_freq
        print(f"{name}: inv_freq {inv.tolist()}; max |logits - unscaled logits| = {unscaled_gap(model, ids, plain):.3f} -> {out}")


def short_logits(model, ids):
    """Plain logits of the first SHORT tokens (within the original context), and the scaling's effect."""
    with torch.no_grad():
        short = model(input_ids=ids[:, :SHORT]).logits
        full = model(input_ids=ids).logits
    print(f"  inv_freq after {T} tokens {model.model.rotary_emb.inv_freq.tolist()}, attention scaling "
          f"{model.model.rotary_emb.attention_scaling}; max |logits - unscaled| = {unscaled_gap(model, ids, full):.3f}")
    return {"logits_short": short.contiguous()}


def report(model, ids):
    with torch.no_grad():
        full = model(input_ids=ids).logits
    print(f"  inv_freq {model.model.rotary_emb.inv_freq.tolist()}, attention scaling {model.model.rotary_emb.attention_scaling}; "
          f"max |logits - unscaled| = {unscaled_gap(model, ids, full):.3f}")
    return {}


def scaled():
    torch.manual_seed(0)
    yarn = transformers.LlamaConfig(**LLAMA, max_position_embeddings=64, rope_parameters={
        "rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 16})
    export("llama_rope_yarn", transformers.LlamaForCausalLM(yarn).eval(), 34, extra=report)

    qwen = transformers.Qwen3Config(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                    num_attention_heads=4, num_key_value_heads=2, head_dim=12, rms_norm_eps=1e-6,
                                    max_position_embeddings=48, initializer_range=0.1, tie_word_embeddings=False,
                                    rope_parameters={"rope_type": "yarn", "rope_theta": 1000.0, "factor": 3.0,
                                                     "original_max_position_embeddings": 16, "beta_fast": 16.0,
                                                     "beta_slow": 2.0, "truncate": False, "mscale": 1.5,
                                                     "mscale_all_dim": 0.5})
    export("qwen3_rope_yarn", transformers.Qwen3ForCausalLM(qwen).eval(), 35, extra=report)

    dynamic = transformers.LlamaConfig(**LLAMA, max_position_embeddings=24, rope_parameters={
        "rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0})
    export("llama_rope_dynamic", transformers.LlamaForCausalLM(dynamic).eval(), 36, extra=short_logits,
           cached_equals_full=False)

    phi = transformers.Phi3Config(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=96,
                                  original_max_position_embeddings=24, initializer_range=0.1, rms_norm_eps=1e-5,
                                  tie_word_embeddings=False, sliding_window=None, bos_token_id=None, eos_token_id=None,
                                  pad_token_id=None,
                                  rope_parameters={"rope_type": "longrope", "rope_theta": 10000.0,
                                                   "short_factor": [1.0, 1.05, 1.2, 1.4],
                                                   "long_factor": [1.0, 1.9, 3.7, 7.5]})
    export("phi3_longrope", transformers.Phi3ForCausalLM(phi).eval(), 37, extra=short_logits, cached_equals_full=False)


if __name__ == "__main__":
    legacy()
    scaled()
