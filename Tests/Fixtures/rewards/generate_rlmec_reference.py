#!/usr/bin/env python3
"""Worked example of RLMEC's token reward (Chen et al. 2024, arXiv 2401.06081), computed with numpy
in float64 from docs/design/rewards.md section 10, independently of the Swift code.

The rewriter's logits at the rows that predict a sampled solution's tokens (one row per token) give
p_t = softmax(logits_t)[y_t]; the reward is
    r_t = clip(p_t - 0.5, 0, 0.5)    for a correct solution,
    r_t = clip(p_t - 0.5, -0.1, 0)   for a wrong one.
Logits are scaled so the probabilities cover both clip bounds and the interior of both ranges.

Writes `rlmec_reference.json` next to this file.
"""
import json
import os

import numpy as np

rng = np.random.default_rng(2401)
V = 6
cases = []

def interior(targets):
    """Logits whose softmax gives token 0 exactly each target probability (the rest shared)."""
    rows = []
    for q in targets:
        probs = np.full(V, (1 - q) / (V - 1))
        probs[0] = q
        rows.append(np.log(probs) + rng.normal())
    return np.array(rows), np.zeros(len(targets), dtype=int)


for correct, T in [(True, 5), (False, 6), (True, 3), (False, 4), (False, 3), (True, 3)]:
    logits = rng.normal(size=(T, V)) * 2.5
    tokens = rng.integers(0, V, size=T)
    # Make some tokens the clear favourite (p near 1) so both ranges are exercised.
    for t in range(0, T, 2):
        logits[t, tokens[t]] += 4.0
    if len(cases) >= 4:
        # Probabilities inside the wrong range's open interval (0.4, 0.5) and the correct range's.
        logits, tokens = interior([0.42, 0.47, 0.55] if not correct else [0.52, 0.75, 0.99])
    logits = logits.astype(np.float32).astype(np.float64)  # the values the JSON holds
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    pt = p[np.arange(T), tokens]
    lo, hi = (0.0, 0.5) if correct else (-0.1, 0.0)
    rewards = np.clip(pt - 0.5, lo, hi)
    cases.append({
        "correct": correct,
        "logits": logits.astype(np.float32).tolist(),
        "tokens": tokens.tolist(),
        "probabilities": pt.tolist(),
        "rewards": rewards.tolist(),
    })

out = {"vocabulary": V, "offset": 0.5, "correct_range": [0.0, 0.5], "wrong_range": [-0.1, 0.0], "cases": cases}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "rlmec_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
