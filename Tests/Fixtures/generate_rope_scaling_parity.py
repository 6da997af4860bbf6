#!/usr/bin/env python3
"""RoPE-scaling parity fixtures for ModelsTests: tiny random Llamas with `rope_type` "linear" and
"llama3" (Llama 3.1's frequency-dependent scaling), saved as Hugging Face folders with transformers'
logits for fixed inputs.

Run by hand: .venv-bench/bin/python Tests/Fixtures/generate_rope_scaling_parity.py
Writes Tests/Fixtures/models/{llama_rope_linear,llama_rope_llama3}/{config.json, model.safetensors,
expected.safetensors}, in the format of generate_model_parity.py (input_ids, attention_mask with row 1
left-padded, position_ids, logits, logits_plain). Weights are rounded to float16 and stored as F16.

The llama3 case uses original_max_position_embeddings 64 with head_dim 16 and theta 10000, so the
8 frequencies cover all three regimes of transformers' `_compute_llama3_parameters` (wavelength below
64/4 = 16: unchanged; above 64: divided by `factor`; between: smoothly interpolated).
"""
import json
import pathlib

import torch
import transformers
from safetensors.torch import save_file

HERE = pathlib.Path(__file__).parent / "models"
T, PAD = 40, 5

CASES = {
    "llama_rope_linear": {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0},
    "llama_rope_llama3": {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                          "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
}


def generate():
    torch.manual_seed(0)
    for i, (name, rope) in enumerate(CASES.items()):
        cfg = transformers.LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                       num_attention_heads=2, num_key_value_heads=1, head_dim=16, rms_norm_eps=1e-5,
                                       max_position_embeddings=256, tie_word_embeddings=False, initializer_range=0.1,
                                       rope_parameters=dict(rope))
        model = transformers.LlamaForCausalLM(cfg).eval()
        g = torch.Generator().manual_seed(30 + i)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn(p.shape, generator=g) * 0.3)
                p.copy_(p.half().float())
        out = HERE / name
        out.mkdir(parents=True, exist_ok=True)
        model.config.save_pretrained(out)
        cfg_path = out / "config.json"
        c = json.loads(cfg_path.read_text())
        c["dtype"] = "float16"
        cfg_path.write_text(json.dumps(c, indent=2, sort_keys=True) + "\n")
        save_file({k: v.detach().half().contiguous() for k, v in model.state_dict().items()},
                  str(out / "model.safetensors"), metadata={"format": "pt"})
        (out / "generation_config.json").unlink(missing_ok=True)

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

        # How much the scaling matters on these inputs (reported, not stored).
        plain_cfg = transformers.LlamaConfig.from_pretrained(out)
        plain_cfg.rope_parameters = {"rope_type": "default", "rope_theta": 10000.0}
        unscaled = transformers.LlamaForCausalLM(plain_cfg).eval()
        unscaled.load_state_dict(model.state_dict())
        with torch.no_grad():
            d = (unscaled(input_ids=ids).logits - plain).abs().max().item()
        inv = model.model.rotary_emb.inv_freq
        print(f"{name}: inv_freq {inv.tolist()}; max |logits - unscaled logits| = {d:.3f} -> {out}")


if __name__ == "__main__":
    generate()
