#!/usr/bin/env python3
"""Worked numeric examples for every objective in `Sources/Objectives`, computed independently
with numpy in float64 from the formulas of docs/design/objectives.md (and the reference code
each Swift type cites). Writes `objectives_reference.json` next to this file:

  inputs   one shared batch (P = 3 preference pairs, T = 6 predicted tokens, V = 7), stored as
           float32-representable values so Swift reads exactly the same numbers;
  cases    for each objective: the loss, its metrics, and d loss / d (policy logits) (or the other
           differentiable input named in `grad_wrt`) by central differences in float64 (h = 1e-6).

Run:  python3 Tests/Fixtures/objectives/generate_objectives.py   (numpy only)
"""
import json
import os

import numpy as np

FIXTURE_VERSION = 1
P, T, V = 3, 6, 7
B = 2 * P
rng = np.random.default_rng(20240611)


def f32(x):
    return np.asarray(x, dtype=np.float32).astype(np.float64)


# ----------------------------------------------------------------------------- inputs
mask = np.array([
    [0, 1, 1, 1, 1, 0],
    [1, 1, 1, 1, 1, 1],
    [0, 0, 1, 1, 0, 0],
    [0, 0, 0, 1, 1, 0],
    [0, 1, 1, 1, 1, 1],
    [0, 0, 1, 1, 1, 0],
], dtype=np.float64)
policy_logits = f32(rng.normal(size=(B, T, V)) * 1.5)
# Rolled rows: the reference's pair margins rank differently from the policy's, so AOT's sorting matters.
reference_logits = f32(np.roll(policy_logits, 1, axis=0) + rng.normal(size=(B, T, V)) * 0.7)
labels = rng.integers(0, V, size=(B, T))
token_rm_logits = f32(reference_logits + rng.normal(size=(B, T, V)) * 0.8)
dpo_logits = f32(reference_logits + rng.normal(size=(B, T, V)) * 0.6)
reverse_dpo_logits = f32(reference_logits + rng.normal(size=(B, T, V)) * 0.6)
positive_logits = f32(rng.normal(size=(B, T, V)))
negative_logits = f32(rng.normal(size=(B, T, V)))
better_logps = f32(-rng.uniform(0.1, 3.0, size=(B, T)))
worse_logps = f32(-rng.uniform(0.1, 3.0, size=(B, T)))
segment_ids = rng.integers(0, 3, size=(B, T))
sparse_reward_mask = f32(np.where(rng.uniform(size=(B, T)) < 0.25, 0.0, rng.uniform(0.2, 1.0, size=(B, T))))
sparse_kl_mask = f32(np.where(rng.uniform(size=(B, T)) < 0.25, 0.0, rng.uniform(0.2, 1.0, size=(B, T))))
scores = f32(rng.normal(size=(B, T)))
token_targets = f32(rng.uniform(size=(B, T)))
desirable = [True, False, True, True, False, False]
kl_policy_logps = f32(rng.normal(-6, 1, size=B))
kl_reference_logps = f32(rng.normal(-7, 1, size=B))
margin = f32(rng.uniform(0, 0.5, size=P))
groups = [0, 0, 0, 1, 1, 1]
sequence_rewards = f32(rng.normal(size=B))
proposal_logps = f32(rng.normal(-3, 0.5, size=B))
sim = rng.normal(size=(V, V))
similarity = f32((sim + sim.T) / 2 + 2 * np.eye(V))
old_logps = f32(-rng.uniform(0.1, 3.0, size=(B, T)))
attention = rng.uniform(size=(2, 8, 8))
attention = f32(attention / attention.sum(-1, keepdims=True))


# ----------------------------------------------------------------------------- helpers
def log_softmax(z):
    m = z.max(-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(-1, keepdims=True))


def softmax(z):
    return np.exp(log_softmax(z))


def gather(lp, lab):
    return np.take_along_axis(lp, lab[..., None], -1)[..., 0]


def token_logps(z):
    return gather(log_softmax(z), labels) * mask


def softplus(x):
    return np.logaddexp(0, x)


def log_sigmoid(x):
    return -softplus(-x)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def split(x):
    return x[:P], x[P:]


def fwd_kl(zp, zq):
    """KL(q‖p) per position, q = softmax(zq), p = softmax(zp): [B, T], masked."""
    lq, lp = log_softmax(zq), log_softmax(zp)
    return (np.exp(lq) * (lq - lp)).sum(-1) * mask


def rev_kl(zp, logr):
    lp = log_softmax(zp)
    return (np.exp(lp) * (lp - logr)).sum(-1) * mask


lengths = np.maximum(mask.sum(1), 1)
ref_lp = token_logps(reference_logits)


def pref_metrics(cr, rr, cl, rl):
    return {
        "rewards/chosen": cr.mean(), "rewards/rejected": rr.mean(),
        "rewards/accuracies": (cr > rr).astype(float).mean(), "rewards/margins": (cr - rr).mean(),
        "logps/chosen": cl.mean(), "logps/rejected": rl.mean(),
    }


def masked_mean(w, m):
    return (w * m).sum() / m.sum()


# ----------------------------------------------------------------------------- DPO family
def dpo_family(types, beta, eps=0.0, tau=0.05, ipo_norm=True):
    def f(z):
        lp = token_logps(z)
        seq = lp.sum(1)
        rseq = ref_lp.sum(1)
        c, r = split(seq)
        rc, rr = split(rseq)
        lc, lr = split(lengths)
        cl, rl = c - rc, r - rr
        d = cl - rl
        total = 0.0
        for t, w in types:
            if t == "sigmoid":
                l = softplus(-beta * d)
            elif t == "conservative":
                l = -(1 - eps) * log_sigmoid(beta * d) - eps * log_sigmoid(-beta * d)
            elif t == "hinge":
                l = np.maximum(0, 1 - beta * d)
            elif t == "ipo":
                h = cl / lc - rl / lr if ipo_norm else d
                l = (h - 1 / (2 * beta)) ** 2
            elif t == "exo_pair":
                x = beta * d
                l = sigmoid(x) * (log_sigmoid(x) - np.log1p(-eps)) + sigmoid(-x) * (log_sigmoid(-x) - np.log(eps))
            elif t == "nca_pair":
                a, b = beta * cl, beta * rl
                l = -log_sigmoid(a) - 0.5 * log_sigmoid(-a) - 0.5 * log_sigmoid(-b)
            elif t == "robust":
                x = beta * d
                l = (-(1 - eps) * log_sigmoid(x) + eps * log_sigmoid(-x)) / (1 - 2 * eps)
            elif t == "bco_pair":
                l = -log_sigmoid(beta * cl) - log_sigmoid(-beta * rl)
            elif t == "sppo_hard":
                l = (cl - 0.5 / beta) ** 2 + (rl + 0.5 / beta) ** 2
            elif t == "aot":
                delta = np.sort(c - r) - np.sort(rc - rr)
                l = -(1 - eps) * log_sigmoid(beta * delta) - eps * log_sigmoid(-beta * delta)
            elif t == "aot_unpaired":
                delta = np.sort(cl) - np.sort(rl)
                l = -(1 - eps) * log_sigmoid(beta * delta) - eps * log_sigmoid(-beta * delta)
            elif t == "apo_zero":
                l = (1 - sigmoid(beta * cl)) + sigmoid(beta * rl)
            elif t == "apo_down":
                l = sigmoid(beta * cl) + (1 - sigmoid(beta * d))
            elif t == "discopop":
                x = beta * d
                mod = sigmoid(x / tau)
                l = softplus(-x) * (1 - mod) + np.exp(-x) * mod
            elif t == "sigmoid_norm":
                l = softplus(-beta * (cl / lc - rl / lr))
            elif t == "sft":
                mc = mask[:P]
                l = np.array([-(lp[:P] * mc).sum() / mc.sum()])
            else:
                raise ValueError(t)
            total += w * l.mean()
        return total, pref_metrics(beta * cl, beta * rl, c, r)
    return f


# ----------------------------------------------------------------------------- other objectives
def sft(reduction):
    def f(z):
        lp = token_logps(z)
        S = -lp.sum(1)
        if reduction == "tokenMean":
            loss = S.sum() / mask.sum()
        elif reduction == "seqMeanTokenMean":
            loss = (S / lengths).mean()
        elif reduction == "seqMeanTokenSum":
            loss = S.mean()
        elif reduction == "constNorm8":
            loss = S.sum() / (B * 8)
        pred = policy_logits.argmax(-1)
        acc = masked_mean((pred == labels).astype(float), mask)
        return loss, {"nll": -lp.sum() / mask.sum(), "num_tokens": mask.sum(), "mean_token_accuracy": acc}
    return f


def simpo(beta=2.0, ratio=0.25, eps=0.0, sft_weight=0.0, hinge=False):
    def f(z):
        lp = token_logps(z)
        avg = lp.sum(1) / lengths
        aw, al = split(avg)
        x = beta * (aw - al - ratio)
        l = np.maximum(0, 1 - x) if hinge else -(1 - eps) * log_sigmoid(x) - eps * log_sigmoid(-x)
        loss = l.mean()
        m = pref_metrics(beta * aw, beta * al, aw, al)
        if sft_weight > 0:
            s = -(lp[:P]).sum() / mask[:P].sum()
            loss += sft_weight * s
            m["sft_loss"] = s
        return loss, m
    return f


def kto(beta, loss_type="kto", wd=1.0, wu=1.0):
    def f(z):
        lp = token_logps(z)
        r = lp.sum(1) - ref_lp.sum(1)
        z0 = max(0.0, (kl_policy_logps - kl_reference_logps).mean()) if loss_type == "kto" else 0.0
        d = np.array(desirable)
        if loss_type == "kto":
            ld = 1 - sigmoid(beta * (r - z0))
            lu = 1 - sigmoid(beta * (z0 - r))
        else:
            ld = 1 - sigmoid(beta * r)
            lu = sigmoid(beta * r)
        loss = np.where(d, wd * ld, wu * lu).mean()
        seq = lp.sum(1)
        m = {"kl": z0, "rewards/chosen": (beta * r)[d].mean(), "rewards/rejected": (beta * r)[~d].mean(),
             "logps/chosen": seq[d].mean(), "logps/rejected": seq[~d].mean()}
        m["rewards/margins"] = m["rewards/chosen"] - m["rewards/rejected"]
        return loss, m
    return f


def last_valid_onehot():
    oh = np.zeros((B, T))
    for b in range(B):
        idx = np.nonzero(mask[b])[0]
        if len(idx):
            oh[b, idx[-1]] = 1
    return oh


def bt_rm(center):
    def f(s):
        r = (s * last_valid_onehot()).sum(1)
        rc, rr = split(r)
        loss = softplus(-(rc - rr - margin)).mean()
        if center is not None:
            loss += center * ((rc + rr) ** 2).mean()
        m = {"accuracy": (rc > rr).astype(float).mean(), "margin": (rc - rr).mean(), "min_reward": r.min(),
             "mean_reward": r.mean(), "max_reward": r.max(), "rewards/chosen": rc.mean(), "rewards/rejected": rr.mean()}
        return loss, m
    return f


def token_rm(kind):
    def f(s):
        y = token_targets
        if kind == "bce":
            l = softplus(-s) * y + softplus(s) * (1 - y)
        else:
            l = (s - y) ** 2
        m = {"mean_score": masked_mean(s, mask)}
        if kind == "bce":
            m["token_accuracy"] = masked_mean(((s > 0) == (y > 0.5)).astype(float), mask)
        return (l * mask).sum() / mask.sum(), m
    return f


def token_rm_pref(source, agg, beta=0.2):
    def f(x):
        if source == "head":
            r = x
        else:
            r = beta * (token_logps(x) - ref_lp)
        seq = (r * mask).sum(1)
        if agg == "mean":
            seq = seq / lengths
        sc, sr = split(seq)
        loss = softplus(-(sc - sr - margin)).mean()
        lseq = token_logps(policy_logits).sum(1)
        m = pref_metrics(sc, sr, lseq[:P], lseq[P:])
        m["token_rewards/mean"] = masked_mean(r, mask)
        return loss, m
    return f


def tdpo(variant, beta, alpha=0.5):
    # Forward value only; TDPO2's stop-gradient changes the gradient, not the value, so its
    # gradient is computed separately (see `tdpo2_grad`).
    def f(z):
        lp = token_logps(z)
        kl = fwd_kl(z, reference_logits)
        klw, kll = split(kl.sum(1))
        c, r = split(lp.sum(1))
        rc, rr = split(ref_lp.sum(1))
        u = (c - rc) - (r - rr)
        x = beta * (u - (kll - klw)) if variant == "tdpo1" else beta * (u - alpha * (kll - klw))
        m = pref_metrics(beta * (c - rc + klw), beta * (r - rr + kll), c, r)
        m.update({"kl/chosen": klw.mean(), "kl/rejected": kll.mean(), "kl/per_token": kl.sum() / mask.sum()})
        return softplus(-x).mean(), m
    return f


def tgdpo(beta, alpha):
    r_hat = beta * (token_logps(token_rm_logits) - ref_lp)
    w = np.concatenate([1 + alpha * r_hat[:P], 1 - alpha * r_hat[P:]]) * mask

    def f(z):
        lp = token_logps(z)
        s = ((lp - ref_lp) * w).sum(1)
        sw, sl = split(s)
        c, r = split(lp.sum(1))
        rc, rr = split(ref_lp.sum(1))
        m = pref_metrics(beta * (c - rc), beta * (r - rr), c, r)
        m["token_weights/chosen"] = masked_mean(w[:P], mask[:P])
        m["token_weights/rejected"] = masked_mean(w[P:], mask[P:])
        return softplus(-beta * (sw - sl)).mean(), m
    return f


def sparsepo(beta, lu, ld, learned=False):
    def f(z, mu=sparse_reward_mask, md=sparse_kl_mask):
        lp = token_logps(z)
        kl = fwd_kl(z, reference_logits)
        uw, ul = split(((lp - ref_lp) * mu * mask).sum(1))
        dw, dl = split((kl * md * mask).sum(1))
        x = beta * ((uw - ul) - (dl - dw))
        l = softplus(-x)
        nu = (np.abs(mu) * mask).sum(1)
        nd = (np.abs(md) * mask).sum(1)
        l = l + lu * (nu[:P] + nu[P:]) + ld * (nd[:P] + nd[P:])
        c, r = split(lp.sum(1))
        m = pref_metrics(beta * (uw + dw), beta * (ul + dl), c, r)
        m.update({"kl/chosen": kl.sum(1)[:P].mean(), "kl/rejected": kl.sum(1)[P:].mean()})
        return l.mean(), m
    return f


def critical(beta, only_neg, form, eps=0.0):
    ce = np.exp(gather(log_softmax(2 * positive_logits - negative_logits), labels))
    sw = np.ones((P, T)) if only_neg else ce[:P]
    s = np.concatenate([sw, 1 - ce[P:]]) * mask

    def f(z):
        lp = token_logps(z)
        wd = (lp - ref_lp) * s * mask
        if form == "paper":
            x = beta * (wd[:P].sum(1) - wd[P:].sum(1))
            l = -(1 - eps) * log_sigmoid(x) - eps * log_sigmoid(-x)
            loss = l.mean()
        else:
            x = beta * (wd[:P] - wd[P:])
            l = -(1 - eps) * log_sigmoid(x) - eps * log_sigmoid(-x)
            loss = l.mean()  # over P × T, padding included
        c, r = split(lp.sum(1))
        rc, rr = split(ref_lp.sum(1))
        m = pref_metrics(beta * (c - rc), beta * (r - rr), c, r)
        m["token_weights/chosen"] = masked_mean(s[:P], mask[:P])
        m["token_weights/rejected"] = masked_mean(s[P:], mask[P:])
        return loss, m
    return f


def treg(beta_seq=0.1, alpha=1.0, beta=0.1):
    d = (better_logps - worse_logps) * mask
    w = np.concatenate([sigmoid(d[:P]), sigmoid(-d[P:])]) * mask
    n = mask.sum(1, keepdims=True)
    ssum = w.sum(1, keepdims=True)
    w = w * np.where(ssum > 0, n / np.where(ssum > 0, ssum, 1), 1)
    seq = dpo_family([("sigmoid", 1.0)], beta_seq)

    def f(z):
        ls, m = seq(z)
        lp = token_logps(z)
        s = ((lp - ref_lp) * w).sum(1)
        reg = softplus(-beta * (s[:P] - s[P:])).mean()
        m = dict(m)
        m["loss/sequence"] = ls
        m["loss/regularizer"] = reg
        m["token_weights/chosen"] = masked_mean(w[:P], mask[:P])
        return ls + alpha * reg, m
    return f


def rrpo(beta, alpha):
    seg = (segment_ids > 0).astype(float) * mask

    def f(z):
        lp = token_logps(z)
        s = ((lp - ref_lp) * seg).sum(1)
        kl = fwd_kl(z, reference_logits)
        klw, kll = split(kl.sum(1))
        l = softplus(-beta * (s[:P] - s[P:])) + alpha * klw
        c, r = split(lp.sum(1))
        m = pref_metrics(beta * s[:P], beta * s[P:], c, r)
        m.update({"kl/chosen": klw.mean(), "kl/rejected": kll.mean(), "kl/per_token": kl.sum() / mask.sum()})
        return l.mean(), m
    return f


def aligndistil(mode, beta, beta2, tau=1.0, reduction="seqMeanTokenMean"):
    m3 = mask[..., None]
    zp, zm = dpo_logits * m3, reverse_dpo_logits * m3
    if mode in ("theorem1", "theorem1Contrast"):
        k = beta / beta2
        w = np.full((B, T), k)
        c = np.full((B, T), beta2)
        zs = k * zp + (1 - k) * zm if mode == "theorem1" else zp + k * (zp - zm)
    else:
        tvd = np.abs(softmax(zp) - softmax(zm)).sum(-1)
        w = beta2 * tvd + 1e-3
        c = beta / w
        zs = w[..., None] * zp + (1 - w[..., None]) * zm if mode == "theorem1Adaptive" else zp + w[..., None] * (zp - zm)
    logr = log_softmax(zs / tau)

    def f(z):
        kl = rev_kl(z, logr)
        per = kl * c * mask
        loss = (per.sum(1) / lengths).mean() if reduction == "seqMeanTokenMean" else per.sum(1).mean()
        lp = log_softmax(z)
        p = np.exp(lp)
        m = {"kl/teacher": masked_mean(rev_kl(z, log_softmax(zp)), mask),
             "kl/reference": masked_mean(rev_kl(z, log_softmax(zm)), mask),
             "mean_weight": masked_mean(w, mask),
             "expected_reward": ((p * (log_softmax(zp) - log_softmax(zm))).sum(-1) * beta * mask).sum(1).mean()}
        return loss, m
    return f


def token_smoothing(kind, mle_weight):
    if kind == "similarity":
        tau = 0.5
        q = softmax(similarity[labels] / tau)
    else:
        eps = 0.1
        q = np.eye(V)[labels] * (1 - eps) + eps / V

    def f(z):
        lp = log_softmax(z)
        smooth = -(q * lp).sum(-1)
        nll = -gather(lp, labels)
        per = (1 - mle_weight) * smooth + mle_weight * nll
        return (per * mask).sum() / mask.sum(), {"nll": (nll * mask).sum() / mask.sum(), "smoothed_ce": masked_mean(smooth, mask)}
    return f


def raml(tau, weighting, length_norm=False):
    g = np.array(groups)
    if weighting == "exponentiatedPayoff":
        logits = sequence_rewards / tau - proposal_logps
    else:
        logits = np.zeros(B)
    w = np.zeros(B)
    for k in set(groups):
        idx = g == k
        e = np.exp(logits[idx] - logits[idx].max())
        w[idx] = e / e.sum()

    def f(z):
        seq = token_logps(z).sum(1)
        if length_norm:
            seq = seq / lengths
        ent = -(w * np.log(w)).sum() / len(set(groups))
        return -(seq * w).sum() / len(set(groups)), {"weights/entropy": ent}
    return f


# ----------------------------------------------------------------------------- gradients
def fd_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    flat = x.reshape(-1)
    gf = g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        lp = f(x)[0]
        flat[i] = old - h
        lm = f(x)[0]
        flat[i] = old
        gf[i] = (lp - lm) / (2 * h)
    return g


def tdpo2_grad(beta, alpha):
    """TDPO2 with the stop-gradient: differentiate with the chosen SeqKL frozen at its value."""
    kl0 = fwd_kl(policy_logits, reference_logits).sum(1)[:P].copy()

    def f(z):
        lp = token_logps(z)
        kl = fwd_kl(z, reference_logits)
        kll = kl.sum(1)[P:]
        c, r = split(lp.sum(1))
        rc, rr = split(ref_lp.sum(1))
        u = (c - rc) - (r - rr)
        return (softplus(-beta * (u - alpha * (kll - kl0))).mean(),)
    return fd_grad(f, policy_logits.copy())


cases = {}


def add(name, f, grad_wrt="policy_logits", x=None, grad=None, params=None):
    x = policy_logits if x is None else x
    loss, metrics = f(x.copy())
    if grad is None:
        grad = fd_grad(lambda y: f(y), x.copy())
    cases[name] = {
        "params": params or {},
        "loss": float(loss),
        "metrics": {k: float(v) for k, v in metrics.items()},
        "grad_wrt": grad_wrt,
        "grad": [float(v) for v in grad.reshape(-1)],
    }


BETA = 0.3
for t, eps in [("sigmoid", 0), ("hinge", 0), ("ipo", 0), ("exo_pair", 0.05), ("nca_pair", 0), ("robust", 0.1),
               ("bco_pair", 0), ("sppo_hard", 0), ("aot", 0.1), ("aot_unpaired", 0.1), ("apo_zero", 0),
               ("apo_down", 0), ("discopop", 0), ("sigmoid_norm", 0), ("conservative", 0.1)]:
    add(f"dpo_{t}", dpo_family([(t, 1.0)], BETA, eps), params={"beta": BETA, "label_smoothing": eps})
add("dpo_ipo_sums", dpo_family([("ipo", 1.0)], BETA, ipo_norm=False), params={"beta": BETA})
add("dpo_mix_mpo", dpo_family([("sigmoid", 0.8), ("bco_pair", 0.2), ("sft", 1.0)], BETA), params={"beta": BETA})

for red in ["tokenMean", "seqMeanTokenMean", "seqMeanTokenSum", "constNorm8"]:
    add(f"sft_{red}", sft(red))
add("simpo", simpo())
add("simpo_smoothed_sft", simpo(beta=2.5, ratio=0.55, eps=0.1, sft_weight=0.5))
add("simpo_hinge", simpo(beta=0.5, ratio=0.3, hinge=True))
add("kto", kto(BETA), params={"beta": BETA})
add("kto_weighted", kto(BETA, wd=1.5, wu=0.7), params={"beta": BETA})
add("kto_apo_zero_unpaired", kto(BETA, loss_type="apo_zero_unpaired"), params={"beta": BETA})
add("bt_rm", bt_rm(None), grad_wrt="scores", x=scores)
add("bt_rm_centered", bt_rm(0.01), grad_wrt="scores", x=scores)
add("token_rm_bce", token_rm("bce"), grad_wrt="scores", x=scores)
add("token_rm_mse", token_rm("mse"), grad_wrt="scores", x=scores)
add("token_rm_pref_head_sum", token_rm_pref("head", "sum"), grad_wrt="scores", x=scores)
add("token_rm_pref_implicit_mean", token_rm_pref("implicit", "mean"))
add("tdpo1", tdpo("tdpo1", BETA), params={"beta": BETA})
add("tdpo2", tdpo("tdpo2", BETA, 0.5), grad=tdpo2_grad(BETA, 0.5), params={"beta": BETA, "alpha": 0.5})
add("tgdpo", tgdpo(BETA, 0.5), params={"beta": BETA, "alpha": 0.5})
add("sparsepo", sparsepo(BETA, 0.01, 0.02), params={"beta": BETA, "l1_reward": 0.01, "l1_kl": 0.02})
add("sparsepo_reward_mask_grad", lambda mu: sparsepo(BETA, 0.01, 0.02)(policy_logits, mu=mu), grad_wrt="sparse_reward_mask",
    x=sparse_reward_mask)
add("cdpo_critical_paper", critical(BETA, True, "paper"), params={"beta": BETA})
add("cdpo_critical_paper_both", critical(BETA, False, "paper", eps=0.1), params={"beta": BETA})
add("cdpo_critical_code", critical(BETA, True, "code"), params={"beta": BETA})
add("treg", treg())
add("rrpo", rrpo(BETA, 0.05), params={"beta": BETA, "alpha": 0.05})
for mode, b2 in [("theorem1", 0.5), ("theorem1Contrast", 0.5), ("theorem1Adaptive", 0.4), ("alignDistil", 10.0)]:
    add(f"aligndistil_{mode}", aligndistil(mode, 0.1, b2), params={"beta": 0.1, "beta2": b2})
add("aligndistil_seqsum_tau", aligndistil("alignDistil", 0.1, 10.0, tau=0.8, reduction="seqMeanTokenSum"))
add("token_smoothing_similarity", token_smoothing("similarity", 0.3))
add("token_smoothing_uniform", token_smoothing("uniform", 0.0))
add("raml_payoff", raml(0.5, "exponentiatedPayoff"))
add("raml_uniform_lengthnorm", raml(0.5, "uniform", length_norm=True))

# ----------------------------------------------------------------------------- reward read-outs
dpo_lp = token_logps(dpo_logits)
implicit = 0.1 * (dpo_lp - ref_lp) * mask
rto = np.clip(0.05 * (dpo_lp - ref_lp), -0.05, 0.05) - 0.01 * (old_logps - ref_lp) \
    + np.clip(sequence_rewards, -10, 10)[:, None] * last_valid_onehot()
rto = rto * mask
ce = np.exp(gather(log_softmax(2 * positive_logits - negative_logits), labels))
abc_w = attention.mean(0)[7, 2:8]
abc_w = abc_w / abc_w.sum()
abc_r = 0.8 * 1.7 * abc_w
abc_r[-1] += 0.2 * 1.7
rewards = {
    "implicit_token_rewards": implicit.reshape(-1).tolist(),
    "implicit_prefix_returns": np.cumsum(implicit, 1).reshape(-1).tolist(),
    "rto_token_rewards": rto.reshape(-1).tolist(),
    "critical_scores": ce.reshape(-1).tolist(),
    "abc_weights": abc_w.tolist(),
    "abc_rewards_R1.7_beta0.8": abc_r.tolist(),
}

inputs = {
    "P": P, "T": T, "V": V,
    "mask": mask.reshape(-1).tolist(),
    "labels": labels.reshape(-1).tolist(),
    "policy_logits": policy_logits.reshape(-1).tolist(),
    "reference_logits": reference_logits.reshape(-1).tolist(),
    "token_rm_logits": token_rm_logits.reshape(-1).tolist(),
    "dpo_logits": dpo_logits.reshape(-1).tolist(),
    "reverse_dpo_logits": reverse_dpo_logits.reshape(-1).tolist(),
    "positive_logits": positive_logits.reshape(-1).tolist(),
    "negative_logits": negative_logits.reshape(-1).tolist(),
    "better_logps": better_logps.reshape(-1).tolist(),
    "worse_logps": worse_logps.reshape(-1).tolist(),
    "segment_ids": segment_ids.reshape(-1).tolist(),
    "sparse_reward_mask": sparse_reward_mask.reshape(-1).tolist(),
    "sparse_kl_mask": sparse_kl_mask.reshape(-1).tolist(),
    "scores": scores.reshape(-1).tolist(),
    "token_targets": token_targets.reshape(-1).tolist(),
    "desirable": desirable,
    "kl_policy_logps": kl_policy_logps.tolist(),
    "kl_reference_logps": kl_reference_logps.tolist(),
    "margin": margin.tolist(),
    "groups": groups,
    "sequence_rewards": sequence_rewards.tolist(),
    "proposal_logps": proposal_logps.tolist(),
    "similarity": similarity.reshape(-1).tolist(),
    "old_logps": old_logps.reshape(-1).tolist(),
    "attention": attention.reshape(-1).tolist(),
}

out = {
    "fixture_version": FIXTURE_VERSION,
    "generator": "Tests/Fixtures/objectives/generate_objectives.py",
    "numpy": np.__version__,
    "inputs": inputs,
    "cases": cases,
    "rewards": rewards,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "objectives_reference.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=None, separators=(",", ":"))
    fh.write("\n")
print(f"wrote {path}: {len(cases)} cases")
