#!/usr/bin/env python3
"""Anchors the online-RL maths of `Sources/Objectives/RL` to verl's and TRL's OWN functions: one set of
fixed inputs, each function called once, the outputs written to `rl_anchor.json` next to this file
(read by `Tests/ObjectivesTests/RLAnchorTests.swift`). `generate_rl_reference.py` is the independent
numpy re-derivation; this file calls the upstream code itself and re-implements nothing of verl.

verl (volcengine/verl, the version is recorded in the JSON; 0.9.1 when this was written) is not
installed: its wheel is downloaded without dependencies and unpacked into a scratch folder SRC,
and the script imports `verl.trainer.ppo.core_algos` and `verl.trainer.ppo.rollout_corr_helper`
from there (DL and SRC are any two empty folders):

    .venv-bench/bin/pip download --no-deps verl==0.9.1 -d DL
    python3 -m zipfile -e DL/verl-0.9.1-py3-none-any.whl SRC
    .venv-bench/bin/pip install omegaconf        # core_algos imports omegaconf.DictConfig
    .venv-bench/bin/python Tests/Fixtures/objectives/generate_rl_anchor.py --verl SRC

What is stubbed in `sys.modules` (nothing that computes a number):
  * `verl` itself is registered as a bare package pointing at the unpacked folder, so that
    `verl/__init__.py` (which imports ray and `verl.protocol`) is not executed.
  * `tensordict` — `verl.utils.torch_functional` imports `TensorDict` at module level and none of the
    functions used here touch it; a dummy class stands in.
  * `verl.protocol` — imported by `rollout_corr_helper` for the `DataProto` type only; a dummy class.
  * `verl.workers.config` — its real package pulls in the model/engine/profiler configs (transformers
    model code, ray, tensordict tensorclasses). It is replaced by a stand-in `ActorConfig`: a dataclass
    on verl's own `verl.base_config.BaseConfig` with exactly the fields the policy-loss functions read
    (`clip_ratio`, `clip_ratio_low`, `clip_ratio_high`, `clip_ratio_c`, `loss_agg_mode`,
    `loss_scale_factor`, `global_batch_info`; defaults copied from verl's ActorConfig), and a dummy
    `PolicyLossConfig` (a type annotation in `rollout_corr_helper`). `AlgoConfig` is verl's real one.
  * `apply_kl_penalty` lives in `verl/trainer/ppo/ray_trainer.py`, whose imports need ray; its function
    source is read from the unpacked wheel (ast) and executed unchanged with `core_algos`, verl's
    `masked_mean` and a stand-in `DataProto` (an object with a `.batch` dict) as its globals.
Everything runs in float64 on float32-representable inputs.

Compositions (labelled in the JSON by `composed_as`): verl's actor loss adds the KL loss and the
entropy bonus to the policy loss in `verl/workers/utils/losses.py` (`ppo_loss`, TensorDict-based);
the `ppo-kl-entropy` case adds `kl_penalty` → `agg_loss` and `agg_loss(entropy)` to
`compute_policy_loss_vanilla` with the same three lines. The REINFORCE-IS cases feed
`compute_rollout_correction_weights(old − rollout)` into `compute_policy_loss_reinforce`, as
`compute_rollout_correction_and_rejection_mask` does.

TRL (1.16): GRPO's advantage is computed inline in `GRPOTrainer._generate_and_score_completions`
(which generates and scores; it cannot be called on fixed rewards). The smallest TRL-level function
in it is `trl.trainer.utils.nanstd`; the advantages below are TRL's inline lines (group nanmean,
`nanstd`, `/(std + 1e-4)`, `scale_rewards` group / batch / none, `multi_objective_aggregation =
"sum_then_normalize"` with one reward function) evaluated with TRL's own `nanstd`. They are labelled
`"source": "TRL inline formula with trl.trainer.utils.nanstd"`, not as a TRL function call.

Run:  .venv-bench/bin/python Tests/Fixtures/objectives/generate_rl_anchor.py --verl SRC
"""
import argparse
import ast
import json
import math
import os
import sys
import types
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE_VERSION = 1

parser = argparse.ArgumentParser()
parser.add_argument("--verl", required=True, help="folder holding the unpacked verl wheel (see the docstring)")
args = parser.parse_args()
VERL = os.path.abspath(args.verl)
if not os.path.isfile(os.path.join(VERL, "verl", "trainer", "ppo", "core_algos.py")):
    sys.exit(f"no verl source at {VERL}; see this script's docstring")


# --- import verl's numeric modules without its heavy dependencies (see the docstring) -------------
def stub(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


class _Unused:
    def __init__(self, *a, **k):
        raise RuntimeError("stand-in type; not used by the functions called here")


pkg = stub("verl")
pkg.__path__ = [os.path.join(VERL, "verl")]
stub("tensordict", TensorDict=_Unused)
stub("verl.protocol", DataProto=_Unused)

from verl.base_config import BaseConfig  # noqa: E402  (verl's own)


@dataclass
class ActorConfig(BaseConfig):
    """Stand-in for verl.workers.config.ActorConfig: only the fields core_algos' losses read."""

    clip_ratio: float = 0.2
    clip_ratio_low: float = 0.2
    clip_ratio_high: float = 0.2
    clip_ratio_c: float = 3.0
    loss_agg_mode: str = "token-mean"
    loss_scale_factor: Optional[int] = None
    global_batch_info: dict = field(default_factory=dict)


stub("verl.workers.config", ActorConfig=ActorConfig)
stub("verl.workers.config.actor", ActorConfig=ActorConfig, PolicyLossConfig=_Unused)

import verl.trainer.ppo.core_algos as ca  # noqa: E402
import verl.trainer.ppo.rollout_corr_helper as rch  # noqa: E402
import verl.utils.torch_functional as verl_F  # noqa: E402
from verl.trainer.config import AlgoConfig  # noqa: E402

VERL_VERSION = open(os.path.join(VERL, "verl", "version", "version")).read().strip()


def load_apply_kl_penalty():
    path = os.path.join(VERL, "verl", "trainer", "ppo", "ray_trainer.py")
    tree = ast.parse(open(path).read())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "apply_kl_penalty")
    scope = {"core_algos": ca, "masked_mean": verl_F.masked_mean, "torch": torch, "DataProto": object}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), path, "exec"), scope)
    return scope["apply_kl_penalty"]


apply_kl_penalty = load_apply_kl_penalty()

import trl  # noqa: E402
from trl.trainer.utils import nanstd  # noqa: E402

DT = torch.float64

# --- fixed inputs ------------------------------------------------------------------------------
B, T = 6, 5
groups = [0, 0, 0, 1, 1, 1]
groups_singleton = [0, 0, 0, 1, 1, 2]  # the last row alone in its group
mask = np.array([
    [1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0],   # right padding
    [1, 0, 1, 1, 0],   # a masked hole (tool/observation token) at 1, then padding
    [1, 1, 1, 1, 0],
    [1, 1, 0, 0, 0],
    [1, 1, 1, 1, 1],
], dtype=np.float64)
mask_empty_row = mask.copy()
mask_empty_row[4] = 0  # a fully masked response (e.g. filtered as overlong)
M = mask > 0
last = np.array([np.max(np.nonzero(mask[i])[0]) for i in range(B)])

rng = np.random.default_rng(20260516)


def f32(x):
    return np.asarray(x, dtype=np.float32).astype(np.float64)


# Outcome scores on the last valid token (distinct, so Pass@k's best and second best are unique),
# plus small dense token rewards; 0 at every masked position (verl's token_level_rewards are 0 off
# the response, and GRPO/RLOO/REINFORCE++-baseline sum them without the mask).
outcome = np.array([1.0, 0.25, -0.5, 0.8, -1.2, 0.3])
dense = rng.normal(size=(B, T)) * 0.1
token_level_rewards = dense * mask
token_level_rewards[np.arange(B), last] += outcome
token_level_rewards = f32(token_level_rewards)
# Rollout-time values V^old (finite everywhere; masked entries must not matter).
values = f32(rng.normal(size=(B, T)) * 0.5)
old_log_probs = f32(-rng.uniform(0.2, 2.5, size=(B, T)))
# Log-ratio scales per row: rows 2 and 4 stay inside GSPO's tiny default clip range.
delta_scale = np.array([0.3, 0.3, 2e-4, 0.15, 1e-4, 0.45])[:, None]
delta = rng.normal(size=(B, T)) * delta_scale
delta[5, 1] = 1.4  # ρ = e^1.4 ≈ 4.06 > c = 3 with A < 0 there: dual-clip binds
delta[0, 3] = -0.6  # ρ ≈ 0.55 < 1 − ε_low with A < 0: clipped from below
log_probs = f32(old_log_probs + delta)
ref_log_probs = f32(old_log_probs + rng.normal(size=(B, T)) * 0.3)
is_shift = rng.normal(size=(B, T)) * 0.3
is_shift[0, 2] = 1.0  # old − rollout = 1 → w = e > 2: truncated
is_shift[3, 1] = 1.2
rollout_log_probs = f32(old_log_probs - is_shift)
entropies = f32(rng.uniform(0.5, 2.0, size=(B, T)))
token_advantages = rng.normal(size=(B, T))
token_advantages[5, 1] = -0.9
token_advantages[0, 3] = -0.7
token_advantages = f32(token_advantages)
seq_adv = np.array([0.9, -0.4, 0.6, -1.1, 0.35, -0.75])
sequence_advantages = f32(np.repeat(seq_adv[:, None], T, 1) * mask)
reward_baselines = f32(rng.normal(size=B) * 0.5)
vpreds = f32(values + rng.normal(size=(B, T)) * 0.4)
loss_mat = f32(rng.normal(size=(B, T)))


def t(x):
    return torch.tensor(np.asarray(x), dtype=DT)


def out(x):
    return [float(v) for v in np.asarray(x.detach() if torch.is_tensor(x) else x, dtype=np.float64).reshape(-1)]


# --- advantage estimators -----------------------------------------------------------------------
estimators = {}


def est(name, fn, kwargs, group_ids=None, **meta):
    res = fn(**kwargs)
    adv, ret = res
    estimators[name] = dict(verl_function=fn.__name__, groups="groups_singleton" if group_ids is groups_singleton else "groups",
                            advantages=out(adv), returns=out(ret), **meta)


R = t(token_level_rewards)
Mt = t(mask)
for g, lam in [(1.0, 0.95), (0.9, 0.8)]:
    est(f"gae-g{g}-l{lam}", ca.compute_gae_advantage_return,
        dict(token_level_rewards=R, values=t(values), response_mask=Mt, gamma=g, lam=lam),
        verl_args=dict(gamma=g, lam=lam))

for gname, gids in [("", groups), ("-singleton", groups_singleton)]:
    idx = np.array(gids)
    est(f"grpo{gname}", ca.compute_grpo_outcome_advantage,
        dict(token_level_rewards=R.clone(), response_mask=Mt, index=idx, epsilon=1e-6, norm_adv_by_std_in_grpo=True),
        gids, verl_args=dict(epsilon=1e-6, norm_adv_by_std_in_grpo=True))
    est(f"dr-grpo{gname}", ca.compute_grpo_outcome_advantage,
        dict(token_level_rewards=R.clone(), response_mask=Mt, index=idx, epsilon=1e-6, norm_adv_by_std_in_grpo=False),
        gids, verl_args=dict(epsilon=1e-6, norm_adv_by_std_in_grpo=False))
    est(f"rloo{gname}", ca.compute_rloo_outcome_advantage,
        dict(token_level_rewards=R.clone(), response_mask=Mt, index=idx), gids, verl_args={})
    est(f"reinforce++-baseline{gname}", ca.compute_reinforce_plus_plus_baseline_outcome_advantage,
        dict(token_level_rewards=R.clone(), response_mask=Mt, index=idx), gids, verl_args={})

for g in (1.0, 0.9):
    est(f"reinforce++-g{g}", ca.compute_reinforce_plus_plus_outcome_advantage,
        dict(token_level_rewards=R.clone(), response_mask=Mt, config=AlgoConfig(gamma=g)), verl_args=dict(gamma=g))

est("remax", ca.compute_remax_outcome_advantage,
    dict(token_level_rewards=R.clone(), reward_baselines=t(reward_baselines), response_mask=Mt), verl_args={})

absent_in_verl = []
if hasattr(ca, "compute_grpo_passk_outcome_advantage"):
    for norm in (True, False):
        est(f"grpo-passk-{'std' if norm else 'nostd'}", ca.compute_grpo_passk_outcome_advantage,
            dict(token_level_rewards=R.clone(), response_mask=Mt, index=np.array(groups), epsilon=1e-6,
                 config=AlgoConfig(norm_adv_by_std_in_grpo=norm)),
            verl_args=dict(epsilon=1e-6, norm_adv_by_std_in_grpo=norm))
else:
    absent_in_verl.append("compute_grpo_passk_outcome_advantage")

# --- KL estimators, KL in the reward, the adaptive controller ------------------------------------
kl = {}
for typ in ("kl", "abs", "mse", "low_var_kl"):
    lp = t(log_probs).requires_grad_(True)
    k = ca.kl_penalty(lp, t(ref_log_probs), typ)
    (k * Mt).sum().backward()
    kl[typ] = dict(values=out(k), grad_logprob_of_masked_sum=out(lp.grad))

kl_in_reward = {}
# compute_rewards: verl's k1 form (scores − β (old − ref)), no mask.
kl_in_reward["compute_rewards-k1"] = dict(
    verl_function="compute_rewards", estimator="kl", beta=0.05,
    rewards=out(ca.compute_rewards(R, t(old_log_probs), t(ref_log_probs), 0.05)))
for typ, beta in (("kl", 0.05), ("mse", 0.1), ("low_var_kl", 0.2)):
    data = types.SimpleNamespace(batch=type("Batch", (dict,), {"batch_size": [B]})(
        response_mask=Mt, token_level_scores=R, old_log_probs=t(old_log_probs), ref_log_prob=t(ref_log_probs)))
    ctrl = ca.FixedKLController(beta)
    data, metrics = apply_kl_penalty(data, ctrl, kl_penalty=typ)
    kl_in_reward[f"apply_kl_penalty-{typ}"] = dict(
        verl_function="ray_trainer.apply_kl_penalty", estimator=typ, beta=beta,
        rewards=out(data.batch["token_level_rewards"]), mean_kl=float(metrics["actor/reward_kl_penalty"]))

ctrl = ca.AdaptiveKLController(init_kl_coef=0.1, target_kl=6.0, horizon=10000)
updates = []
for kl_value, steps in ((3.0, 256), (9.0, 256), (6.5, 512), (0.5, 128)):
    ctrl.update(current_kl=kl_value, n_steps=steps)
    updates.append(dict(kl=kl_value, steps=steps, value=float(ctrl.value)))
adaptive_kl = dict(verl_class="AdaptiveKLController", initial=0.1, target=6.0, horizon=10000, updates=updates)

# --- agg_loss ----------------------------------------------------------------------------------
agg = {}
for mname, m in (("mask", mask), ("mask_empty_row", mask_empty_row)):
    for mode, lsf in (("token-mean", None), ("token-sum", None), ("seq-mean-token-sum", None),
                      ("seq-mean-token-mean", None), ("seq-mean-token-sum-norm", 8),
                      ("seq-mean-token-sum-norm", None)):
        name = f"{mode}{'' if lsf is None else f'-{lsf}'}{'' if mode != 'seq-mean-token-sum-norm' or lsf else '-default'}"
        name += "" if mname == "mask" else "-empty-row"
        v = ca.agg_loss(loss_mat=t(loss_mat), loss_mask=t(m), loss_agg_mode=mode, loss_scale_factor=lsf)
        agg[name] = dict(mode=mode, loss_scale_factor=lsf, mask=mname, loss=float(v))

# --- policy losses -----------------------------------------------------------------------------
policy = {}
ADV = {"token": token_advantages, "sequence": sequence_advantages}


def pl(name, fn, adv_kind, cfg, loss_agg_mode, extra=None, **meta):
    lp = t(log_probs).requires_grad_(True)
    loss, metrics = fn(old_log_prob=t(old_log_probs), log_prob=lp, advantages=t(ADV[adv_kind]),
                       response_mask=Mt, loss_agg_mode=loss_agg_mode, config=cfg, **(extra or {}))
    loss.backward()
    policy[name] = dict(verl_function=fn.__name__, advantages=adv_kind, loss_agg_mode=loss_agg_mode,
                        config={k: getattr(cfg, k) for k in ("clip_ratio_low", "clip_ratio_high", "clip_ratio_c")},
                        loss_scale_factor=cfg.global_batch_info.get("loss_scale_factor"),
                        loss=float(loss.detach()), grad_log_prob=out(lp.grad),
                        metrics={k: float(v) for k, v in metrics.items()}, **meta)


pl("vanilla-dual-clip", ca.compute_policy_loss_vanilla, "token", ActorConfig(clip_ratio_c=3.0), "token-mean")
pl("vanilla-clip-higher-seq-mean-token-mean", ca.compute_policy_loss_vanilla, "token",
   ActorConfig(clip_ratio_low=0.2, clip_ratio_high=0.28, clip_ratio_c=3.0), "seq-mean-token-mean")
# verl always applies dual-clip; c = 1e6 never binds on these inputs (max ρ ≈ 4.1), which is how the
# plain clipped surrogate (TokenAlign's default, dual-clip off) is read off verl's function.
pl("vanilla-no-dual-seq-mean-token-sum", ca.compute_policy_loss_vanilla, "token",
   ActorConfig(clip_ratio_c=1e6), "seq-mean-token-sum")
pl("vanilla-dr-grpo-norm8", ca.compute_policy_loss_vanilla, "sequence",
   ActorConfig(clip_ratio_c=1e6, loss_scale_factor=8, global_batch_info={"loss_scale_factor": 8}),
   "seq-mean-token-sum-norm")
pl("gspo-paper-clip", ca.compute_policy_loss_gspo, "sequence",
   ActorConfig(clip_ratio_low=3e-4, clip_ratio_high=4e-4), "seq-mean-token-mean")
pl("gspo-wide-token-mean", ca.compute_policy_loss_gspo, "sequence",
   ActorConfig(clip_ratio_low=0.05, clip_ratio_high=0.08), "token-mean")
if hasattr(ca, "compute_policy_loss_geo_mean"):
    pl("geo-mean", ca.compute_policy_loss_geo_mean, "sequence", ActorConfig(clip_ratio_low=0.4, clip_ratio_high=0.4), "token-mean")
    pl("geo-mean-narrow", ca.compute_policy_loss_geo_mean, "sequence",
       ActorConfig(clip_ratio_low=0.1, clip_ratio_high=0.2), "token-mean")
else:
    absent_in_verl.append("compute_policy_loss_geo_mean")

# PPO + KL loss + entropy bonus, composed as verl/workers/utils/losses.py ppo_loss does.
lp = t(log_probs).requires_grad_(True)
ent = t(entropies).requires_grad_(True)
cfg = ActorConfig(clip_ratio_c=3.0)
mode = "seq-mean-token-mean"
pg_loss, pg_metrics = ca.compute_policy_loss_vanilla(old_log_prob=t(old_log_probs), log_prob=lp,
                                                     advantages=t(token_advantages), response_mask=Mt,
                                                     loss_agg_mode=mode, config=cfg)
policy_loss = pg_loss
entropy_loss = ca.agg_loss(loss_mat=ent, loss_mask=Mt, loss_agg_mode=mode, **cfg.global_batch_info)
policy_loss = policy_loss - 0.01 * entropy_loss
kld = ca.kl_penalty(logprob=lp, ref_logprob=t(ref_log_probs), kl_penalty="low_var_kl")
kl_loss = ca.agg_loss(loss_mat=kld, loss_mask=Mt, loss_agg_mode=mode, **cfg.global_batch_info)
policy_loss = policy_loss + kl_loss * 0.04
policy_loss.backward()
policy["vanilla-kl-entropy"] = dict(
    verl_function="compute_policy_loss_vanilla + agg_loss(entropy) + kl_penalty/agg_loss",
    composed_as="verl/workers/utils/losses.py ppo_loss", advantages="token", loss_agg_mode=mode,
    config=dict(clip_ratio_low=0.2, clip_ratio_high=0.2, clip_ratio_c=3.0), loss_scale_factor=None,
    entropy_coeff=0.01, kl_loss_coef=0.04, kl_loss_type="low_var_kl",
    loss=float(policy_loss.detach()), pg_loss=float(pg_loss.detach()), grad_log_prob=out(lp.grad), grad_entropy=out(ent.grad),
    metrics={k: float(v) for k, v in pg_metrics.items()})

# REINFORCE with rollout importance weights (verl's TIS; IcePop with a vanishing lower bound is the
# "drop above C" mode).
for level in ("token", "sequence"):
    for spec, label in ((2.0, "truncate"), ("1e-30_2.0", "mask")):
        w, is_metrics = rch.compute_rollout_correction_weights(
            log_ratio=t(old_log_probs) - t(rollout_log_probs), response_mask=Mt, rollout_is=level,
            rollout_is_threshold=spec)
        adv_kind = "token" if level == "token" else "sequence"
        lp = t(log_probs).requires_grad_(True)
        loss, metrics = ca.compute_policy_loss_reinforce(
            rollout_log_prob=t(rollout_log_probs), log_prob=lp, advantages=t(ADV[adv_kind]), response_mask=Mt,
            loss_agg_mode="seq-mean-token-sum", config=ActorConfig(), rollout_is_weights=w)
        loss.backward()
        policy[f"reinforce-is-{level}-{label}"] = dict(
            verl_function="compute_policy_loss_reinforce", weights_from="rollout_corr_helper.compute_rollout_correction_weights",
            rollout_is=level, rollout_is_threshold=spec, advantages=adv_kind, loss_agg_mode="seq-mean-token-sum",
            loss=float(loss.detach()), grad_log_prob=out(lp.grad), weights=out(w),
            weights_masked_mean=float(verl_F.masked_mean(w, Mt)))

# --- value loss --------------------------------------------------------------------------------
gae_returns = t(estimators["gae-g1.0-l0.95"]["returns"]).reshape(B, T)
value = {}
for clip, mode in ((0.5, "token-mean"), (0.2, "seq-mean-token-mean")):
    vp = t(vpreds).requires_grad_(True)
    loss, clipfrac = ca.compute_value_loss(vpreds=vp, returns=gae_returns, values=t(values), response_mask=Mt,
                                           cliprange_value=clip, loss_agg_mode=mode)
    loss.backward()
    value[f"clip{clip}-{mode}"] = dict(verl_function="compute_value_loss", cliprange_value=clip, loss_agg_mode=mode,
                                       returns_from="gae-g1.0-l0.95", loss=float(loss.detach()),
                                       vf_clipfrac=float(clipfrac), grad_vpreds=out(vp.grad))

# --- TRL: GRPO advantages (inline formula, TRL's nanstd) ----------------------------------------
trl_cases = {}
rewards = R.sum(-1)  # one reward function, weight 1: rewards_per_func[:, 0]
num_generations = 3
for scale in ("group", "batch", "none"):
    mean_grouped = torch.nanmean(rewards.view(-1, num_generations), dim=1).repeat_interleave(num_generations, dim=0)
    if scale in ("group", "none"):
        std_rewards = nanstd(rewards.view(-1, num_generations), dim=1).repeat_interleave(num_generations, dim=0)
    else:
        std_rewards = nanstd(rewards).expand_as(rewards)
    adv = rewards - mean_grouped
    if scale != "none":
        adv = adv / (std_rewards + 1e-4)
    adv = torch.nan_to_num(adv, nan=0.0)
    trl_cases[f"grpo-scale-{scale}"] = dict(
        source="TRL inline formula with trl.trainer.utils.nanstd",
        from_code="trl/trainer/grpo_trainer.py GRPOTrainer._generate_and_score_completions (sum_then_normalize)",
        scale_rewards=scale, num_generations=num_generations, epsilon=1e-4, advantages_per_row=out(adv))

# --- sanity: the inputs exercise what they are meant to ------------------------------------------
rho = np.exp(log_probs - old_log_probs)
assert np.any(M & (rho > 3) & (token_advantages < 0)), "dual-clip never binds"
assert np.any(M & (rho < 0.8) & (token_advantages < 0)), "no low clip"
assert np.any(M & (rho > 1.2) & (token_advantages > 0)), "no high clip"
assert np.any(M & (old_log_probs - rollout_log_probs > math.log(2))), "no IS truncation"
for name in ("vanilla-dual-clip",):
    assert policy[name]["metrics"]["actor/pg_clipfrac_lower"] > 0
# Float32 rounding must not flip a clip decision: no ratio within 1e-5 of a bound.
bounds = [0.8, 1.2, 1.28, 3.0]
assert np.min(np.abs(rho[M][:, None] - np.array(bounds)[None, :])) > 1e-5
log_ratio = (log_probs - old_log_probs)[M]
assert np.min(np.abs(log_ratio[:, None] - np.array([-0.4, 0.4, -0.1, 0.2])[None, :])) > 1e-5, "a GMPO δ sits on a bound"
seq_log = (np.where(M, log_probs - old_log_probs, 0)).sum(1) / mask.sum(1)
for b in (1 - 3e-4, 1 + 4e-4, 0.95, 1.08):
    assert np.min(np.abs(np.exp(seq_log) - b)) > 1e-6, f"a GSPO ratio sits on the bound {b}"

doc = dict(
    fixture_version=FIXTURE_VERSION,
    verl=VERL_VERSION, trl=trl.__version__, torch=torch.__version__.split("+")[0],
    absent_in_verl=absent_in_verl,
    note=("Outputs are verl's/TRL's raw return values (verl's GAE/REINFORCE++/ReMax/agg outputs may be non-zero "
          "at masked positions; compare on the mask)."),
    inputs=dict(B=B, T=T, groups=groups, groups_singleton=groups_singleton, mask=out(mask), mask_empty_row=out(mask_empty_row),
                token_level_rewards=out(token_level_rewards), values=out(values), old_log_probs=out(old_log_probs),
                log_probs=out(log_probs), ref_log_probs=out(ref_log_probs), rollout_log_probs=out(rollout_log_probs),
                entropies=out(entropies), token_advantages=out(token_advantages),
                sequence_advantages=out(sequence_advantages), reward_baselines=out(reward_baselines),
                vpreds=out(vpreds), loss_mat=out(loss_mat)),
    estimators=estimators, kl_penalty=kl, kl_in_reward=kl_in_reward, adaptive_kl=adaptive_kl, agg_loss=agg,
    policy_losses=policy, value_loss=value, trl_grpo_advantages=trl_cases,
)


def rounded(x):
    if isinstance(x, float):
        return float(f"{x:.10g}")
    if isinstance(x, list):
        return [rounded(v) for v in x]
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    return x


path = os.path.join(HERE, "rl_anchor.json")
with open(path, "w") as f:
    json.dump(rounded(doc), f, indent=1, sort_keys=True)
    f.write("\n")
print(f"wrote {path}: verl {VERL_VERSION}, trl {trl.__version__}; {len(estimators)} estimator, "
      f"{len(policy)} policy-loss, {len(agg)} agg_loss cases; absent in verl: {absent_in_verl or 'none'}")
