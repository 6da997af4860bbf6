#!/usr/bin/env python3
"""DoLa parity fixture for GuidanceTests (docs/design/decoding.md §6).

Runs transformers' built-in DoLa, greedy `generate(do_sample=False, dola_layers=..., repetition_penalty=1.0)`,
on the committed tiny Llama (untied head) and GPT-2 (tied head) folders under Tests/Fixtures/models and
an 8-layer Llama made here (seeded) and committed beside this script (`llama_deep`, up to 7 candidates),
one prompt at a time (transformers picks one premature layer per step for the whole batch, by the
batch mean of the divergences; one row per batch makes that the per-row choice TokenAlign makes).
`_dola_select_contrast` is wrapped so that every step's candidate logits are seen: the script
recomputes the divergences in float64 numpy, ½[KL(m‖q_N) + KL(m‖q_j)] with m = ½(q_N + q_j) over the
whole vocabulary, checks that the layer transformers contrasted with (found by matching its output
against each candidate's contrast) is their argmax, and records the layer, the divergences and the
generated ids. It also records how transformers resolves the "low" and "high" buckets for each model.

transformers applies the LM head to the raw residual stream of the premature layer (no final norm),
which TokenAlign's `layer-contrast:BUCKET/raw` reproduces.

Needs a transformers release that still has DoLa built into `generate` (4.55.4 wrote this fixture;
later releases move it to a `custom_generate` repository on the Hub): python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy torch
"transformers==4.55.4" && /tmp/venv/bin/python Tests/Fixtures/guidance/generate_dola_parity.py
Writes Tests/Fixtures/guidance/dola_parity.json.
"""
import json
import pathlib

import numpy as np
import torch
import transformers
import transformers.generation.utils as generation_utils

HERE = pathlib.Path(__file__).parent
MODELS = HERE.parent / "models"
PROMPTS = [[5, 17, 300, 42, 7], [9, 1], [100, 200, 300], [33, 250, 8, 61]]
NEW_TOKENS = 12
ALPHA = 0.1


def log_softmax(x):
    x = x - x.max()
    return x - np.log(np.exp(x).sum())


def divergence(final, premature):
    """½[KL(m‖q_N) + KL(m‖q_j)], m = ½(q_N + q_j), in float64."""
    lp, lq = log_softmax(final), log_softmax(premature)
    m = 0.5 * (np.exp(lp) + np.exp(lq))
    keep = m > 0
    return 0.5 * float(np.sum(m[keep] * (2 * np.log(m[keep]) - lp[keep] - lq[keep])))


def contrast(final, premature):
    """DoLa's scores: log q_N − log q_j where q_N ≥ α·max q_N, −inf elsewhere."""
    lp, lq = log_softmax(final), log_softmax(premature)
    out = lp - lq
    out[lp < lp.max() + np.log(ALPHA)] = -np.inf
    return out


class Spy:
    """Wraps transformers' selection: records each step's candidates, divergences and choice."""

    def __init__(self):
        self.original = generation_utils._dola_select_contrast
        self.steps = []

    def __call__(self, layers, premature_logits, final_logits):
        result = self.original(layers, premature_logits, final_logits)
        assert final_logits.shape[0] == 1, "one row per batch"
        final = final_logits[0].double().numpy()
        got = result[0].double().numpy()
        divs = [divergence(final, premature_logits[j][0].double().numpy()) for j in layers]
        # Which candidate transformers contrasted with: the one whose contrast its output equals.
        used = [j for j in layers if np.allclose(np.nan_to_num(contrast(final, premature_logits[j][0].double().numpy()), neginf=-1e30),
                                                  np.nan_to_num(got, neginf=-1e30), atol=1e-4)]
        chosen = layers[int(np.argmax(divs))]
        assert used == [chosen] or (len(layers) == 1 and used == layers), (layers, divs, used)
        ordered = sorted(divs, reverse=True)
        self.steps.append({"candidates": list(layers), "divergences": divs, "selected": chosen,
                           "margin": ordered[0] - ordered[1] if len(divs) > 1 else None})
        return result

    def __enter__(self):
        generation_utils._dola_select_contrast = self
        return self

    def __exit__(self, *exc):
        generation_utils._dola_select_contrast = self.original


def generate(model, prompt, dola_layers):
    with Spy() as spy:
        out = model.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                             do_sample=False, dola_layers=dola_layers, repetition_penalty=1.0,
                             max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS)
    return out[0, len(prompt):].tolist(), spy.steps


DEEP = HERE / "llama_deep"


def deep_model():
    """An 8-layer Llama (random weights, seeded, large init so layers disagree), saved once beside
    this script: the 2-layer fixtures give DoLa at most two candidate layers, this one up to eight."""
    if not (DEEP / "model.safetensors").exists():
        torch.manual_seed(8)
        config = transformers.LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=8,
                                          num_attention_heads=2, num_key_value_heads=1, head_dim=16, max_position_embeddings=256,
                                          initializer_range=0.3, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
        transformers.LlamaForCausalLM(config).save_pretrained(DEEP, safe_serialization=True)
    return DEEP


def main():
    torch.manual_seed(0)
    cases = []
    buckets = {}
    deep = deep_model()
    for name, layers in [("llama", [0, 1]), ("gpt2", [0, 1]), ("llama_deep", [0, 1, 2, 3, 4, 5, 6]), ("llama_deep", [1, 3, 5])]:
        folder = deep if name == "llama_deep" else MODELS / name
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32).eval()
        model.generation_config.eos_token_id = None
        model.generation_config.pad_token_id = 0
        prompts = PROMPTS if name != "llama_deep" else [[p % 64 for p in prompt] for prompt in PROMPTS]
        for prompt in prompts:
            tokens, steps = generate(model, prompt, layers)
            margins = [s["margin"] for s in steps]
            print(f"{name} {prompt}: {tokens} layers {[s['selected'] for s in steps]} smallest margin {min(margins):.3g}")
            cases.append({"model": name, "folder": str(folder.relative_to(HERE.parent)), "dola_layers": layers, "prompt": prompt, "tokens": tokens,
                          "selected": [s["selected"] for s in steps], "divergences": [s["divergences"] for s in steps],
                          "smallest_margin": min(margins)})
        buckets[name] = {"layers": model.config.num_hidden_layers, "tied": bool(model.config.tie_word_embeddings)}
        for bucket in ["low", "high"]:
            _, steps = generate(model, PROMPTS[0][:2], bucket)
            buckets[name][bucket] = steps[0]["candidates"]
    fixture = {"transformers": transformers.__version__, "torch": torch.__version__, "new_tokens": NEW_TOKENS,
               "cases": cases, "buckets": buckets}
    (HERE / "dola_parity.json").write_text(json.dumps(fixture, indent=1) + "\n")


if __name__ == "__main__":
    main()
