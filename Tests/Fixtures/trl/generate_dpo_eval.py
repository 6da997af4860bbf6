"""TRL DPOTrainer evaluation metrics for the Swift parity test (TrainingTests/TRLParityTests.swift).

Model: Tests/Fixtures/models/llama (tiny random Llama, float32). Tokenizer: Tests/Fixtures/datasets/tokenizer
(BPE trained by TokenAlign, ChatML template, EOS <|endoftext|>). The reference model is TRL's default: a frozen copy
of the policy at init (ref_model=None). One eval batch holding every row.

Run: .venv-bench/bin/python Tests/Fixtures/trl/generate_dpo_eval.py  (writes dpo_eval_expected.json)
"""
import json
import os
import tempfile

import torch
import transformers
import trl
from datasets import Dataset
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast
from trl import DPOConfig, DPOTrainer

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)

CASES = {
    # name: (data file, loss types, loss weights, beta, label smoothing, precompute, separate reference)
    # Without a separate reference the policy is its own reference (TRL's default copy): rewards are 0.
    "sigmoid_copy": ("dpo_eval.jsonl", ["sigmoid"], None, 0.1, 0.0, False, False),
    "sigmoid": ("dpo_eval.jsonl", ["sigmoid"], None, 0.1, 0.0, False, True),
    "sigmoid_precompute": ("dpo_eval.jsonl", ["sigmoid"], None, 0.1, 0.0, True, True),
    "ipo": ("dpo_eval.jsonl", ["ipo"], None, 0.1, 0.0, False, True),
    "hinge_beta05": ("dpo_eval.jsonl", ["hinge"], None, 0.5, 0.0, False, True),
    "mix_sigmoid_ipo": ("dpo_eval.jsonl", ["sigmoid", "ipo"], [1.0, 0.5], 0.1, 0.0, False, True),
    "sigmoid_chat": ("dpo_eval_chat.jsonl", ["sigmoid"], None, 0.1, 0.0, False, True),
}

POLICY = os.path.join(HERE, "policy")


def make_policy():
    """The policy: the llama fixture with every weight perturbed by 0.05·N(0, 1) (seed 1), saved beside this script."""
    model = AutoModelForCausalLM.from_pretrained(os.path.join(FIXTURES, "models/llama"), dtype=torch.float32)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    model.save_pretrained(POLICY, safe_serialization=True)


def run(name, data, losses, weights, beta, eps, precompute, separate_ref):
    torch.manual_seed(0)
    ref = None
    if separate_ref:
        model = AutoModelForCausalLM.from_pretrained(POLICY, dtype=torch.float32)
        ref = AutoModelForCausalLM.from_pretrained(os.path.join(FIXTURES, "models/llama"), dtype=torch.float32)
    else:
        model = AutoModelForCausalLM.from_pretrained(os.path.join(FIXTURES, "models/llama"), dtype=torch.float32)
    tok = PreTrainedTokenizerFast.from_pretrained(os.path.join(FIXTURES, "datasets/tokenizer"))
    rows = [json.loads(line) for line in open(os.path.join(HERE, data)) if line.strip()]
    ds = Dataset.from_list(rows)
    with tempfile.TemporaryDirectory() as out:
        kwargs = dict(output_dir=out, per_device_eval_batch_size=len(rows), per_device_train_batch_size=len(rows),
                      beta=beta, loss_type=losses, report_to=[], use_cpu=True, bf16=False, fp16=False,
                      precompute_ref_log_probs=precompute, max_length=None, dataset_num_proc=None)
        if weights is not None:
            kwargs["loss_weights"] = weights
        if eps:
            kwargs["label_smoothing"] = eps
        args = DPOConfig(**kwargs)
        trainer = DPOTrainer(model=model, ref_model=ref, args=args, train_dataset=ds, eval_dataset=ds, processing_class=tok)
        metrics = trainer.evaluate()
    keep = {k: float(v) for k, v in metrics.items()
            if k in ("eval_loss",) or k.startswith("eval_rewards/") or k.startswith("eval_logps/")}
    return {"data": data, "loss": losses, "loss_weights": weights, "beta": beta, "precompute_ref": precompute,
            "separate_ref": separate_ref, "metrics": keep}


KTO_CASES = {
    # name: (data file, loss type, beta, swapped: policy = the llama fixture, reference = the perturbed policy)
    "kto": ("kto_eval.jsonl", "kto", 0.1, False),
    "kto_swapped": ("kto_eval.jsonl", "kto", 0.1, True),
    "apo_zero_unpaired": ("kto_eval.jsonl", "apo_zero_unpaired", 0.2, False),
}


def run_kto(name, data, loss_type, beta, swapped):
    from trl import KTOConfig, KTOTrainer
    torch.manual_seed(0)
    paths = [POLICY, os.path.join(FIXTURES, "models/llama")]
    if swapped:
        paths.reverse()
    model = AutoModelForCausalLM.from_pretrained(paths[0], dtype=torch.float32)
    ref = AutoModelForCausalLM.from_pretrained(paths[1], dtype=torch.float32)
    tok = PreTrainedTokenizerFast.from_pretrained(os.path.join(FIXTURES, "datasets/tokenizer"))
    rows = [json.loads(line) for line in open(os.path.join(HERE, data)) if line.strip()]
    ds = Dataset.from_list(rows)
    with tempfile.TemporaryDirectory() as out:
        args = KTOConfig(output_dir=out, per_device_eval_batch_size=len(rows), per_device_train_batch_size=len(rows),
                         beta=beta, loss_type=loss_type, report_to=[], use_cpu=True, bf16=False, fp16=False,
                         max_length=None)
        trainer = KTOTrainer(model=model, ref_model=ref, args=args, train_dataset=ds, eval_dataset=ds, processing_class=tok)
        metrics = trainer.evaluate()
    keep = {k: float(v) for k, v in metrics.items()
            if k in ("eval_loss", "eval_kl") or k.startswith("eval_rewards/") or k.startswith("eval_logps/")}
    return {"data": data, "loss": [loss_type], "loss_weights": None, "beta": beta, "precompute_ref": False,
            "separate_ref": True, "swapped": swapped, "metrics": keep}


REWARD_MODEL = os.path.join(HERE, "reward_model")


def run_reward(name, data):
    """TRL RewardTrainer.evaluate() on a LlamaForSequenceClassification built from the llama fixture (score head
    N(0, 0.02), seed 0), saved beside this script so the Swift test starts from the same weights."""
    from transformers import AutoModelForSequenceClassification
    from trl import RewardConfig, RewardTrainer
    torch.manual_seed(0)
    tok = PreTrainedTokenizerFast.from_pretrained(os.path.join(FIXTURES, "datasets/tokenizer"))
    model = AutoModelForSequenceClassification.from_pretrained(os.path.join(FIXTURES, "models/llama"), num_labels=1,
                                                               dtype=torch.float32)
    with torch.no_grad():
        model.score.weight.normal_(0.0, 0.5, generator=torch.Generator().manual_seed(0))
    model.config.pad_token_id = tok.pad_token_id
    model.save_pretrained(REWARD_MODEL, safe_serialization=True)
    rows = [json.loads(line) for line in open(os.path.join(HERE, data)) if line.strip()]
    ds = Dataset.from_list(rows)
    with tempfile.TemporaryDirectory() as out:
        args = RewardConfig(output_dir=out, per_device_eval_batch_size=len(rows), per_device_train_batch_size=len(rows),
                            report_to=[], use_cpu=True, bf16=False, fp16=False, max_length=None)
        trainer = RewardTrainer(model=model, args=args, train_dataset=ds, eval_dataset=ds, processing_class=tok)
        metrics = trainer.evaluate()
    keep = {k: float(v) for k, v in metrics.items()
            if k in ("eval_loss", "eval_accuracy", "eval_margin", "eval_min_reward", "eval_mean_reward", "eval_max_reward")}
    return {"data": data, "task": "reward", "metrics": keep}


def main():
    make_policy()
    out = {"meta": {"trl": trl.__version__, "transformers": transformers.__version__, "torch": torch.__version__,
                    "generator": "Tests/Fixtures/trl/generate_dpo_eval.py"},
           "cases": {name: run(name, *spec) for name, spec in CASES.items()}}
    out["cases"].update({name: run_kto(name, *spec) for name, spec in KTO_CASES.items()})
    out["cases"]["reward"] = run_reward("reward", "dpo_eval.jsonl")
    with open(os.path.join(HERE, "dpo_eval_expected.json"), "w") as f:
        json.dump(out, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(out["cases"], indent=1))


if __name__ == "__main__":
    main()
