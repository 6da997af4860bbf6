"""Worked example of the Bradley–Terry loss with margins and ties (tie_reference.json).

A tie pair (RRM's neutral pairs, arXiv 2409.13156) has the target P(chosen > rejected) = 1/2, so its
term is the cross-entropy against 1/2:  -1/2 log sigma(d) - 1/2 log sigma(-d),  d = r_c - r_r (its
margin ignored).  Other pairs:  -log sigma(d - mu)  (TRL's margin column).  Optional centring
lambda_c * mean (r_c + r_r)^2.  The loss is the mean over pairs; the gradient w.r.t. r_c and r_r is a
float64 central difference.  numpy only; deterministic.

    python3 Tests/Fixtures/objectives/generate_tie_reference.py
"""
import json
import os

import numpy as np


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def loss(rc, rr, margin, tie, center):
    d = rc - rr
    per = np.where(tie == 1, -0.5 * log_sigmoid(d) - 0.5 * log_sigmoid(-d), -log_sigmoid(d - margin))
    out = per.mean()
    if center is not None:
        out += center * ((rc + rr) ** 2).mean()
    return out


def grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        up, dn = x.copy(), x.copy()
        up[i] += eps
        dn[i] -= eps
        g[i] = (f(up) - f(dn)) / (2 * eps)
    return g


rng = np.random.default_rng(20261206)
P = 5
rc = rng.normal(size=P)
rr = rng.normal(size=P)
margin = np.array([0.0, 0.5, 1.25, 0.0, 0.7])
tie = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
cases = {}
for name, m, t, c in [("plain", np.zeros(P), np.zeros(P), None),
                      ("margin", margin, np.zeros(P), None),
                      ("ties", np.zeros(P), tie, None),
                      ("margin_ties_centered", margin, tie, 0.01),
                      ("all_ties", np.zeros(P), np.ones(P), None)]:
    cases[name] = {
        "margin": m.tolist(), "tie": t.tolist(), "center": c,
        "loss": float(loss(rc, rr, m, t, c)),
        "grad_chosen": grad(lambda x: loss(x, rr, m, t, c), rc).tolist(),
        "grad_rejected": grad(lambda x: loss(rc, x, m, t, c), rr).tolist(),
    }
# A tie's term is minimised at d = 0 (value log 2) and symmetric in the order of the two responses.
assert abs(loss(np.zeros(1), np.zeros(1), np.zeros(1), np.ones(1), None) - np.log(2)) < 1e-12
assert abs(loss(rc, rr, np.zeros(P), np.ones(P), None) - loss(rr, rc, np.zeros(P), np.ones(P), None)) < 1e-12
out = {"chosen": rc.tolist(), "rejected": rr.tolist(), "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tie_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", path)
