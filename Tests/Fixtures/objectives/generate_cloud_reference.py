#!/usr/bin/env python3
"""Worked example of CLoud's stage-2 loss (Critique-out-Loud reward models, arXiv 2408.11791),
computed with numpy in float64 from docs/design/rewards.md section 11, independently of the
Swift code. The gradients are written out by hand (no autograd):

    r   = sum_t readout * s                   (the head scores s read at the end of each critique)
    nll = -sum_{b,t} m * logp / sum_{b,t} m   (logp = log_softmax(logits)[label]; m = critique tokens)
    L   = mean_p softplus(-(r_c - r_r - mu)) + lambda * nll

    dL/ds      = readout * (-sigma(-(r_c - r_r - mu)) / P)   on a chosen row, the opposite sign on its rejected row
    dL/dlogits = lambda * m * (softmax(logits) - onehot(label)) / sum m

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


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def gradients(z, s, lam, margin):
    r = (s * readout).sum(1)
    g = sigmoid(-(r[:P] - r[P:] - margin)) / P
    d_r = np.concatenate([-g, g])
    e = np.exp(z - z.max(-1, keepdims=True))
    softmax = e / e.sum(-1, keepdims=True)
    onehot = np.eye(V)[labels]
    d_z = lam * mask[..., None] * (softmax - onehot) / mask.sum()
    return d_z, readout * d_r[:, None]


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
        "grad_logits": gradients(logits, scores, lam, mu)[0].ravel().tolist(),
        "grad_scores": gradients(logits, scores, lam, mu)[1].ravel().tolist(),
    })

out = {
    "P": P, "T": T, "V": V,
    "mask": mask.ravel().tolist(), "readout": readout.ravel().tolist(), "logits": logits.ravel().tolist(),
    "labels": labels.ravel().tolist(), "scores": scores.ravel().tolist(), "cases": cases,
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cloud_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
