#!/usr/bin/env python3
"""Worked examples of the two hidden-state verifiers, computed with numpy in float64 from
docs/design/search.md (hidden-state verifiers), independently of the Swift code.

ELHSR (Guo, Wu & Yu, arXiv 2505.12225): per answer token t with features h_t (all layers
concatenated, D numbers), a_t = w_g . h_t + b_g, r_t = w_r . h_t + b_r, g_t = sigmoid(a_t),
    R = sum_t g_t r_t / max(sum_t g_t, eps),
and the loss over samples i is mean_i softplus(R_i) - y_i R_i. The gradient is taken here by
central differences in float64 (step 1e-6) of that loss, not from a hand-derived formula. An empty
answer has R = 0.

CLUE (Liang et al., arXiv 2510.01591): centroids V+ / V- are the mean activation deltas of correct /
wrong samples; d(x, V) = mean over layers of the Euclidean distance of that layer's block; the score
is d- / (d+ + d-).

Writes `hidden_verifiers_reference.json` next to this file.
"""
import json
import os

import numpy as np

rng = np.random.default_rng(2505)
EPS = 1e-6

# ELHSR: D = 4 (2 layers x 2), four samples of 2, 3, 0 and 1 tokens.
D = 4
counts = [2, 3, 0, 1]
labels = [1.0, 0.0, 1.0, 0.0]
tokens = [rng.normal(size=(n, D)).round(3) for n in counts]
theta = rng.normal(scale=0.7, size=2 * D + 2).round(3)


def rewards(th):
    wg, wr, bg, br = th[:D], th[D:2 * D], th[2 * D], th[2 * D + 1]
    out = []
    for x in tokens:
        if len(x) == 0:
            out.append(0.0)
            continue
        g = 1 / (1 + np.exp(-(x @ wg + bg)))
        r = x @ wr + br
        out.append(float((g * r).sum() / max(g.sum(), EPS)))
    return np.array(out)


def loss(th):
    R = rewards(th)
    y = np.array(labels)
    return float(np.mean(np.logaddexp(0, R) - y * R))


h = 1e-6
grad = np.zeros_like(theta)
for k in range(len(theta)):
    e = np.zeros_like(theta)
    e[k] = h
    grad[k] = (loss(theta + e) - loss(theta - e)) / (2 * h)

# CLUE: L = 2 layers, C = 3; five labelled deltas, two queries.
L, C = 2, 3
deltas = rng.normal(size=(5, L * C)).round(3)
clue_labels = [1.0, 0.0, 1.0, 0.0, 0.0]
y = np.array(clue_labels) > 0.5
success = deltas[y].mean(axis=0)
failure = deltas[~y].mean(axis=0)
queries = rng.normal(size=(2, L * C)).round(3)


def dist(x, v):
    return float(np.mean([np.linalg.norm(x[l * C:(l + 1) * C] - v[l * C:(l + 1) * C]) for l in range(L)]))


d_plus = [dist(q, success) for q in queries]
d_minus = [dist(q, failure) for q in queries]
scores = [dm / (dp + dm) for dp, dm in zip(d_plus, d_minus)]

out = {
    "elhsr": {
        "dimension": D, "counts": counts, "labels": labels,
        "tokens": [x.reshape(-1).tolist() for x in tokens], "theta": theta.tolist(),
        "rewards": rewards(theta).tolist(), "loss": loss(theta), "gradient": grad.tolist(),
    },
    "clue": {
        "layers": L, "hidden_size": C, "deltas": deltas.tolist(), "labels": clue_labels,
        "success": success.tolist(), "failure": failure.tolist(), "queries": queries.tolist(),
        "d_plus": d_plus, "d_minus": d_minus, "scores": scores,
    },
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "hidden_verifiers_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
