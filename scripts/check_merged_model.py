#!/usr/bin/env python3
"""Checks once by hand that a model folder TokenAlign saved (e.g. the merged DPO model of
`tokenalign demo sentiment`) loads in Hugging Face transformers and scores text as TokenAlign does.

usage: check_merged_model.py FOLDER SCORES.jsonl
  SCORES.jsonl: the output of `tokenalign score --model FOLDER --data in.jsonl --out SCORES.jsonl`
  for rows {"text": ...}. Prints the largest |Δ log-prob| between the two implementations.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM

folder, scores = sys.argv[1], sys.argv[2]
model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32)
model.eval()
worst = 0.0
rows = [json.loads(line) for line in open(scores)]
for row in rows:
    ids = torch.tensor([row["ids"]])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0, :-1], dim=-1)
    ours = torch.tensor(row["logprobs"])
    theirs = logp.gather(1, ids[0, 1:, None])[:, 0]
    worst = max(worst, (ours - theirs).abs().max().item())
print(f"{folder}: loaded as {type(model).__name__}; {len(rows)} texts; max |Δ log-prob| = {worst:.2e}")
