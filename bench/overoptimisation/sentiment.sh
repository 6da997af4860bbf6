#!/usr/bin/env bash
# Reward-model over-optimisation on SmolLM2-135M controlled sentiment (docs/results.md): gold = the
# sentiment experiment's VADER score (`--reward sentiment`: VADER compound of the continuation − 1 per
# profane word); proxies = Bradley–Terry sequence RMs (LoRA rank 8 on SmolLM2, fresh scalar head,
# adapters folded in on save) trained on few VADER-labelled best-vs-worst pairs of SmolLM2's own
# samples, one per seed 1, 2, 3: the seed-1 RM alone and the 3-member ensemble by mean − 1·std
# (Eisenstein et al., arXiv 2312.09244); the ensemble's plain mean is scored on held-out pairs only. Best-of-n on a pool of 64 per prompt and PPO
# with LoRA (sentiment-ppo.yaml), per harness seed. The defaults are the size that fit an hour on a
# loaded, shared 2-core machine (one seed, 8 best-of-n prompts, 6 PPO steps); the full size is
# SEEDS="0 1 2" BON_PROMPTS=64 RL_STEPS=40 RM_STEPS=60. Run from the repository root (the gold reward
# reads .assets/vader and .assets/profanity).
set -euo pipefail
BIN="${BIN:-tokenalign}"
OUT="${OUT:-runs/overopt-sentiment}"
MODEL="${MODEL:-.assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}"
SEEDS="${SEEDS:-0}"
TOKENS="${TOKENS:-16}"            # continuation length everywhere
RM_PROMPTS="${RM_PROMPTS:-120}"   # training prompts whose samples form the RMs' pairs
HELD_OUT="${HELD_OUT:-40}"        # held-out prompts: the RMs' held-out pairs and (the first BON_PROMPTS) best-of-n
RM_STEPS="${RM_STEPS:-20}"        # optimizer steps of each RM (batch 8)
BON_PROMPTS="${BON_PROMPTS:-8}"
SAMPLES="${SAMPLES:-64}"
RL_STEPS="${RL_STEPS:-6}"
RL_BATCH="${RL_BATCH:-16}"        # continuations per PPO step
RL_LR="${RL_LR:-0.001}"
mkdir -p "$OUT/data"
sed -e "s#@MODEL@#$MODEL#g" -e "s#@OUT@#$OUT#g" -e "s#@TOKENS@#$TOKENS#g" -e "s#@BATCH@#$RL_BATCH#g" -e "s#@LR@#$RL_LR#g" \
  "$(dirname "$0")/sentiment-ppo.yaml" > "$OUT/ppo.yaml"

# 1. Prompts (the sentiment experiment's fixed train/test split) and SmolLM2's own samples, at
#    temperature 1 without top-k as the harness samples; pairs labelled by the gold score.
"$BIN" data prompts --split train --n 1024 --out "$OUT/data/rl_prompts.jsonl"
head -n "$RM_PROMPTS" "$OUT/data/rl_prompts.jsonl" > "$OUT/data/rm_prompts.jsonl"
"$BIN" data prompts --split test --n "$HELD_OUT" --out "$OUT/data/test_prompts.jsonl"
for side in rm test; do
  [ -s "$OUT/data/${side}_samples.jsonl" ] || "$BIN" generate --model "$MODEL" --prompts "$OUT/data/${side}_prompts.jsonl" \
      --num-samples 4 --temperature 1 --max-new-tokens "$TOKENS" --add-special-tokens --seed 101 --out "$OUT/data/${side}_samples.jsonl"
done
"$BIN" data sentiment-pairs --samples "$OUT/data/rm_samples.jsonl" --out "$OUT/data/pairs.jsonl" --minimum-margin 0.05
"$BIN" data sentiment-pairs --samples "$OUT/data/test_samples.jsonl" --out "$OUT/data/eval_pairs.jsonl" --minimum-margin 0.05

# 2. The proxies: one LoRA Bradley–Terry RM per seed; held-out pair accuracy against the gold's labels.
for s in 1 2 3; do
  [ -d "$OUT/rm-$s/model" ] || "$BIN" reward --model "$MODEL" --data "$OUT/data/pairs.jsonl" --eval-data "$OUT/data/eval_pairs.jsonl" \
      --max-steps "$RM_STEPS" --batch-size 8 --learning-rate 5e-4 --schedule constant --lora-rank 8 --lora-alpha 16 \
      --lora-target-modules q_proj,k_proj,v_proj,o_proj --seed "$s" --out "$OUT/rm-$s" --json | tail -1
done
members="$OUT/rm-1/model,$OUT/rm-2/model,$OUT/rm-3/model"
sed 's/^{/{"subset":"vader",/' "$OUT/data/eval_pairs.jsonl" > "$OUT/data/eval_bench.jsonl"
for s in 1 2 3; do
  "$BIN" eval rm --model "$OUT/rm-$s/model" --bench "$OUT/data/eval_bench.jsonl" --json | tail -1 > "$OUT/rm-$s/held-out.json"
done
for mode in mean mean-std=1; do
  "$BIN" eval rm --model "$OUT/rm-1/model" --model "$OUT/rm-2/model" --model "$OUT/rm-3/model" --ensemble "$mode" \
    --bench "$OUT/data/eval_bench.jsonl" --json | tail -1 > "$OUT/ensemble-$mode-held-out.json"
done

# 3. Best-of-n and PPO against each proxy, per seed, as two harness runs (they can run side by
#    side; the same seed draws the same pool and the same first rollouts as one combined run would);
#    then the seeds pooled, each method on its own.
bon=() ppo=()
for seed in $SEEDS; do
  proxies=(--proxy "rm:$OUT/rm-1/model" --proxy "rm-ensemble:$members:mean-std=1")
  "$BIN" eval overoptimisation --config "$OUT/ppo.yaml" --seed "$seed" "${proxies[@]}" --gold sentiment \
    --samples "$SAMPLES" --bon-prompts "$BON_PROMPTS" --rl-steps 0 --out "$OUT/bon-seed-$seed" > "$OUT/bon-seed-$seed.log" 2>&1
  "$BIN" eval overoptimisation --config "$OUT/ppo.yaml" --seed "$seed" "${proxies[@]}" --gold sentiment \
    --samples 0 --rl-steps "$RL_STEPS" --out "$OUT/ppo-seed-$seed" > "$OUT/ppo-seed-$seed.log" 2>&1
  bon+=(--results "$OUT/bon-seed-$seed")
  ppo+=(--results "$OUT/ppo-seed-$seed")
done
# The per-run reports are in bon-seed-*/ and ppo-seed-*/. The pooled summary fails while a fit has no
# peak (a NaN d*; docs/design/overoptimisation.md, "Open"), so its failure does not end the script.
"$BIN" report overoptimisation "${bon[@]}" --out "$OUT/summary-best-of-n" || echo "report overoptimisation (best-of-n) failed" >&2
"$BIN" report overoptimisation "${ppo[@]}" --window 3 --out "$OUT/summary-ppo" || echo "report overoptimisation (PPO) failed" >&2
