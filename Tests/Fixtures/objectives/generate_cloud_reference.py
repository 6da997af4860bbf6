#!/usr/bin/env python3
"""Worked example of CLoud's stage-2 loss (Critique-out-Loud reward models, arXiv 2408.11791),
computed with numpy in float64 from docs/design/rewards.md section 11, independently of the
Swift code. Every gradient is a float64 central difference of the loss written below (step 1e-6).

    r   = sum_t readout * s                   (the head scores s read at the end of each critique)
    nll = -sum_{b,t} m * logp / sum_{b,t} m   (logp = log_softmax(logits)[label]; m = critique tokens)
    L   = mean_p softplus(-(r_c - r_r - mu)) + lambda * nll

One batch: P = 2 pairs (rows 0, 1 chosen; rows 2, 3 rejected), T = 7, V = 5. Each row's mask covers
its critique only (the prompt, the response and the trailing padding are masked out); the read-out is
one-hot at each row's last critique token. Three cases: lambda = 1 without a margin, lambda = 0.3
with a margin, lambda = 0 (Bradley-Terry alone). Writes `cloud_reference.json` next to this file.
"""
import json
import os

import numpy as np

rng = np.random.default_rng(2408)
P, T, V = 2, 7, 5
B = 2 * P
mask = np.zeros((B, T))
readout = np.zeros((B, T))
for b, (lo, hi) in enumerate([(3, 6), (4, 7), (2, 5), (4, 6)]):
    mask[b, lo:hi] = 1
    readout[b, hi - 1] = 1
logits = np.round(rng.normal(size=(B, T, V)), 3)
labels = rng.integers(0, V, size=(B, T))
scores = np.round(rng.normal(size=(B, T)), 3)


def softplus(x):
    return np.logaddexp(0, x)


def token_logps(z):
    lse = np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1)) + z.max(-1)
    return np.take_along_axis(z, labels[..., None], -1)[..., 0] - lse


def cloud(z, s, lam, margin):
    r = (s * readout).sum(1)
    bt = np.mean(softplus(-(r[:P] - r[P:] - margin)))
    nll = -(token_logps(z) * mask).sum() / mask.sum()
    return bt + lam * nll


def numeric_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp = x.copy(); xp[i] += h
        xm = x.copy(); xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


cases = []
for name, lam, margin in [("lambda 1", 1.0, None), ("lambda 0.3 with margin", 0.3, [0.5, -0.2]), ("lambda 0", 0.0, None)]:
    mu = np.zeros(P) if margin is None else np.array(margin)
    f = lambda z, s: cloud(z, s, lam, mu)
    r = (scores * readout).sum(1)
    cases.append({
        "name": name, "lambda": lam, "margin": margin,
        "loss": f(logits, scores),
        "critique_nll": -(token_logps(logits) * mask).sum() / mask.sum(),
        "accuracy": float(np.mean(r[:P] > r[P:])),
        "grad_logits": numeric_grad(lambda z: f(z, scores), logits).ravel().tolist(),
        "grad_scores": numeric_grad(lambda s: f(logits, s), scores).ravel().tolist(),
    })

out = {
    "P": P, "T": T, "V": V,
    "mask": mask.ravel().tolist(), "readout": readout.ravel().tolist(), "logits": logits.ravel().tolist(),
    "labels": labels.ravel().tolist(), "scores": scores.ravel().tolist(), "cases": cases,
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cloud_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
