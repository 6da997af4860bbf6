#!/usr/bin/env bash
# Accuracy against forward tokens of the sequence-level searchers on CreditBench `chain`
# (docs/results.md, "Sequence-level search"). Trains a tiny policy on chain demonstrations, 30% of
# them with an injected error (so the policy is partly right and there is something to search
# for), an outcome reward model on chain preference pairs, and a token-supervised value model
# (TVM) on verified rollouts of separate training prompts; then runs every method on the same
# held-out prompts with the same seeds and prints accuracy (95% bootstrap CI over prompts) beside
# the forward tokens spent per prompt.
# Usage: scripts/search-compare.sh [RUN_FOLDER] [PROMPTS] [SEEDS]   (after `swift build -c release`)
set -euo pipefail
OUT=${1:-runs/search-compare}
PROMPTS=${2:-100}
SEEDS=${3:-1,2,3}
TA=${TA:-.build/release/tokenalign}
KNOBS=(--task chain --steps 3 --max-operand 9 --max-value 99)
mkdir -p "$OUT/base"
# Base: the 2-layer fixture Llama (random weights) with the committed byte-level BPE tokenizer.
cp Tests/Fixtures/models/llama/config.json Tests/Fixtures/models/llama/model.safetensors "$OUT/base/"
cp Tests/Fixtures/datasets/tokenizer/tokenizer.json Tests/Fixtures/datasets/tokenizer/tokenizer_config.json "$OUT/base/"
"$TA" data make "${KNOBS[@]}" --kind sft --error-rate 0.3 --n 4000 --seed 1 --out "$OUT/sft.jsonl"
"$TA" data make "${KNOBS[@]}" --kind preference --n 2000 --seed 3 --out "$OUT/prefs.jsonl"
"$TA" data make "${KNOBS[@]}" --kind prompts --n 200 --seed 4 --out "$OUT/value_prompts.jsonl"
"$TA" data make "${KNOBS[@]}" --kind prompts --n "$PROMPTS" --seed 2 --out "$OUT/prompts.jsonl"
"$TA" sft --model "$OUT/base" --data "$OUT/sft.jsonl" --out "$OUT/sft" --max-steps 1000 --batch-size 32 \
    --learning-rate 3e-3 --schedule constant --seed 1
# Outcome RM (Bradley–Terry on correct vs injected-error answers).
"$TA" reward --model "$OUT/sft/model" --data "$OUT/prefs.jsonl" --out "$OUT/rm" --max-steps 400 --batch-size 16 \
    --learning-rate 3e-4 --schedule constant --seed 1
# TVM: 16 verified rollouts per training prompt, targets = fraction of correct rollouts per prefix.
"$TA" value-targets --model "$OUT/sft/model" --prompts "$OUT/value_prompts.jsonl" --out "$OUT/value_targets.jsonl" \
    --rollouts 16 --seed 5 --max-new-tokens 40
"$TA" reward --model "$OUT/sft/model" --data "$OUT/value_targets.jsonl" --out "$OUT/value" --token-level --no-append-eos \
    --max-steps 400 --batch-size 16 --learning-rate 3e-4 --schedule constant --seed 1
RM="rm:$OUT/rm/model"
VALUE="value:$OUT/value/model"
"$TA" search --model "$OUT/sft/model" --prompts "$OUT/prompts.jsonl" --out "$OUT/search.jsonl" --seeds "$SEEDS" \
    --stop $'\n' --max-new-tokens 40 --temperature 1 -n 8 --tau 6 --keep 0.25 --beam-width 2 --expansions 4 --iterations 8 \
    --method "greedy,majority,best-of-n@verifier,best-of-n@$RM,weighted-majority@$RM,early-reject@$RM,beam@verifier,beam@$VALUE,beam@$RM,mcts@verifier,mcts@$VALUE" \
    --estimate-n 1,2,4,8 | tee "$OUT/table.txt"
# The same search with shared prefill: the same outputs, fewer prefill tokens.
"$TA" search --model "$OUT/sft/model" --prompts "$OUT/prompts.jsonl" --out "$OUT/search_shared.jsonl" --seeds "$SEEDS" \
    --stop $'\n' --max-new-tokens 40 --temperature 1 -n 8 --tau 6 --keep 0.25 --beam-width 2 --expansions 4 --iterations 8 \
    --method "greedy,majority,best-of-n@verifier,best-of-n@$RM,weighted-majority@$RM,early-reject@$RM,beam@verifier,beam@$VALUE,beam@$RM,mcts@verifier,mcts@$VALUE" \
    --share-prefixes | tee "$OUT/table_shared.txt"
