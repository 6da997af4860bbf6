#!/usr/bin/env bash
# Reward-model over-optimisation on CreditBench sort (docs/results.md): gold = the verifier; proxies =
# sequence RMs trained on a CreditBench demo run's pairs (the demo's own RM, one RM trained here, a
# 3-member ensemble combined by the mean and by mean − 1·std). Needs a finished `tokenalign demo`
# run in $CREDIT and `demo rl`'s training prompts in $PROMPTS (or any sort prompt file).
set -euo pipefail
BIN="${BIN:-tokenalign}"
CREDIT="${CREDIT:-runs/credit}"
PROMPTS="${PROMPTS:-runs/rl/data/train_prompts.jsonl}"
OUT="${OUT:-runs/overopt}"
mkdir -p "$OUT"
sed -e "s#@CREDIT@#$CREDIT#g" -e "s#@PROMPTS@#$PROMPTS#g" "$(dirname "$0")/ppo.yaml" > "$OUT/ppo.yaml"
for s in 1 2 3; do
  [ -d "$OUT/rm-$s/model" ] || "$BIN" reward --model "$CREDIT/models/sft" --data "$CREDIT/data/pairs.jsonl" \
      --eval-data "$CREDIT/data/eval_pairs.jsonl" --max-steps 150 --batch-size 16 --learning-rate 5e-4 --schedule cosine \
      --max-length 128 --seed "$s" --out "$OUT/rm-$s" --json | tail -1
done
members="$OUT/rm-1/model,$OUT/rm-2/model,$OUT/rm-3/model"
for seed in 0 1 2; do
  "$BIN" eval overoptimisation --config "$OUT/ppo.yaml" --seed "$seed" \
    --proxy "rm:$CREDIT/models/sequence-rm" --proxy "rm:$OUT/rm-1/model" \
    --proxy "rm-ensemble:$members:mean" --proxy "rm-ensemble:$members:mean-std=1" \
    --gold creditbench --samples 64 --bon-prompts 128 --rl-steps 60 --out "$OUT/seed-$seed" > "$OUT/seed-$seed.log" 2>&1
done
"$BIN" report overoptimisation --results "$OUT/seed-0" --results "$OUT/seed-1" --results "$OUT/seed-2" --out "$OUT/summary"
