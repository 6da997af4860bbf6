#!/usr/bin/env python3
"""Worked example of the segment reward model (Yin et al. 2025, arXiv 2501.02790) and its online
placement, computed with numpy in float64 from docs/design/rewards.md section 7, independently of
the Swift code.

Segmentation ("peak" rule): over a response's trained tokens y_0..y_{n-1} with H_j the reference's
entropy of the distribution y_j was predicted from, token t ends a segment when t = n - 1 or
H_{t+1} >= c.

Loss: S(y) = mean of the head scores at the segment ends of y;
      L = mean over pairs of softplus(-(S(y_c) - S(y_r) - mu)), mu the optional margin.
The gradient dL/ds is given in closed form and checked here against float64 central differences.

Online: segment k of K has relative position p = (k + 1) / K and bin ceil(p * bins) - 1; each bin
with >= 2 segments is normalised by its own mean and (population) standard deviation over the
batch, other bins by the whole batch's; a standard deviation below 1e-6 becomes 1. Spread "split"
puts v_k / |segment k| on every token of segment k.

One batch: P = 2 pairs, T = 7, prompts of 2 and 1 tokens (mask 0), trailing padding (mask 0).
Writes `segment_reference.json` next to this file.
"""
import json
import os

import numpy as np

rng = np.random.default_rng(2501)
P, T = 2, 7
B = 2 * P
mask = np.zeros((B, T))
for b, (lo, hi) in enumerate([(2, 7), (1, 5), (2, 6), (1, 7)]):
    mask[b, lo:hi] = 1
entropies = np.round(rng.uniform(0, 3, size=(B, T)), 3)
scores = np.round(rng.normal(size=(B, T)), 3)
margin = np.array([0.25, -0.5])


def ends_of(h, c):
    n = len(h)
    return [t for t in range(n - 1) if h[t + 1] >= c] + [n - 1]


def end_mask(c):
    out = np.zeros((B, T))
    for b in range(B):
        pos = np.nonzero(mask[b])[0]
        for k in ends_of(entropies[b, pos], c):
            out[b, pos[k]] = 1
    return out


def loss_of(s, e, mu):
    S = (s * e).sum(1) / np.maximum(e.sum(1), 1)
    d = S[:P] - S[P:] - (mu if mu is not None else 0)
    return np.mean(np.logaddexp(0, -d))


def grad_of(s, e, mu):
    counts = np.maximum(e.sum(1), 1)
    S = (s * e).sum(1) / counts
    d = S[:P] - S[P:] - (mu if mu is not None else 0)
    g = -1 / (1 + np.exp(d)) / P  # dL/dd
    coef = np.concatenate([g, -g]) / counts
    return e * coef[:, None]


cases = []
for name, c, mu in [("mixed", 1.5, None), ("mixed_margin", 1.5, margin), ("every_token", 0.0, None), ("one_segment", 1000.0, None)]:
    e = end_mask(c)
    loss = loss_of(scores, e, mu)
    grad = grad_of(scores, e, mu)
    numeric = np.zeros_like(scores)
    for i in range(B):
        for j in range(T):
            hi, lo = scores.copy(), scores.copy()
            hi[i, j] += 1e-6
            lo[i, j] -= 1e-6
            numeric[i, j] = (loss_of(hi, e, mu) - loss_of(lo, e, mu)) / 2e-6
    assert np.abs(numeric - grad).max() < 1e-8, name
    cases.append({"name": name, "threshold": c, "margin": None if mu is None else mu.tolist(),
                  "ends": e.ravel().tolist(), "loss": float(loss), "grad": grad.ravel().tolist()})

# Online placement: three completions' head scores at every token and their ends at c = 1.5.
online = []
for b in range(3):
    pos = np.nonzero(mask[b])[0]
    h = entropies[b, pos]
    s = scores[b, pos]
    online.append({"entropies": h.tolist(), "scores": s.tolist(), "ends": ends_of(h, 1.5)})
bins = 2
values = [[o["scores"][k] for k in o["ends"]] for o in online]
stats_sum, stats_sq, stats_n = np.zeros(bins), np.zeros(bins), np.zeros(bins)
for v in values:
    K = len(v)
    for k, r in enumerate(v):
        bn = int(np.ceil((k + 1) / K * bins)) - 1
        stats_sum[bn] += r
        stats_sq[bn] += r * r
        stats_n[bn] += 1
flat = np.concatenate([np.array(v) for v in values])
pooled = (flat.mean(), flat.std()) if len(flat) >= 2 else (0.0, 1.0)
for o, v in zip(online, values):
    K = len(v)
    rewards = np.zeros(len(o["scores"]))
    start = 0
    for k, (r, end) in enumerate(zip(v, o["ends"])):
        bn = int(np.ceil((k + 1) / K * bins)) - 1
        if stats_n[bn] >= 2:
            m = stats_sum[bn] / stats_n[bn]
            sd = np.sqrt(max(0.0, stats_sq[bn] / stats_n[bn] - m * m))
        else:
            m, sd = pooled
        sd = 1.0 if sd < 1e-6 else sd
        rewards[start:end + 1] = (r - m) / sd / (end + 1 - start)
        start = end + 1
    o["token_rewards"] = rewards.tolist()

out = {"P": P, "T": T, "mask": mask.ravel().tolist(), "entropies": entropies.ravel().tolist(),
       "scores": scores.ravel().tolist(), "cases": cases,
       "online": {"threshold": 1.5, "bins": bins, "completions": online}}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "segment_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
