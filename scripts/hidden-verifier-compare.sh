#!/usr/bin/env bash
# Best-of-N on CreditBench `chain` with the hidden-state verifiers (docs/results.md, "Hidden-state
# verifiers for best-of-N"): ELHSR (arXiv 2505.12225) and CLUE (arXiv 2510.01591), fitted on
# verified rollouts of the policy itself, beside the outcome reward model and the verifier oracle at
# the same N, in the setting of scripts/search-compare.sh (the same policy, RM, held-out prompts and
# seeds). A RUN_FOLDER that already holds search-compare's sft/ and rm/ models reuses them.
# Usage: scripts/hidden-verifier-compare.sh [RUN_FOLDER] [PROMPTS] [SEEDS] [FIT_PROMPTS] [ROLLOUTS]
set -euo pipefail
OUT=${1:-runs/search-compare}
PROMPTS=${2:-100}
SEEDS=${3:-1,2,3}
FIT_PROMPTS=${4:-200}
ROLLOUTS=${5:-16}
TA=${TA:-.build/release/tokenalign}
KNOBS=(--task chain --steps 3 --max-operand 9 --max-value 99)
mkdir -p "$OUT/base"
if [ ! -f "$OUT/sft/model/config.json" ]; then
    cp Tests/Fixtures/models/llama/config.json Tests/Fixtures/models/llama/model.safetensors "$OUT/base/"
    cp Tests/Fixtures/datasets/tokenizer/tokenizer.json Tests/Fixtures/datasets/tokenizer/tokenizer_config.json "$OUT/base/"
    "$TA" data make "${KNOBS[@]}" --kind sft --error-rate 0.3 --n 4000 --seed 1 --out "$OUT/sft.jsonl"
    "$TA" sft --model "$OUT/base" --data "$OUT/sft.jsonl" --out "$OUT/sft" --max-steps 1000 --batch-size 32 \
        --learning-rate 3e-3 --schedule constant --seed 1
fi
if [ ! -f "$OUT/rm/model/config.json" ]; then
    "$TA" data make "${KNOBS[@]}" --kind preference --n 2000 --seed 3 --out "$OUT/prefs.jsonl"
    "$TA" reward --model "$OUT/sft/model" --data "$OUT/prefs.jsonl" --out "$OUT/rm" --max-steps 400 --batch-size 16 \
        --learning-rate 3e-4 --schedule constant --seed 1
fi
# The verifiers' rollouts: FIT_PROMPTS training prompts (search-compare's TVM prompts, seed 4), ROLLOUTS each.
"$TA" data make "${KNOBS[@]}" --kind prompts --n "$FIT_PROMPTS" --seed 4 --out "$OUT/value_prompts.jsonl"
"$TA" data make "${KNOBS[@]}" --kind prompts --n "$PROMPTS" --seed 2 --out "$OUT/prompts.jsonl"
for METHOD in elhsr clue; do
    "$TA" verifier-fit --method "$METHOD" --model "$OUT/sft/model" --prompts "$OUT/value_prompts.jsonl" --out "$OUT/$METHOD.json" \
        --rollouts "$ROLLOUTS" --seed 5 --max-new-tokens 40
done
RM="rm:$OUT/rm/model"
"$TA" search --model "$OUT/sft/model" --prompts "$OUT/prompts.jsonl" --out "$OUT/search_hidden.jsonl" --seeds "$SEEDS" \
    --stop $'\n' --max-new-tokens 40 --temperature 1 -n 8 \
    --method "majority,best-of-n@verifier,best-of-n@$RM,best-of-n@elhsr:$OUT/elhsr.json,best-of-n@clue:$OUT/clue.json,weighted-majority@$RM,weighted-majority@elhsr:$OUT/elhsr.json,weighted-majority@clue:$OUT/clue.json" \
    --estimate-n 1,2,4,8 | tee "$OUT/table_hidden.txt"
