#!/usr/bin/env python3
"""Worked example of constrained RLHF (Safe RLHF arXiv 2310.12773; Moskovitz et al. arXiv
2310.04373) over four rollout batches, computed with numpy in float64 from the formulas as
docs/design/online-rl.md states them, independently of the Swift code:

  per token   r~_t = (sum_k w_k r^k_t + sum_j s_j lam_j c^j_t) / (1 + sum_j lam_j)
              s_j = -1 for an upper bound (a cost, mean <= threshold), +1 for a lower bound
  per batch   J_j = mean over completions of sum_t c^j_t (with the batch's own lam)
              lam_j <- max(0, lam_j + lr * g_j), g_j = J_j - theta_j (upper), theta_j - J_j (lower)

Two task rewards (weights 1 and 0.5) and two constraints: a cost with budget 0.25 and a floor at
0.5. Each batch is three completions of lengths 3, 1 and 2; the token rewards are multiples of
1/8 (exact in float32). The cost starts violated, becomes satisfied and its multiplier is
projected to exactly 0; the floor stays violated, so its multiplier keeps growing.
Writes `constrained_reference.json` next to this file.
"""
import json
import os

import numpy as np

lengths = [3, 1, 2]
weights = np.array([1.0, 0.5])
thresholds = np.array([0.25, 0.5])
bounds = ["upper", "lower"]
signs = np.array([-1.0, 1.0])
lr = 0.5
lam = np.array([1.0, 1.0])
rng = np.random.default_rng(13)


def rows(scale):
    """Token rewards of the batch: multiples of 1/8 in [-scale, scale]."""
    return [list(rng.integers(-8 * scale, 8 * scale + 1, size=n) / 8.0) for n in lengths]


steps = []
for s in range(4):
    task = [rows(1), rows(1)]
    # The cost's level (added on each completion's last token) falls over the batches, as when the
    # policy learns to avoid it; the floor's stays low.
    cost = rows(0.25)
    for row in cost:
        row[-1] += [0.5, 0.25, -2.0, -1.0][s]
    floor = rows(0.25)
    constraint = [cost, floor]
    mixed = []
    for i, n in enumerate(lengths):
        num = sum(weights[k] * np.array(task[k][i]) for k in range(2))
        num = num + sum(signs[j] * lam[j] * np.array(constraint[j][i]) for j in range(2))
        mixed.append((num / (1.0 + lam.sum())).tolist())
    means = np.array([np.mean([sum(r) for r in constraint[j]]) for j in range(2)])
    lam_used = lam.copy()
    g = np.where(signs < 0, means - thresholds, thresholds - means)
    lam = np.maximum(0.0, lam + lr * g)
    steps.append({"task": task, "constraints": constraint, "lambda_used": lam_used.tolist(), "mixed": mixed,
                  "means": means.tolist(), "lambda_after": lam.tolist()})

out = {"lengths": lengths, "weights": weights.tolist(), "thresholds": thresholds.tolist(), "bounds": bounds,
       "learning_rate": lr, "initial": 1.0, "steps": steps}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "constrained_reference.json"), "w") as fh:
    json.dump(out, fh, indent=None, separators=(",", ":"))
