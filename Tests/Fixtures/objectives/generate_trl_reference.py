#!/usr/bin/env python3
"""Runs TRL's own loss code on the shared inputs of `objectives_reference.json` and writes
`trl_reference.json`: for every DPO `loss_type` (and MPO-style mixes), KTO and the reward trainer,
the loss, TRL's logged metrics, and the gradient of the loss with respect to the per-token policy
log-probs (or the reward-head outputs), by torch autograd in float64.

The trainers' `_compute_loss` / `compute_loss` methods are called unbound on a minimal stand-in for
the trainer (`SimpleNamespace`) and a stand-in model that returns the precomputed per-token
log-probs, so the loss arithmetic, reductions and metrics are TRL's, line for line:
  trl/trainer/dpo_trainer.py  DPOTrainer._compute_loss
  trl/trainer/kto_trainer.py  KTOTrainer._compute_loss
  trl/trainer/reward_trainer.py  RewardTrainer.compute_loss
Reference log-probs are passed as precomputed (`precompute_ref_log_probs=True` path).

Run with the venv that has trl:  .venv-bench/bin/python Tests/Fixtures/objectives/generate_trl_reference.py
"""
import json
import os
from collections import defaultdict
from types import SimpleNamespace

import numpy as np
import torch
import trl
from trl.trainer.dpo_trainer import DPOTrainer
from trl.trainer.kto_trainer import KTOTrainer
from trl.trainer.reward_trainer import RewardTrainer

HERE = os.path.dirname(os.path.abspath(__file__))
ref = json.load(open(os.path.join(HERE, "objectives_reference.json")))
inp = ref["inputs"]
P, T, V = inp["P"], inp["T"], inp["V"]
B = 2 * P
DT = torch.float64

mask = np.array(inp["mask"], dtype=np.float64).reshape(B, T)
labels = np.array(inp["labels"]).reshape(B, T)


def log_softmax(z):
    m = z.max(-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(-1, keepdims=True))


def token_logps(name):
    z = np.array(inp[name], dtype=np.float64).reshape(B, T, V)
    return np.take_along_axis(log_softmax(z), labels[..., None], -1)[..., 0] * mask


policy_tok = token_logps("policy_logits")
ref_tok = token_logps("reference_logits")


class Accelerator:
    device = torch.device("cpu")

    @staticmethod
    def gather_for_metrics(x):
        return x

    @staticmethod
    def gather(x):
        return x


def stand_in(**attrs):
    ns = SimpleNamespace(
        model=SimpleNamespace(training=False),
        accelerator=Accelerator(),
        aux_loss_enabled=False,
        _metrics={"train": defaultdict(list), "eval": defaultdict(list)},
        _total_train_tokens=0,
        _tp_size=1,
    )
    for k, v in attrs.items():
        setattr(ns, k, v)
    return ns


class Model:
    """Returns the per-token log-probs it was built with, as TRL's fused LM head would."""

    def __init__(self, log_probs):
        self.log_probs = log_probs

    def __call__(self, **kwargs):
        n, t = self.log_probs.shape
        return SimpleNamespace(
            log_probs=self.log_probs,
            entropy=torch.zeros(n, t, dtype=DT),
            mean_logits=torch.zeros(n, t, dtype=DT),
            is_top1=torch.zeros(n, t, dtype=torch.bool),
        )


def dpo_inputs():
    completion_mask = torch.zeros(B, T + 1, dtype=torch.long)
    completion_mask[:, 1:] = torch.tensor(mask, dtype=torch.long)
    rs = torch.tensor(ref_tok.sum(1), dtype=DT)
    return {
        "input_ids": torch.ones(B, T + 1, dtype=torch.long),
        "attention_mask": torch.ones(B, T + 1, dtype=torch.long),
        "completion_mask": completion_mask,
        "ref_chosen_logps": rs[:P],
        "ref_rejected_logps": rs[P:],
    }


def run_dpo(loss_types, weights, beta, label_smoothing=0.0, discopop_tau=0.05):
    lp = torch.tensor(policy_tok, dtype=DT, requires_grad=True)
    trainer = stand_in(
        ld_alpha=None, precompute_ref_logps=True, f_divergence_type="reverse_kl", loss_types=loss_types,
        loss_weights=weights, beta=beta, label_smoothing=label_smoothing, use_weighting=False,
        args=SimpleNamespace(discopop_tau=discopop_tau),
    )
    loss = DPOTrainer._compute_loss(trainer, Model(lp), dpo_inputs(), False)
    loss.backward()
    metrics = {k: float(v[-1]) for k, v in trainer._metrics["eval"].items() if k.startswith(("rewards/", "logps/"))}
    return {"loss": float(loss.detach()), "metrics": metrics, "grad_wrt": "policy_logps", "grad": lp.grad.reshape(-1).tolist(),
            "params": {"loss_type": loss_types, "loss_weights": weights, "beta": beta,
                       "label_smoothing": label_smoothing, "discopop_tau": discopop_tau}}


def run_kto(loss_type, beta, wd=1.0, wu=1.0):
    lp = torch.tensor(policy_tok, dtype=DT, requires_grad=True)
    kl_policy = torch.tensor(inp["kl_policy_logps"], dtype=DT)
    trainer = stand_in(
        precompute_ref_logps=True, calculate_KL=(loss_type == "kto"), loss_type=loss_type, beta=beta,
        desirable_weight=wd, undesirable_weight=wu,
        _compute_kl_logps=(lambda model, batch: kl_policy if loss_type == "kto" else None),
    )
    completion_mask = torch.zeros(B, T + 1, dtype=torch.long)
    completion_mask[:, 1:] = torch.tensor(mask, dtype=torch.long)
    batch = {
        "input_ids": torch.ones(B, T + 1, dtype=torch.long),
        "attention_mask": torch.ones(B, T + 1, dtype=torch.long),
        "completion_mask": completion_mask,
        "label": torch.tensor(inp["desirable"]),
        "ref_logps": torch.tensor(ref_tok.sum(1), dtype=DT),
        "ref_KL_logps": torch.tensor(inp["kl_reference_logps"], dtype=DT),
    }
    loss = KTOTrainer._compute_loss(trainer, Model(lp), batch, False)
    loss.backward()
    metrics = {k: float(v[-1]) for k, v in trainer._metrics["eval"].items() if k.startswith(("rewards/", "logps/")) or k == "kl"}
    return {"loss": float(loss.detach()), "metrics": metrics, "grad_wrt": "policy_logps", "grad": lp.grad.reshape(-1).tolist(),
            "params": {"loss_type": loss_type, "beta": beta, "desirable_weight": wd, "undesirable_weight": wu}}


def run_reward(center):
    scores = np.array(inp["scores"], dtype=np.float64).reshape(B, T)
    last = [int(np.nonzero(mask[b])[0][-1]) for b in range(B)]
    r = torch.tensor([scores[b, last[b]] for b in range(B)], dtype=DT).reshape(B, 1).requires_grad_(True)
    trainer = stand_in(args=SimpleNamespace(center_rewards_coefficient=center))

    class RM:
        def __call__(self, **kwargs):
            return SimpleNamespace(logits=r)

    inputs = {"input_ids": torch.ones(B, T, dtype=torch.long), "margin": torch.tensor(inp["margin"], dtype=DT)}
    loss = RewardTrainer.compute_loss(trainer, RM(), inputs)
    loss.backward()
    # The gradient w.r.t. the full score map [B, T]: nonzero only at each row's last valid token.
    g = np.zeros((B, T))
    for b in range(B):
        g[b, last[b]] = float(r.grad[b, 0])
    metrics = {k: float(v[-1]) for k, v in trainer._metrics["eval"].items() if k != "num_tokens"}
    return {"loss": float(loss.detach()), "metrics": metrics, "grad_wrt": "scores", "grad": g.reshape(-1).tolist(),
            "params": {"center_rewards_coefficient": center}}


BETA = 0.3
cases = {}
for t, eps in [("sigmoid", 0), ("hinge", 0), ("ipo", 0), ("exo_pair", 0.05), ("nca_pair", 0), ("robust", 0.1),
               ("bco_pair", 0), ("sppo_hard", 0), ("aot", 0.1), ("aot_unpaired", 0.1), ("apo_zero", 0),
               ("apo_down", 0), ("discopop", 0), ("sft", 0), ("sigmoid_norm", 0)]:
    cases[f"dpo_{t}"] = run_dpo([t], [1.0], BETA, eps)
cases["dpo_discopop_tau0.2"] = run_dpo(["discopop"], [1.0], BETA, 0, discopop_tau=0.2)
cases["dpo_mix_mpo"] = run_dpo(["sigmoid", "bco_pair", "sft"], [0.8, 0.2, 1.0], BETA)
cases["dpo_mix_robust_ipo"] = run_dpo(["robust", "ipo"], [0.5, 2.0], BETA, 0.2)
cases["kto"] = run_kto("kto", BETA)
cases["kto_weighted"] = run_kto("kto", BETA, 1.5, 0.7)
cases["kto_apo_zero_unpaired"] = run_kto("apo_zero_unpaired", BETA)
cases["reward"] = run_reward(None)
cases["reward_centered"] = run_reward(0.01)

out = {
    "fixture_version": 1,
    "generator": "Tests/Fixtures/objectives/generate_trl_reference.py",
    "trl": trl.__version__,
    "torch": torch.__version__,
    "inputs": "objectives_reference.json",
    "cases": cases,
}
path = os.path.join(HERE, "trl_reference.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=None, separators=(",", ":"))
    fh.write("\n")
print(f"wrote {path}: {len(cases)} cases (trl {trl.__version__})")
