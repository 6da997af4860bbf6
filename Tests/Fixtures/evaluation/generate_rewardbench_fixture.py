#!/usr/bin/env python3
"""RewardBench v1 and v2 scores computed by the reference scoring functions, for EvaluationTests.

Run by hand (needs numpy, pandas, datasets; .venv-bench has them):
    .venv-bench/bin/pip download rewardbench==0.1.4 --no-deps -d /tmp/rb && (cd /tmp/rb && unzip -o -q rewardbench-0.1.4-py3-none-any.whl)
    git -C <reward-bench clone> show HEAD:analysis/get_benchmark_results.py > /tmp/rb/get_benchmark_results.py
    .venv-bench/bin/python Tests/Fixtures/evaluation/generate_rewardbench_fixture.py /tmp/rb
Writes Tests/Fixtures/evaluation/rewardbench_reference.json.

The reference functions are imported, not re-implemented: `calculate_scores_per_section`,
`reroll_and_score_dataset` and `process_single_model` from the wheel's rewardbench/utils.py (with
stub modules for its model-loading imports, which scoring never touches), EXAMPLE_COUNTS and
SUBSET_MAPPING from rewardbench/constants.py, and the leaderboard's `get_average_over_rewardbench`
(overall score with the half-weighted prior sets) from analysis/get_benchmark_results.py. The only
lines written here are the ones the reference keeps inline in its runners: a v1 pair is right when
chosen > rejected and a subset's accuracy is right / total (rewardbench.py), and a v2 subset's score
is the mean of its rows' results or, for Ties, process_single_model's score (scripts/run_v2.py).
Scores are small integers so that ties occur often.
"""
import importlib.util
import json
import pathlib
import sys
import types

import numpy as np
import pandas as pd
from datasets import Dataset

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/rb")

# Stubs for imports that only model loading uses.
pkg = types.ModuleType("rewardbench")
pkg.__path__ = [str(root / "rewardbench")]
sys.modules["rewardbench"] = pkg
models = types.ModuleType("rewardbench.models")
models.REWARD_MODEL_CONFIG = {}
sys.modules["rewardbench.models"] = models
fastchat = types.ModuleType("fastchat")
conversation = types.ModuleType("fastchat.conversation")
conversation.Conversation = object
sys.modules["fastchat"] = fastchat
sys.modules["fastchat.conversation"] = conversation
analysis = types.ModuleType("analysis")
analysis_utils = types.ModuleType("analysis.utils")
analysis_utils.load_results = None
sys.modules["analysis"] = analysis
sys.modules["analysis.utils"] = analysis_utils

import rewardbench.constants as constants  # noqa: E402
import rewardbench.utils as utils  # noqa: E402

spec = importlib.util.spec_from_file_location("get_benchmark_results", root / "get_benchmark_results.py")
leaderboard = importlib.util.module_from_spec(spec)
spec.loader.exec_module(leaderboard)

rng = np.random.default_rng(2403)
PRIOR = ["anthropic_helpful", "anthropic_hhh", "shp", "summarize"]


def v1_case(name, subsets, pairs_per_subset=7, prior=True):
    names = list(subsets) + (PRIOR if prior else []) + ["custom-task"]
    pairs = []
    for s in names:
        for _ in range(pairs_per_subset):
            pairs.append({"subset": s, "chosen": float(rng.integers(0, 4)), "rejected": float(rng.integers(0, 4))})
    results = [1 if p["chosen"] > p["rejected"] else 0 for p in pairs]
    grouped = {}
    for s in names:
        rs = [r for r, p in zip(results, pairs) if p["subset"] == s]
        grouped[s] = sum(rs) / len(rs)
    sections = utils.calculate_scores_per_section(constants.EXAMPLE_COUNTS, constants.SUBSET_MAPPING, grouped)
    df = pd.DataFrame([{"model": "m", "model_type": "Seq. Classifier", **{s: grouped[s] for s in subsets}}])
    prefs = pd.DataFrame([{"model": "m" if prior else "other", **{s: grouped.get(s, np.nan) for s in PRIOR}}])
    overview = leaderboard.get_average_over_rewardbench(df, prefs)
    row = overview.iloc[0]
    prior_value = row["Prior Sets (0.5 weight)"]
    return {
        "name": name,
        "pairs": pairs,
        "subset_accuracy": grouped,
        "sections": sections,
        "prior_sets": None if pd.isna(prior_value) else float(prior_value),
        "score": float(row["average"]),
        "accuracy": sum(results) / len(results),
    }


every = [s for subs in constants.SUBSET_MAPPING.values() for s in subs]
some = [subs[i] for subs in constants.SUBSET_MAPPING.values() for i in (0, len(subs) - 1)]
v1 = [
    v1_case("all subsets with prior sets", every),
    v1_case("all subsets without prior sets", every, prior=False),
    v1_case("two subsets per section", some, pairs_per_subset=5),
]
# Sections with no subset present: the reference reports 0 (the Swift side reports none).
only_chat = {"alpacaeval-easy": 0.5}
v1_missing = utils.calculate_scores_per_section(constants.EXAMPLE_COUNTS, constants.SUBSET_MAPPING, only_chat)


def v2_rows():
    rows = []
    for subset in ["Factuality", "Precise IF", "Math", "Safety", "Focus"]:
        for i in range(9):
            rows.append({"subset": subset, "id": f"{subset}-{i}", "num_correct": 1,
                         "scores": [float(x) for x in rng.integers(0, 4, size=4)]})
    for k in range(8):
        rows.append({"subset": "Ties", "id": f"ref:{k}", "num_correct": 1,
                     "scores": [float(x) for x in rng.integers(0, 6, size=4) + rng.random(4).round(2)]})
        n_correct = 1 if k == 3 else 3  # one tied group with a single correct answer: no spread
        rows.append({"subset": "Ties", "id": f"tied:{k}", "num_correct": n_correct,
                     "scores": [float(x) for x in rng.integers(0, 6, size=n_correct + 4) + rng.random(n_correct + 4).round(2)]})
    rows.append({"subset": "Ties", "id": "tied:99", "num_correct": 2, "scores": [3.0, 2.5, 1.0, 0.5]})  # no ref:99
    return rows


rows = v2_rows()
unrolled = []
for r in rows:
    for s in r["scores"]:
        unrolled.append({"text": "t", "scores": s, "subset": r["subset"], "id": r["id"]})
rerolled = utils.reroll_and_score_dataset(Dataset.from_list(unrolled), [len(r["scores"]) for r in rows], cols_to_combine=["text", "scores"])
rerolled = rerolled.add_column("num_correct", [r["num_correct"] for r in rows])
v2_subsets = {}
for subset in sorted(set(r["subset"] for r in rows)):
    part = rerolled.filter(lambda ex: ex["subset"] == subset)
    if subset.lower() == "ties":
        _, score = utils.process_single_model(part)
        v2_subsets[subset] = float(score)
    else:
        v2_subsets[subset] = sum(part["results"]) / len(part["results"])
row_results = [float(x) for x in rerolled["results"]]

out = {
    "rewardbench": "0.1.4",
    "v1": v1,
    "v1_sections_with_one_subset": v1_missing,
    "v2": {"groups": rows, "row_results": row_results, "subset_scores": v2_subsets},
}
path = pathlib.Path(__file__).with_name("rewardbench_reference.json")
path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
print(f"wrote {path}: v1 {[c['score'] for c in v1]}, v2 {v2_subsets}")
