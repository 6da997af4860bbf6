#!/usr/bin/env python3
"""Worked examples of the three shared-trunk reward-model losses, computed with numpy in float64
from docs/design/rewards.md section 6, independently of the Swift code. Every gradient is a float64
central difference of the loss written below (step 1e-6).

HaF-RM (arXiv 2407.04185):
    r = sum_t readout * s   (the head scores s read at a one-hot position per row)
    S = sum_t mask * logp   (logp = log_softmax(logits)[label], the LM head's log-probs)
    L = mean_p softplus(-(r_c - r_r)) + alpha * mean_p softplus(-beta * ((S_c - S_r) - (R_c - R_r)))
    with R the same sum over the reference log-probs, or 0 without a reference.
GRM (arXiv 2406.10216):
    L = (1 - alpha) * mean_p softplus(-(r_c - r_r)) + alpha * mean_p reg
    reg = softplus(-beta * S_c) (sft), -S_c (nll), softplus(-beta * (S_c - S_r)) (dpo).
ODIN (arXiv 2402.07319), on the rewards r_Q, r_L of 2P responses, lengths l, head weights w_Q, w_L:
    rho(x) = sum (x - mean x)(l - mean l) / (sqrt(sum (x - mean x)^2 + 1e-8) * sqrt(sum (l - mean l)^2)),
             0 when every length is the same
    L = mean_p softplus(-(R_c - R_r)) + lam_L * ((1 - rho(r_L)) + |rho(r_Q)|) + lam_O * |cos(w_Q, w_L)|,
    R = r_Q + r_L.

One LM batch: P = 2 pairs, T = 6, V = 5, prompts masked, trailing padding masked. One ODIN batch:
P = 3 pairs, C = 4. Writes `shared_trunk_reference.json` next to this file.
"""
import json
import os

import numpy as np

rng = np.random.default_rng(2407)
P, T, V = 2, 6, 5
B = 2 * P
mask = np.zeros((B, T))
for b, (lo, hi) in enumerate([(1, 6), (2, 5), (1, 4), (2, 6)]):
    mask[b, lo:hi] = 1
readout = np.zeros((B, T))
for b, t in enumerate([4, 3, 3, 5]):
    readout[b, t] = 1
logits = np.round(rng.normal(size=(B, T, V)), 3)
labels = rng.integers(0, V, size=(B, T))
ref_logps = np.round(-rng.uniform(0.5, 2.5, size=(B, T)), 3) * mask
scores = np.round(rng.normal(size=(B, T)), 3)


def softplus(x):
    return np.logaddexp(0, x)


def seq_logps(z):
    lse = np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1)) + z.max(-1)
    lp = np.take_along_axis(z, labels[..., None], -1)[..., 0] - lse
    return (lp * mask).sum(1)


def reward_term(s):
    r = (s * readout).sum(1)
    return softplus(-(r[:P] - r[P:]))


def haf(z, s, alpha, beta, with_ref):
    S = seq_logps(z)
    R = (ref_logps * mask).sum(1) if with_ref else np.zeros(B)
    d = (S[:P] - S[P:]) - (R[:P] - R[P:])
    return np.mean(reward_term(s)) + alpha * np.mean(softplus(-beta * d))


def grm(z, s, alpha, beta, reg):
    S = seq_logps(z)
    if reg == "sft":
        r = softplus(-beta * S[:P])
    elif reg == "nll":
        r = -S[:P]
    else:
        r = softplus(-beta * (S[:P] - S[P:]))
    return (1 - alpha) * np.mean(reward_term(s)) + alpha * np.mean(r)


def numeric_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp = x.copy(); xp[i] += h
        xm = x.copy(); xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


def lm_case(name, f):
    return {
        "name": name,
        "loss": f(logits, scores),
        "grad_logits": numeric_grad(lambda z: f(z, scores), logits).ravel().tolist(),
        "grad_scores": numeric_grad(lambda s: f(logits, s), scores).ravel().tolist(),
    }


haf_cases = []
for alpha, beta, with_ref in [(0.2, 0.1, True), (0.5, 0.3, False)]:
    c = lm_case(f"haf alpha {alpha} beta {beta} ref {with_ref}", lambda z, s: haf(z, s, alpha, beta, with_ref))
    c.update(alpha=alpha, beta=beta, reference=with_ref)
    haf_cases.append(c)
grm_cases = []
for alpha, beta, reg in [(0.01, 0.1, "sft"), (0.3, 0.1, "nll"), (0.5, 0.2, "dpo")]:
    c = lm_case(f"grm {reg} alpha {alpha} beta {beta}", lambda z, s: grm(z, s, alpha, beta, reg))
    c.update(alpha=alpha, beta=beta, regularizer=reg)
    grm_cases.append(c)

# ODIN
OP, C = 3, 4
OB = 2 * OP
r_q = np.round(rng.normal(size=OB), 3)
r_l = np.round(rng.normal(size=OB), 3)
w_q = np.round(rng.normal(size=C), 3)
w_l = np.round(rng.normal(size=C), 3)


def rho(x, l):
    lc = l - l.mean()
    sl = np.sqrt((lc ** 2).sum())
    if sl == 0:
        return 0.0
    xc = x - x.mean()
    return (xc * lc).sum() / (np.sqrt((xc ** 2).sum() + 1e-8) * sl)


def odin(q, le, wq, wl, lengths, lam_l, lam_o):
    R = q + le
    rank = np.mean(softplus(-(R[:OP] - R[OP:])))
    cos = (wq * wl).sum() / (np.linalg.norm(wq) * np.linalg.norm(wl))
    return rank + lam_l * ((1 - rho(le, lengths)) + abs(rho(q, lengths))) + lam_o * abs(cos)


odin_cases = []
for name, lengths, lam_l, lam_o in [("defaults", [7, 3, 5, 2, 6, 4], 1.0, 1.0), ("weights 0.5 and 2", [5, 5, 9, 2, 3, 8], 0.5, 2.0),
                                    ("equal lengths", [4, 4, 4, 4, 4, 4], 1.0, 1.0)]:
    l = np.array(lengths, dtype=float)
    f = lambda q, le, wq, wl: odin(q, le, wq, wl, l, lam_l, lam_o)
    odin_cases.append({
        "name": name, "lengths": lengths, "length_weight": lam_l, "orthogonality_weight": lam_o,
        "loss": f(r_q, r_l, w_q, w_l),
        "rho_quality": rho(r_q, l), "rho_length": rho(r_l, l),
        "grad_quality": numeric_grad(lambda x: f(x, r_l, w_q, w_l), r_q).tolist(),
        "grad_length": numeric_grad(lambda x: f(r_q, x, w_q, w_l), r_l).tolist(),
        "grad_wq": numeric_grad(lambda x: f(r_q, r_l, x, w_l), w_q).tolist(),
        "grad_wl": numeric_grad(lambda x: f(r_q, r_l, w_q, x), w_l).tolist(),
    })

out = {
    "P": P, "T": T, "V": V,
    "mask": mask.ravel().tolist(), "readout": readout.ravel().tolist(), "logits": logits.ravel().tolist(),
    "labels": labels.ravel().tolist(), "reference_logps": ref_logps.ravel().tolist(), "scores": scores.ravel().tolist(),
    "haf": haf_cases, "grm": grm_cases,
    "odin": {"P": OP, "C": C, "quality": r_q.tolist(), "length": r_l.tolist(), "w_quality": w_q.tolist(), "w_length": w_l.tolist(),
             "cases": odin_cases},
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "shared_trunk_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
