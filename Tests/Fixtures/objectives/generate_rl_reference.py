#!/usr/bin/env python3
"""Worked numeric examples for the online-RL maths in `Sources/Objectives/RL`, computed
independently with numpy in float64 from the published formulas (PPO arXiv 1707.06347, GAE
arXiv 1506.02438, GRPO arXiv 2402.03300, Dr. GRPO arXiv 2503.20783, RLOO arXiv 2402.14740,
REINFORCE++ arXiv 2501.03262, ReMax arXiv 2310.10505, Pass@k arXiv 2503.19595, KTAE arXiv
2505.16826 (Fisher's exact test by SciPy), GTPO / GRPO-S arXiv 2508.04349, MA-RLHF arXiv
2410.02743, THR arXiv 2510.03669 (our reconstruction, docs/design/online-rl.md §13.2), EM-FT arXiv 2505.15134, DAPO arXiv
2503.14476, OREAL arXiv 2502.06781 (InternLM/OREAL:train_oreal.py), GSPO arXiv 2507.18071, GMPO arXiv 2507.20673, REINFORCE + IS arXiv 2512.01374,
RLMEC arXiv 2401.06081 (RUCAIBox/RLMEC: train/train_rlmec.py, process_data/Gen_Training_Data/gen_rlmec_data_math.py)) and
the reference code the Swift types cite (volcengine/verl:verl/trainer/ppo/core_algos.py).
Writes `rl_reference.json` next to this file:

  inputs      one batch of 6 responses in 2 groups of 3, T = 7, masks with prompt prefixes,
              trailing padding and tool-token holes; every masked entry of every per-token input
              holds a junk value (it must never be read). Stored float32-representable.
  estimators  per case: registry name, settings (config text), advantages and returns [B, T].
  thr         THR's per-token influence s, THR = A·s and dominance (|s| > tau) at the default
              settings, by the direct double sum over explicit residual vectors g = e_y - pi.
  losses      per case: registry name, settings, which advantages, the loss, its metrics, and
              d loss / d logps (and d loss / d entropy where an entropy bonus is on) by float64
              central differences (h = 1e-6). Stop-gradients are emulated by holding a frozen
              copy of the log-probs fixed while differencing the live one.
  value_loss, kl_in_reward, adaptive_kl: the remaining pieces.
  oreal       OREAL's token weights from token-RM logits (threshold and top-k rescales) and the
              token RM's sequence cross-entropy with d loss / d logits; the `oreal` loss cases read
              the weights of the default rescale from inputs.token_weights.
  rlmec_imitation  RLMEC's imitation term: token weights of corrections from the authors' prefix
              Levenshtein table and backtrace (1 on changed tokens, 0.5 elsewhere), and the weighted
              NLL with its gradient w.r.t. the target log-probs on a batch of its own.

Run:  python3 Tests/Fixtures/objectives/generate_rl_reference.py   (numpy; SciPy for KTAE)
"""
import json
import os

import numpy as np

FIXTURE_VERSION = 1
B, T = 6, 7
rng = np.random.default_rng(20250807)
JUNK = 3.75  # written into every masked position of every per-token input


def f32(x):
    return np.asarray(x, dtype=np.float32).astype(np.float64)


mask = np.array([
    [0, 1, 1, 1, 1, 1, 0],
    [1, 1, 0, 0, 1, 1, 1],   # tool-token hole at 2, 3
    [0, 0, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 1, 1],
    [0, 1, 1, 0, 1, 0, 0],   # hole at 3
    [0, 0, 0, 1, 1, 1, 0],
], dtype=np.float64)
M = mask > 0
groups = [0, 0, 0, 1, 1, 1]
lengths = mask.sum(1)


def junk(x):
    return f32(np.where(M, x, JUNK))


last = np.array([np.max(np.nonzero(mask[i])[0]) for i in range(B)])
outcome = rng.normal(size=B)
dense = rng.normal(size=(B, T)) * 0.1
rewards_clean = dense.copy()
rewards_clean[np.arange(B), last] += outcome
token_rewards = junk(rewards_clean)
values = junk(rng.normal(size=(B, T)) * 0.5)
old_logps = junk(-rng.uniform(0.2, 2.5, size=(B, T)))
delta_scale = np.array([0.3, 0.3, 2e-4, 0.15, 1e-4, 0.5])[:, None]
delta = rng.normal(size=(B, T)) * delta_scale
delta[5, 4] = 1.5  # ρ = e^1.5 ≈ 4.5 > c = 3 with A < 0 there: dual-clip binds
logps = junk(old_logps + delta)
reference_logps = junk(old_logps + rng.normal(size=(B, T)) * 0.3)
is_shift = rng.normal(size=(B, T)) * 0.3
is_shift[0, 2] = 1.0   # w = e^1 > 2
is_shift[3, 5] = 1.2
rollout_logps = junk(old_logps - is_shift)
entropies = junk(rng.uniform(0.5, 2.0, size=(B, T)))
new_values = junk(values + rng.normal(size=(B, T)) * 0.3)
reward_baselines = f32(rng.normal(size=B))
token_advantages = rng.normal(size=(B, T))
token_advantages[5, 4] = -0.8
token_advantages = junk(token_advantages)
seq_adv = rng.normal(size=B)
seq_adv[4] = -abs(seq_adv[4])
sequence_advantages = junk(np.repeat(seq_adv[:, None], T, 1))

ADV = {"token": token_advantages, "sequence": sequence_advantages}
# Sampled token ids for KTAE, from a generator of their own so the draws above are unchanged.
token_ids = np.random.default_rng(4242).integers(0, 6, size=(B, T))
# OREAL's token-RM logits, from a generator of their own too.
rm_logits = junk(np.random.default_rng(2502).normal(size=(B, T)) * 1.5)
# THR's old-policy final hidden states [B, T, C] and probability rows [B, T, V] (V covers the
# token ids), from a generator of their own; junk at masked positions.
C_HID, V_THR = 4, 6
_thr = np.random.default_rng(2510)
hidden = f32(np.where(M[..., None], _thr.normal(size=(B, T, C_HID)), JUNK))
_lg = _thr.normal(size=(B, T, V_THR)) * 1.5
_pr = np.exp(_lg - _lg.max(-1, keepdims=True))
probs = f32(np.where(M[..., None], _pr / _pr.sum(-1, keepdims=True), JUNK))


def z(x):
    """Masked entries to 0 (they are never read)."""
    return np.where(M, x, 0.0)


# ----------------------------------------------------------------------------- estimators
def whiten(x):
    """verl masked_whiten: unbiased masked variance, rsqrt(var + 1e-8)."""
    v = x[M]
    n = v.size
    mu = v.mean()
    var = ((v - mu) ** 2).mean() * (n / (n - 1))
    return z((x - mu) / np.sqrt(var + 1e-8))


def seq_rewards():
    return z(token_rewards).sum(1)


def group_rows():
    out = {}
    for i, g in enumerate(groups):
        out.setdefault(g, []).append(i)
    return list(out.values())


def per_row(a):
    return z(np.repeat(np.asarray(a, dtype=np.float64)[:, None], T, 1))


def gae(gamma=1.0, lam=0.95, whiten_adv=True):
    r, v = z(token_rewards), z(values)
    adv = np.zeros((B, T))
    for i in range(B):
        valid = [t for t in range(T) if M[i, t]]
        nxt_v, nxt_a = 0.0, 0.0
        for t in reversed(valid):
            d = r[i, t] + gamma * nxt_v - v[i, t]
            nxt_a = d + gamma * lam * nxt_a
            adv[i, t] = nxt_a
            nxt_v = v[i, t]
    ret = z(adv + v)
    return (whiten(adv) if whiten_adv else adv), ret


def grpo(scale="group", eps=1e-4):
    R = seq_rewards()
    a = np.zeros(B)
    batch_std = R.std(ddof=1)
    for rows in group_rows():
        g = R[rows]
        mean = g.mean() if len(rows) > 1 else 0.0
        std = g.std(ddof=1) if len(rows) > 1 else 1.0
        den = {"group": std + eps, "batch": batch_std + eps, "none": 1.0}[scale]
        a[rows] = (g - mean) / den
    A = per_row(a)
    return A, A


def rloo():
    R = seq_rewards()
    a = R.copy()
    for rows in group_rows():
        k = len(rows)
        if k > 1:
            for i in rows:
                a[i] = R[i] - (R[rows].sum() - R[i]) / (k - 1)   # leave-one-out, written directly
    A = per_row(a)
    return A, A


def reinforce_pp(gamma=1.0):
    r = z(token_rewards)
    ret = np.zeros((B, T))
    for i in range(B):
        g = 0.0
        for t in reversed([t for t in range(T) if M[i, t]]):
            g = r[i, t] + gamma * g
            ret[i, t] = g
    return whiten(ret), ret


def reinforce_pp_baseline():
    R = seq_rewards()
    a = R.copy()
    for rows in group_rows():
        if len(rows) > 1:
            a[rows] = R[rows] - R[rows].mean()
    A = whiten(per_row(a))
    return A, A


def remax():
    r = z(token_rewards)
    ret = np.zeros((B, T))
    for i in range(B):
        for t in range(T):
            if M[i, t]:
                ret[i, t] = r[i, t:][M[i, t:]].sum()
    adv = z(ret - reward_baselines[:, None])
    return adv, ret


def grpo_passk(scale=True, eps=1e-6):
    R = seq_rewards()
    a = np.zeros(B)
    for rows in group_rows():
        g = R[rows]
        order = np.argsort(-g, kind="stable")
        best, second = g[order[0]], g[order[1]]
        v = best - second
        if scale:
            v = v / (g.std(ddof=1) + eps)
        a[rows[order[0]]] = v
    A = per_row(a)
    return A, A


def ktae(alpha=1.0, beta=1.0, top=1.0, eps=1e-6):
    """KTAE (arXiv 2505.16826) from its formulas, Fisher's test by SciPy."""
    from scipy.stats import fisher_exact
    R = seq_rewards()
    A = np.zeros((B, T))
    for rows in group_rows():
        g = R[rows]
        base = (g - g.mean()) / (g.std(ddof=1) + eps) if len(rows) > 1 else g.copy()
        kappa = {}
        C = [i for i in rows if R[i] > 0]
        W = [i for i in rows if R[i] <= 0]
        if C and W and len(rows) > 1:
            def present(cls, v):
                return sum(1 for i in cls if any(token_ids[i, t] == v for t in range(T) if M[i, t]))
            def counts(cls):
                toks = [token_ids[i, t] for i in cls for t in range(T) if M[i, t]]
                return toks
            tc, tw = counts(C), counts(W)
            avg = (len(tc) + len(tw)) / 2
            def tf(toks, v):
                f = toks.count(v) / len(toks)
                return f * 3.0 / (f + 2.0 * (1 - 0.5 + 0.5 * len(toks) / avg))
            def ent(x, y):
                s_ = x + y
                return 0.0 if s_ == 0 else -sum(p * np.log2(p) for p in (x / s_, y / s_) if p > 0)
            for v in sorted(set(tc) | set(tw)):
                a, b_ = present(C, v), present(W, v)
                c, d = len(C) - a, len(W) - b_
                p = fisher_exact([[a, b_], [c, d]], alternative="two-sided").pvalue
                F = np.exp(-2 * p) if p != 1 else 0.0
                n = a + b_ + c + d
                ig = ent(a + c, b_ + d) - (a + b_) / n * ent(a, b_) - (c + d) / n * ent(c, d)
                h = np.arcsin(np.sqrt(a / (a + c + 1e-10))) - np.arcsin(np.sqrt(b_ / (b_ + d + 1e-10)))
                x = h + tf(tc, v) / (tf(tw, v) + 1e-5) - tf(tw, v) / (tf(tc, v) + 1e-5)
                sc = (alpha * F + beta * ig) * x / (alpha + beta)
                kappa[v] = (1 / (1 + np.exp(-sc)) - 0.5) * 2 * top
        for k, i in enumerate(rows):
            for t in range(T):
                if M[i, t]:
                    A[i, t] = base[k] + kappa.get(token_ids[i, t], 0.0)
    return A, A


def gtpo(alpha2=0.1, eps=1e-6, inv_eps=1e-6):
    """GTPO (arXiv 2508.04349): entropy shares per position among the active correct (H) and wrong
    (1/(H + 1e-6)) responses of a group, r = R + a2*share (correct) or -1 - a2*share (wrong),
    normalised over the group's trained tokens (unbiased std + eps)."""
    R, H = seq_rewards(), z(entropies)
    A = np.zeros((B, T))
    for rows in group_rows():
        if all(R[i] > 0 for i in rows) or all(R[i] <= 0 for i in rows):
            continue  # one outcome only: no advantage (as GRPO, and DAPO's dynamic sampling)
        pos = {i: [t for t in range(T) if M[i, t]] for i in rows}
        shaped = {i: np.zeros(len(pos[i])) for i in rows}
        for k in range(max(len(p) for p in pos.values())):
            for correct in (True, False):
                act = [i for i in rows if (R[i] > 0) == correct and len(pos[i]) > k]
                if not act:
                    continue
                w = np.array([H[i, pos[i][k]] if correct else 1.0 / (H[i, pos[i][k]] + inv_eps) for i in act])
                share = len(act) * w / w.sum() if w.sum() > 0 else np.ones(len(act))
                for i, sh in zip(act, share):
                    shaped[i][k] = R[i] + alpha2 * sh if correct else -1.0 - alpha2 * sh
        allv = np.concatenate([shaped[i] for i in rows])
        mu, sd = allv.mean(), allv.std(ddof=1)
        for i in rows:
            for k, t in enumerate(pos[i]):
                A[i, t] = (shaped[i][k] - mu) / (sd + eps)
    return A, A


def grpo_s(beta2=0.1, eps=1e-6, inv_eps=1e-6):
    """GRPO-S (arXiv 2508.04349): mean token entropy per response, shares within the correct
    (Hbar) and wrong (1/(Hbar + 1e-6)) sets, then GRPO on the shaped rewards."""
    R, H = seq_rewards(), z(entropies)
    hbar = np.array([H[i][M[i]].mean() if M[i].any() else 0.0 for i in range(B)])
    a = np.zeros(B)
    for rows in group_rows():
        if all(R[i] > 0 for i in rows) or all(R[i] <= 0 for i in rows):
            continue  # one outcome only: no advantage
        shaped = {}
        for correct in (True, False):
            act = [i for i in rows if (R[i] > 0) == correct]
            if not act:
                continue
            w = np.array([hbar[i] if correct else 1.0 / (hbar[i] + inv_eps) for i in act])
            share = len(act) * w / w.sum() if w.sum() > 0 else np.ones(len(act))
            for i, sh in zip(act, share):
                shaped[i] = R[i] + beta2 * sh if correct else -1.0 - beta2 * sh
        g = np.array([shaped[i] for i in rows])
        mu, sd = g.mean(), g.std(ddof=1)
        for k, i in enumerate(rows):
            a[i] = (g[k] - mu) / (sd + eps)
    A = per_row(a)
    return A, A


def ma_gae(n, gamma=1.0, lam=0.95, whiten_adv=True):
    """MA-RLHF (arXiv 2410.02743): GAE over macros of n trained tokens: rewards summed, the value
    at the macro's first token, the advantage and return shared by its tokens."""
    r, v = z(token_rewards), z(values)
    adv, ret = np.zeros((B, T)), np.zeros((B, T))
    for i in range(B):
        valid = [t for t in range(T) if M[i, t]]
        macros = [valid[k:k + n] for k in range(0, len(valid), n)]
        nxt_v, nxt_a = 0.0, 0.0
        for w in reversed(macros):
            d = sum(r[i, t] for t in w) + gamma * nxt_v - v[i, w[0]]
            nxt_a = d + gamma * lam * nxt_a
            for t in w:
                adv[i, t] = nxt_a
                ret[i, t] = nxt_a + v[i, w[0]]
            nxt_v = v[i, w[0]]
    return (whiten(adv) if whiten_adv else adv), ret


def thr_scores(beta=1.0, scale="group", eps=1e-4):
    """THR (arXiv 2510.03669, reconstructed from NTHR arXiv 2505.18830): for every trained token of
    a group with both outcomes (correct: R > 0), s = sum over the correct responses' tokens of
    <g, g'><h, h'> with g = e_y - pi written out over the vocabulary, THR = A_grpo * s, dominant
    when |s| > tau = beta * min over correct responses of their mean s."""
    R = seq_rewards()
    A = grpo(scale, eps)[0]
    s, dom, mixed = np.zeros((B, T)), np.zeros((B, T), dtype=bool), np.zeros((B, T), dtype=bool)

    def g(i, t):
        e = np.zeros(V_THR)
        e[token_ids[i, t]] = 1.0
        return e - probs[i, t]

    for rows in group_rows():
        pos = [i for i in rows if R[i] > 0]
        if not pos or len(pos) == len(rows):
            continue
        toks = [(i, t) for i in rows for t in range(T) if M[i, t]]
        ctoks = [(i, t) for i in pos for t in range(T) if M[i, t]]
        for (j, k) in toks:
            mixed[j, k] = True
            s[j, k] = sum(float(g(j, k) @ g(i, t)) * float(hidden[j, k] @ hidden[i, t]) for (i, t) in ctoks)
        tau = beta * min(np.mean([s[i, t] for t in range(T) if M[i, t]]) for i in pos if M[i].any())
        for (j, k) in toks:
            dom[j, k] = abs(s[j, k]) > tau
    return s, A * s, dom, mixed, A


def thr(p=0.1, beta=1.0, mode="reweight", scale="group", eps=1e-4):
    """A' = A (1 + p sgn THR) on dominant tokens of mixed groups; the others keep A (reweight) or
    get 0 (dominant); groups with one outcome keep GRPO's A."""
    s, th, dom, mixed, A = thr_scores(beta, scale, eps)
    out = A.copy()
    out[mixed & dom] = (A * (1 + p * np.sign(th)))[mixed & dom]
    if mode == "dominant":
        out[mixed & ~dom] = 0.0
    return out, out


estimator_cases = {
    "gae_default": ("gae", {}, gae()),
    "gae_gamma0.9_lam0.8_raw": ("gae", {"gamma": "0.9", "lam": "0.8", "whiten_advantages": "false"},
                                gae(0.9, 0.8, False)),
    "gae_lam0_raw": ("gae", {"lam": "0", "whiten_advantages": "false"}, gae(1.0, 0.0, False)),
    "grpo_group": ("grpo", {}, grpo()),
    "grpo_batch": ("grpo", {"scale_rewards": "batch"}, grpo("batch")),
    "grpo_none": ("grpo", {"scale_rewards": "none"}, grpo("none")),
    "dr_grpo": ("dr-grpo", {}, grpo("none")),
    "rloo": ("rloo", {}, rloo()),
    "reinforce_pp": ("reinforce++", {}, reinforce_pp()),
    "reinforce_pp_gamma0.9": ("reinforce_plus_plus", {"gamma": "0.9"}, reinforce_pp(0.9)),
    "reinforce_pp_baseline": ("reinforce++-baseline", {}, reinforce_pp_baseline()),
    "remax": ("remax", {}, remax()),
    "grpo_passk": ("grpo-passk", {}, grpo_passk()),
    "grpo_passk_unscaled": ("grpo-passk", {"scale_rewards": "none"}, grpo_passk(False)),
    "ktae": ("ktae", {}, ktae()),
    "gtpo": ("gtpo", {}, gtpo()),
    "gtpo_weight0.5": ("gtpo", {"entropy_weight": "0.5", "epsilon": "1e-4"}, gtpo(0.5, 1e-4)),
    "grpo_s": ("grpo-s", {}, grpo_s()),
    "grpo_s_weight0.5": ("grpo_s", {"entropy_weight": "0.5"}, grpo_s(0.5)),
    "ma_gae_ngram2": ("ma-gae", {"macro": "ngram:2"}, ma_gae(2)),
    "ma_gae_ngram3_raw": ("ma-rlhf", {"macro": "ngram:3", "gamma": "0.9", "lam": "0.8", "whiten_advantages": "false"},
                          ma_gae(3, 0.9, 0.8, False)),
    "thr_default": ("thr", {}, thr()),
    "thr_p0_is_grpo": ("thr", {"thr_p": "0"}, thr(0.0)),
    "thr_explore": ("thr", {"thr_p": "-0.5", "thr_beta": "0.5"}, thr(-0.5, 0.5)),
    "thr_dominant_exploit": ("thr", {"thr_p": "1", "thr_mode": "dominant", "scale_rewards": "none"},
                             thr(1.0, 1.0, "dominant", "none")),
    # RLMEC: the token reward itself, no critic, no baseline, no normalisation.
    "rlmec": ("rlmec", {}, (z(token_rewards), z(token_rewards))),
}
_s, _thr_values, _dom, _mixed, _ = thr_scores()
thr_reference = {"influence": _s.reshape(-1).tolist(), "thr": _thr_values.reshape(-1).tolist(),
                 "dominant": _dom.astype(int).reshape(-1).tolist(), "mixed": _mixed.astype(int).reshape(-1).tolist()}


# ----------------------------------------------------------------------------- losses
def aggregate(L, mode, lnorm=None):
    S = z(L).sum(1)
    if mode == "token-mean":
        return S.sum() / max(mask.sum(), 1)
    if mode == "seq-mean-token-sum":
        return S.sum() / B
    if mode == "seq-mean-token-mean":
        return (S / np.maximum(lengths, 1)).sum() / B
    if mode == "seq-mean-token-sum-norm":
        return S.sum() / (B * lnorm)
    raise ValueError(mode)


def kl_est(kind, lp, ref):
    d = z(lp) - z(ref)
    if kind == "k1":
        return d
    if kind == "k2":
        return 0.5 * d * d
    x = np.clip(-d, -20, 20)
    return np.clip(np.exp(x) - x - 1, -10, 10)


def mmean(x):
    return z(x).sum() / mask.sum()


def clip_metrics(low, high):
    return {"clip_ratio/low_mean": mmean(low.astype(float)), "clip_ratio/high_mean": mmean(high.astype(float)),
            "clip_ratio/region_mean": mmean((low | high).astype(float))}


def oreal_weights(logits, positive, mode="threshold", c=0.5, n=0.5):
    """p_t = sigmoid of the running mean of the RM logits over a row's trained tokens; q = p on a
    positive row, 1 - p on a negative one; threshold: clip((q - tau)/(1 - tau), 0, 1); topk: the
    int(len * ratio) largest q (ties to the earlier token) min-max scaled, the rest 0."""
    out = np.zeros((B, T))
    for i in range(B):
        idx = np.nonzero(M[i])[0]
        x = logits[i, idx]
        p = 1 / (1 + np.exp(-np.cumsum(x) / np.arange(1, len(x) + 1)))
        q = p if positive[i] else 1 - p
        tau = c if positive[i] else n
        if mode == "threshold":
            w = np.clip((q - tau) / (1 - tau), 0, 1)
        else:
            k = int(len(q) * tau)
            w = np.zeros_like(q)
            if k > 0:
                kept = np.argsort(-q, kind="stable")[:k]
                v = q[kept]
                w[kept] = (v - v.min()) / (v.max() - v.min()) if v.max() != v.min() else 1.0
        out[i, idx] = w
    return out


def rm_bce(logits, positive):
    x = z(logits).sum(1) / np.maximum(lengths, 1)
    y = np.asarray(positive, dtype=np.float64)
    return np.sum(np.logaddexp(0, x) - y * x) / B


positive_rows = seq_rewards() > 0
token_weights = junk(oreal_weights(rm_logits, positive_rows))


def oreal_pg(lp, lsg, A, s):
    pos = positive_rows[:, None] & M
    neg = (~positive_rows)[:, None] & M
    w = z(token_weights)
    npos, nneg = max(pos.sum(), 1), max(neg.sum(), 1)
    bc = s["lp"] * np.sum(np.where(pos, w * (A if s["mult"] else 1.0) * (-z(lp)), 0.0)) / npos
    rho = np.exp(np.clip(z(lp) - z(old_logps), -20, 20))
    reshaped = -s["ln"] * np.sum(np.where(neg, w * A * rho, 0.0)) / nneg
    return bc + reshaped, {"oreal/positive_loss": bc, "oreal/negative_loss": reshaped, "oreal/token_weight_mean": mmean(w)}


def ppo_pg(lp, lsg, A, s):
    el, eh = s["clip_low"], s["clip_high"]
    rho = np.exp(np.clip(z(lp) - z(old_logps), -20, 20))
    L = np.maximum(-A * rho, -A * np.clip(rho, 1 - el, 1 + eh))
    met = clip_metrics((rho < 1 - el) & (A < 0) & M, (rho > 1 + eh) & (A > 0) & M)
    if s.get("dual"):
        c = s["c"]
        L = np.where(A < 0, np.minimum(L, -A * c), L)
        met["pg_clipfrac_lower"] = mmean(((rho > c) & (A < 0)).astype(float))
    return aggregate(L, s["agg"], s.get("lnorm")), met


def gspo_pg(lp, lsg, A, s):
    el, eh = s["clip_low"], s["clip_high"]
    seq_mean = z(lsg - old_logps).sum(1) / np.maximum(lengths, 1)          # sg[log s_i]
    log_s = np.minimum(seq_mean[:, None] + z(lp) - z(lsg), 10.0)           # + ℓ − sg[ℓ]
    sr = np.exp(log_s)
    L = np.maximum(-A * sr, -A * np.clip(sr, 1 - el, 1 + eh))
    met = clip_metrics((sr < 1 - el) & (A < 0) & M, (sr > 1 + eh) & (A > 0) & M)
    return aggregate(L, s["agg"]), met


def gmpo_pg(lp, lsg, A, s):
    el, eh = s["clip_low"], s["clip_high"]
    n = np.maximum(lengths, 1)
    Abar = z(A).sum(1) / n
    d = z(lp) - z(old_logps)
    c = np.where(Abar[:, None] > 0, np.minimum(d, eh), np.where(Abar[:, None] < 0, np.maximum(d, -el), 0.0))
    rho = np.exp(z(c).sum(1) / n)
    loss = (-Abar * rho).sum() / B
    clipped = (d > eh) | (d < -el)
    met = clip_metrics(clipped & (A < 0) & M, clipped & (A > 0) & M)
    return loss, met


def reinforce_is_pg(lp, lsg, A, s):
    C = s["C"]
    logw = z(old_logps) - z(rollout_logps)
    if s["level"] == "sequence":
        logw = np.repeat(z(logw).sum(1)[:, None], T, 1)
    w = np.exp(logw)
    if s["mode"] == "truncate":
        w, dropped = np.minimum(w, C), np.zeros_like(w, dtype=bool)
    else:
        dropped = w > C
        w = np.where(dropped, 0.0, w)
    w = z(w)
    L = -z(A) * w * z(lp)
    met = {"sampling/importance_sampling_ratio/mean": mmean(w),
           "sampling/importance_sampling_ratio/max": w[M].max(),
           "sampling/importance_sampling_ratio/masked_fraction": mmean((dropped & M).astype(float))}
    return aggregate(L, s["agg"], s.get("lnorm")), met


def rlmec_pg(lp, lsg, A, s):
    """RLMEC (arXiv 2401.06081; train_rlmec.py): gradient -w_t with the held weight
    w = min(rho A, clip(rho, 1 - el, 1 + eh) A). Written as the potential -A phi(rho) whose
    derivative is that gradient: phi = rho where the bound does not bind, c (1 + log rho - log c)
    where it does (A > 0, rho > 1 + eh: c = 1 + eh; A < 0, rho < 1 - el: c = 1 - el)."""
    el, eh = s["clip_low"], s["clip_high"]
    d = np.clip(z(lp) - z(old_logps), -20, 20)
    rho = np.exp(d)
    high = (A > 0) & (rho > 1 + eh) & M
    low = (A < 0) & (rho < 1 - el) & M
    c = np.where(A > 0, 1 + eh, 1 - el)
    phi = np.where(high | low, c * (1 + d - np.log(c)), rho)
    return aggregate(-A * phi, s["agg"], s.get("lnorm")), clip_metrics(low, high)


def rlmec_authors_weight(A, el, eh):
    """The authors' held weight min(rho A, clip(rho) A) at the fixture's log-probs."""
    rho = np.exp(np.clip(z(logps) - z(old_logps), -20, 20))
    return z(np.minimum(rho * A, np.clip(rho, 1 - el, 1 + eh) * A))


PG = {"ppo": ppo_pg, "gspo": gspo_pg, "gmpo": gmpo_pg, "reinforce-is": reinforce_is_pg, "oreal": oreal_pg, "rlmec": rlmec_pg}


def total_loss(name, s, lp, lsg, A, H):
    if name == "em-ft":  # EM-FT (arXiv 2505.15134): the aggregated token entropy, no advantage
        pg, met = aggregate(H, s["agg"], s.get("lnorm")), {}
    else:
        pg, met = PG[name](lp, lsg, A, s)
    met = dict(met)
    met["pg_loss"] = pg
    met["ppo_kl"] = mmean(z(old_logps) - z(lsg))
    k = kl_est(s.get("kl_type", "k3"), lp, reference_logps)
    met["kl"] = mmean(k)
    loss = pg + s.get("beta", 0.0) * aggregate(k, s["agg"], s.get("lnorm"))
    if H is not None:
        met["entropy"] = mmean(H)
        loss = loss - s.get("c_h", 0.0) * aggregate(H, s["agg"], s.get("lnorm"))
    met["loss"] = loss
    return loss, met


def central_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g


loss_specs = {
    "ppo_default": ("ppo", {}, "token", False, dict(clip_low=0.2, clip_high=0.2, agg="token-mean")),
    "ppo_clip_higher_dual_clip": ("ppo", {"clip_ratio_high": "0.28", "dual_clip": "true"}, "token", False,
                                  dict(clip_low=0.2, clip_high=0.28, dual=True, c=3.0, agg="token-mean")),
    "ppo_grpo_seq_mean_token_mean_kl": ("ppo", {"loss_agg_mode": "seq-mean-token-mean", "kl_loss_coef": "0.04"},
                                        "sequence", False,
                                        dict(clip_low=0.2, clip_high=0.2, agg="seq-mean-token-mean", beta=0.04)),
    "ppo_dr_grpo_token_sum_norm": ("ppo", {"loss_agg_mode": "seq-mean-token-sum-norm", "loss_scale_factor": "8"},
                                   "sequence", False,
                                   dict(clip_low=0.2, clip_high=0.2, agg="seq-mean-token-sum-norm", lnorm=8.0)),
    "ppo_entropy_bonus_k2": ("vanilla", {"entropy_coeff": "0.01", "loss_agg_mode": "seq-mean-token-sum",
                                         "kl_loss_coef": "0.1", "kl_loss_type": "k2", "dual_clip": "true",
                                         "clip_ratio_c": "4"}, "token", True,
                             dict(clip_low=0.2, clip_high=0.2, dual=True, c=4.0, agg="seq-mean-token-sum",
                                  beta=0.1, kl_type="k2", c_h=0.01)),
    "ppo_kl_k1": ("ppo", {"kl_loss_coef": "0.05", "kl_loss_type": "kl"}, "token", False,
                  dict(clip_low=0.2, clip_high=0.2, agg="token-mean", beta=0.05, kl_type="k1")),
    "gspo_default": ("gspo", {}, "sequence", False, dict(clip_low=3e-4, clip_high=4e-4, agg="seq-mean-token-mean")),
    "gspo_wide_token_advantages": ("gspo", {"clip_ratio_low": "0.05", "clip_ratio_high": "0.08"}, "token", False,
                                   dict(clip_low=0.05, clip_high=0.08, agg="seq-mean-token-mean")),
    "gmpo_default": ("gmpo", {}, "sequence", False, dict(clip_low=0.4, clip_high=0.4, agg="token-mean")),
    "gmpo_tight_kl": ("geo_mean", {"clip_ratio_low": "0.1", "clip_ratio_high": "0.15", "kl_loss_coef": "0.02"},
                      "sequence", False, dict(clip_low=0.1, clip_high=0.15, agg="token-mean", beta=0.02)),
    "reinforce_is_token_truncate": ("reinforce-is", {}, "token", False,
                                    dict(C=2.0, level="token", mode="truncate", agg="seq-mean-token-sum")),
    "reinforce_is_token_mask": ("reinforce-is", {"rollout_is_mode": "mask"}, "token", False,
                                dict(C=2.0, level="token", mode="mask", agg="seq-mean-token-sum")),
    "reinforce_is_sequence_truncate": ("reinforce", {"rollout_is_level": "sequence", "loss_agg_mode": "token-mean"},
                                       "sequence", False,
                                       dict(C=2.0, level="sequence", mode="truncate", agg="token-mean")),
    "reinforce_is_sequence_mask_c1.5": ("reinforce-is", {"rollout_is_level": "sequence", "rollout_is_mode": "mask",
                                                         "rollout_is_threshold": "1.5"}, "sequence", False,
                                        dict(C=1.5, level="sequence", mode="mask", agg="seq-mean-token-sum")),
    "em_ft_default": ("em-ft", {}, "token", True, dict(agg="seq-mean-token-mean")),
    "em_ft_kl_token_mean": ("entropy-min", {"kl_loss_coef": "0.05", "loss_agg_mode": "token-mean"}, "token", True,
                            dict(agg="token-mean", beta=0.05)),
    "oreal_default": ("oreal", {}, "sequence", False, dict(lp=1.0, ln=0.5, mult=True, agg="token-mean")),
    "oreal_factors_no_adv_kl": ("oreal", {"positive_loss_factor": "2", "negative_loss_factor": "0.25", "pos_mult_adv": "false",
                                          "kl_loss_coef": "0.01"}, "sequence", False,
                                dict(lp=2.0, ln=0.25, mult=False, agg="token-mean", beta=0.01)),
    "rlmec_default": ("rlmec", {}, "token", False, dict(clip_low=0.3, clip_high=0.3, agg="token-mean")),
    "rlmec_tight_clip_kl_seq_sum": ("rlmec", {"clip_ratio_low": "0.1", "clip_ratio_high": "0.15", "kl_loss_coef": "0.05",
                                              "loss_agg_mode": "seq-mean-token-sum"}, "token", False,
                                    dict(clip_low=0.1, clip_high=0.15, agg="seq-mean-token-sum", beta=0.05)),
}

loss_cases = {}
for case, (name, settings, adv_key, with_entropy, s) in loss_specs.items():
    canonical = {"vanilla": "ppo", "geo_mean": "gmpo", "reinforce": "reinforce-is", "entropy-min": "em-ft"}.get(name, name)
    A = z(ADV[adv_key])
    H = entropies if with_entropy else None
    loss, met = total_loss(canonical, s, logps, logps, A, H)
    grad = central_grad(lambda x: total_loss(canonical, s, x, logps, A, H)[0], logps)
    grad_h = central_grad(lambda x: total_loss(canonical, s, logps, logps, A, x)[0], entropies) if with_entropy else None
    assert np.all(grad[~M] == 0), case
    c = {"loss_name": name, "settings": settings, "advantages": adv_key, "entropy": with_entropy,
         "loss": loss, "metrics": met, "grad_logps": grad.reshape(-1).tolist()}
    if grad_h is not None:
        c["grad_entropy"] = grad_h.reshape(-1).tolist()
    loss_cases[case] = c

# Sanity of the worked example: the interesting branches are exercised.
_, m = ppo_pg(logps, logps, z(token_advantages), dict(clip_low=0.2, clip_high=0.28, dual=True, c=3.0, agg="token-mean"))
assert m["pg_clipfrac_lower"] > 0 and m["clip_ratio/high_mean"] > 0 and m["clip_ratio/low_mean"] > 0, m
_, m = gspo_pg(logps, logps, z(sequence_advantages), dict(clip_low=3e-4, clip_high=4e-4, agg="seq-mean-token-mean"))
assert 0 < m["clip_ratio/region_mean"] < 1, m
_, m = gmpo_pg(logps, logps, z(sequence_advantages), dict(clip_low=0.1, clip_high=0.15))
assert 0 < m["clip_ratio/region_mean"] < 1, m
for lvl in ["token", "sequence"]:
    _, m = reinforce_is_pg(logps, logps, z(token_advantages), dict(C=2.0, level=lvl, mode="mask", agg="token-mean"))
    assert 0 < m["sampling/importance_sampling_ratio/masked_fraction"] < 1, (lvl, m)

assert positive_rows.any() and (~positive_rows).any(), positive_rows
for g in group_rows():
    assert positive_rows[g].any() and (~positive_rows[g]).any(), (g, positive_rows)
oreal = {
    "positive": positive_rows.tolist(),
    "weights": {
        "threshold_default": {"rescale": "threshold", "correct": 0.5, "incorrect": 0.5,
                              "weights": z(token_weights).reshape(-1).tolist()},
        "threshold_0.3_0.6": {"rescale": "threshold", "correct": 0.3, "incorrect": 0.6,
                              "weights": oreal_weights(rm_logits, positive_rows, "threshold", 0.3, 0.6).reshape(-1).tolist()},
        "topk_0.5_0.4": {"rescale": "topk", "correct": 0.5, "incorrect": 0.4,
                         "weights": oreal_weights(rm_logits, positive_rows, "topk", 0.5, 0.4).reshape(-1).tolist()},
    },
    "rm_loss": rm_bce(rm_logits, positive_rows),
    "grad_rm_logits": central_grad(lambda x: rm_bce(x, positive_rows), rm_logits).reshape(-1).tolist(),
}
assert 0 < np.mean(z(token_weights)[M] > 0) < 1

# RLMEC: the potential's gradient is the authors' -w (token-mean: / number of trained tokens), and
# both bounds bind somewhere in the tight case.
_A = z(token_advantages)
_g = central_grad(lambda x: rlmec_pg(x, x, _A, dict(clip_low=0.3, clip_high=0.3, agg="token-mean"))[0], logps)
assert np.allclose(_g, -rlmec_authors_weight(_A, 0.3, 0.3) / mask.sum(), atol=1e-8), "rlmec gradient"
_, m = rlmec_pg(logps, logps, _A, dict(clip_low=0.1, clip_high=0.15, agg="token-mean"))
assert m["clip_ratio/low_mean"] > 0 and m["clip_ratio/high_mean"] > 0, m


def rlmec_authors_weights(pred, fix):
    """gen_rlmec_data_*.py, in our words: prefix table f over [-1] + ids with f[0][j] = j, f[i][0] = i;
    per cell the first strictly better of: match (equal ids) from the diagonal, delete from above,
    insert from the left, substitute from the diagonal; back from the last cell while both indices
    are > 0, marking the correction token of each visited cell whose id differs from the
    prediction's there; weights 1 there and 0.5 elsewhere (the sentinel dropped)."""
    p, q = [-1] + list(pred), [-1] + list(fix)
    n, m = len(p), len(q)
    f = [[j for j in range(m)]] + [[i] + [0] * (m - 1) for i in range(1, n)]
    g = [[(0, max(0, j - 1)) for j in range(m)]] + [[(i - 1, 0)] + [(0, 0)] * (m - 1) for i in range(1, n)]
    for i in range(1, n):
        for j in range(1, m):
            best, src = 10 ** 9, (0, 0)
            if p[i] == q[j]:
                best, src = f[i - 1][j - 1], (i - 1, j - 1)
            for cost, cell in ((f[i - 1][j] + 1, (i - 1, j)), (f[i][j - 1] + 1, (i, j - 1)), (f[i - 1][j - 1] + 1, (i - 1, j - 1))):
                if cost < best:
                    best, src = cost, cell
            f[i][j], g[i][j] = best, src
    w = [0.5] * m
    i, j = n - 1, m - 1
    while i != 0 and j != 0:
        if p[i] != q[j]:
            w[j] = 1.0
        i, j = g[i][j]
    return w[1:]


# Cases where the edit is unambiguous: a substitution, an insertion, a deletion inside, two edits,
# an extra token at the end, and no change at all.
imitation_pairs = {
    "substitute": ([5, 6, 7, 8, 2], [5, 6, 9, 8, 2]),
    "insert": ([5, 6, 8, 2], [5, 6, 7, 8, 2]),
    "delete": ([5, 6, 9, 7, 8, 2], [5, 6, 7, 8, 2]),
    "two_edits": ([3, 4, 5, 6, 7, 8, 9, 2], [3, 4, 1, 6, 7, 8, 10, 11, 2]),
    "append": ([4, 5, 6, 2], [4, 5, 6, 7, 2]),
    "unchanged": ([4, 5, 6, 2], [4, 5, 6, 2]),
}
imitation_weights = {k: {"prediction": a, "correction": b, "weights": rlmec_authors_weights(a, b)} for k, (a, b) in imitation_pairs.items()}
assert imitation_weights["substitute"]["weights"] == [0.5, 0.5, 1.0, 0.5, 0.5]
assert imitation_weights["insert"]["weights"] == [0.5, 0.5, 1.0, 0.5, 0.5]
assert imitation_weights["unchanged"]["weights"] == [0.5] * 4
# A deleted token leaves none of its own: the kept token before it is marked.
assert imitation_weights["delete"]["weights"] == [0.5, 1.0, 0.5, 0.5, 0.5]

# The weighted NLL: 3 targets, T = 6, weights 1 / 0.5, junk at masked positions.
_im = np.random.default_rng(2401)
im_mask = np.array([[0, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 0, 0]], dtype=np.float64)
IM = im_mask > 0
im_logps = f32(np.where(IM, -_im.uniform(0.05, 3.0, size=im_mask.shape), JUNK))
im_weights = f32(np.where(IM, _im.choice([0.5, 1.0], size=im_mask.shape), JUNK))


def imitation_loss(lp, coef, tokens):
    return coef * np.sum(np.where(IM, im_weights * -lp, 0.0)) / tokens


imitation_cases = {}
for name, coef, tokens in [("local", 1.0, im_mask.sum()), ("global_coef0.7", 0.7, im_mask.sum() + 5)]:
    grad = central_grad(lambda x: imitation_loss(x, coef, tokens), im_logps)
    assert np.all(grad[~IM] == 0)
    imitation_cases[name] = {
        "coefficient": coef, "target_tokens": tokens, "loss": imitation_loss(im_logps, coef, tokens),
        "metrics": {"imitation/loss": imitation_loss(im_logps, coef, tokens),
                    "imitation/nll": float(np.sum(np.where(IM, -im_logps, 0.0)) / im_mask.sum()),
                    "imitation/weight_mean": float(np.sum(np.where(IM, im_weights, 0.0)) / im_mask.sum())},
        "grad_logps": grad.reshape(-1).tolist(),
    }
rlmec_imitation = {"weights": imitation_weights, "B": 3, "T": 6, "mask": im_mask.reshape(-1).tolist(),
                   "logps": im_logps.reshape(-1).tolist(), "target_weights": im_weights.reshape(-1).tolist(),
                   "cases": imitation_cases}

# ----------------------------------------------------------------------------- value loss, KL in reward, controller
gae_adv, gae_ret = gae()
gae_ret = f32(gae_ret)


def value_loss(v, eps=0.2):
    vo, g = z(values), z(gae_ret)
    vc = np.clip(z(v), vo - eps, vo + eps)
    l1, l2 = (z(v) - g) ** 2, (vc - g) ** 2
    return 0.5 * aggregate(np.maximum(l1, l2), "token-mean"), mmean((l2 > l1).astype(float))


vl, vfrac = value_loss(new_values)
value_case = {"clip_range": 0.2, "returns": gae_ret.reshape(-1).tolist(), "loss": vl,
              "metrics": {"vf_loss": vl, "vf_clipfrac": vfrac, "loss": vl},
              "grad_values": central_grad(lambda x: value_loss(x)[0], new_values).reshape(-1).tolist()}
assert 0 < vfrac < 1

kl_cases = {}
for est, beta in [("k1", 0.05), ("k2", 0.2), ("k3", 0.1)]:
    k = z(kl_est(est, old_logps, reference_logps))
    shaped = z(z(token_rewards) - beta * k)
    mean_kl = (k.sum(1) / np.maximum(lengths, 1)).mean()
    kl_cases[f"{est}_beta{beta}"] = {"estimator": est, "beta": beta, "rewards": shaped.reshape(-1).tolist(), "mean_kl": mean_kl}

ctrl = []
beta = 0.05
for kl, steps in [(0.05, 256), (0.3, 512), (0.11, 1024), (0.0, 64)]:
    err = np.clip(kl / 0.1 - 1, -0.2, 0.2)
    beta = beta * (1 + err * steps / 10000)
    ctrl.append({"kl": kl, "steps": steps, "value": beta})

# Constrained RLHF (arXiv 2310.04373), lower bounds (floors): projected dual steps
# lam <- max(0, lam - lr (J - theta)). The combined reward: generate_constrained_reference.py.
lagrange_steps = []
lam = np.array([1.0, 1.0, 0.3])
theta = np.array([0.5, -0.1, 0.2])
for J in ([0.3, 0.4, 0.25], [0.45, -0.3, 0.9], [0.7, 0.1, 0.6], [0.5, 0.2, 0.21]):
    lam = np.maximum(0.0, lam - 0.2 * (np.array(J) - theta))
    lagrange_steps.append({"means": list(J), "values": lam.tolist()})
lagrange = {"thresholds": theta.tolist(), "learning_rate": 0.2, "initial": [1.0, 1.0, 0.3], "steps": lagrange_steps}

inputs = {
    "B": B, "T": T, "groups": groups,
    "mask": mask.reshape(-1).tolist(),
    "token_rewards": token_rewards.reshape(-1).tolist(),
    "values": values.reshape(-1).tolist(),
    "old_logps": old_logps.reshape(-1).tolist(),
    "logps": logps.reshape(-1).tolist(),
    "reference_logps": reference_logps.reshape(-1).tolist(),
    "rollout_logps": rollout_logps.reshape(-1).tolist(),
    "entropies": entropies.reshape(-1).tolist(),
    "new_values": new_values.reshape(-1).tolist(),
    "reward_baselines": reward_baselines.tolist(),
    "token_advantages": token_advantages.reshape(-1).tolist(),
    "sequence_advantages": sequence_advantages.reshape(-1).tolist(),
    "token_ids": token_ids.reshape(-1).tolist(),
    "rm_logits": rm_logits.reshape(-1).tolist(),
    "token_weights": token_weights.reshape(-1).tolist(),
    "hidden_size": C_HID, "vocabulary": V_THR,
    "hidden_states": hidden.reshape(-1).tolist(),
    "probabilities": probs.reshape(-1).tolist(),
}

out = {
    "fixture_version": FIXTURE_VERSION,
    "generator": "Tests/Fixtures/objectives/generate_rl_reference.py",
    "numpy": np.__version__,
    "inputs": inputs,
    "estimators": {k: {"estimator": n, "settings": s, "advantages": a.reshape(-1).tolist(),
                       "returns": r.reshape(-1).tolist()} for k, (n, s, (a, r)) in estimator_cases.items()},
    "losses": loss_cases,
    "value_loss": value_case,
    "kl_in_reward": kl_cases,
    "adaptive_kl": {"initial": 0.05, "target": 0.1, "horizon": 10000, "updates": ctrl},
    "lagrange": lagrange,
    "oreal": oreal,
    "thr": thr_reference,
    "rlmec_imitation": rlmec_imitation,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rl_reference.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=None, separators=(",", ":"))
    fh.write("\n")
print(f"wrote {path}: {len(estimator_cases)} estimator cases, {len(loss_cases)} loss cases")
