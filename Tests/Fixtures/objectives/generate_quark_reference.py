#!/usr/bin/env python3
"""Worked example of Quark (arXiv 2205.13636), computed with numpy in float64 from the formulas as
docs/design/online-rl.md §13.3 states them, independently of the Swift code.

Loss, token mean over the trained response tokens (mask m):
  L = sum_{b,t} m_bt (-log p_bt(y_bt) + beta * KL_bt - alpha * H_bt) / sum m
  p = softmax(policy logits) (the policy reads the prompt behind its quantile's prefix),
  q = softmax(reference logits) (the reference reads the bare prompt),
  KL_bt = sum_v p (log p - log q)  ("reverse", the reference code's)  or  sum_v q (log q - log p)  ("forward"),
  H_bt = -sum_v p log p.
The gradient w.r.t. the policy logits z is written out by hand:
  d(-log p(y))/dz = p - onehot(y)
  d KL_rev/dz     = p * (log p - log q - KL_rev)
  d KL_fwd/dz     = p - q
  d H/dz          = -p * (log p + H)
Also the pool's quantile cut (the reference code's DataPool.add): sort by reward, best first, stable;
the first floor(N/K) are the best quantile, the next floor(N/K) the second, ...; the remainder joins
the worst. Quantiles are written lowest = 0 .. best = K - 1.
Writes `quark_reference.json` next to this file.
"""
import json
import os

import numpy as np

rng = np.random.default_rng(2205)
B, T, V = 3, 4, 6
policy = rng.normal(size=(B, T, V))
reference = rng.normal(size=(B, T, V))
labels = rng.integers(0, V, size=(B, T))
mask = np.array([[0, 1, 1, 1], [0, 0, 1, 1], [1, 1, 1, 0]], dtype=float)


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def case(beta, alpha, direction):
    logp, logq = log_softmax(policy), log_softmax(reference)
    p, q = np.exp(logp), np.exp(logq)
    n = mask.sum()
    onehot = np.eye(V)[labels]
    nll = -(logp * onehot).sum(-1)
    kl_rev = (p * (logp - logq)).sum(-1)
    kl_fwd = (q * (logq - logp)).sum(-1)
    kl = kl_rev if direction == "reverse" else kl_fwd
    H = -(p * logp).sum(-1)
    loss = (mask * (nll + beta * kl - alpha * H)).sum() / n
    g_nll = p - onehot
    g_kl = p * (logp - logq - kl_rev[..., None]) if direction == "reverse" else p - q
    g_H = -p * (logp + H[..., None])
    grad = mask[..., None] * (g_nll + beta * g_kl - alpha * g_H) / n
    return {"beta": beta, "alpha": alpha, "direction": direction, "loss": loss,
            "nll": (mask * nll).sum() / n, "kl_mean": (mask * kl).sum() / n,
            "grad_logits": grad.reshape(-1).tolist()}


def quantiles(rewards, k):
    n = len(rewards)
    order = sorted(range(n), key=lambda i: -rewards[i])  # stable: ties keep pool order
    size = n // k
    out = [0] * n
    for rank, i in enumerate(order):
        from_best = k - 1 if size == 0 else min(rank // size, k - 1)
        out[i] = k - 1 - from_best
    return out


pool_rewards = [0.5, -1.0, 0.5, 2.0, 0.0, 1.5, -0.25, 0.5, 3.0, -2.0, 1.0]
fixture = {
    "generator": "Tests/Fixtures/objectives/generate_quark_reference.py",
    "B": B, "T": T, "V": V,
    "policy_logits": policy.reshape(-1).tolist(), "reference_logits": reference.reshape(-1).tolist(),
    "labels": labels.reshape(-1).tolist(), "mask": mask.reshape(-1).tolist(),
    "cases": [case(0.05, 0.06, "reverse"), case(0.3, 0.0, "forward"), case(0.0, 0.0, "reverse")],
    "pool_rewards": pool_rewards,
    "quantiles": {str(k): quantiles(pool_rewards, k) for k in (1, 3, 5, 20)},
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "quark_reference.json"), "w") as f:
    json.dump(fixture, f, indent=1)
