#!/bin/bash
# Persona-judge on SmolLM2-135M-Instruct (docs/results.md, "Persona-judge on SmolLM2-135M"): the
# drafting and judging personas in every combination, and alternating roles, 8 prompts × 3 seeds,
# VADER word valences of each answer as the measure. Writes bench/results/persona-judge/*.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../.."
B="${BIN:-.build/release/tokenalign}"
M=.assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
L=.assets/vader/vader_lexicon.txt
OUT=bench/results/persona-judge
mkdir -p "$OUT"
UP="You are a cheerful assistant who sees the bright side of everything."
DOWN="You are a gloomy assistant who sees the dark side of everything."
common=(--model "$M" --weights "${WEIGHTS:-f32}" --prompts bench/persona-judge/prompts.jsonl --scorer "reward:lexicon:$L"
        --seeds 0,1,2 --temperature 1 --max-new-tokens 32 --method persona-judge)
run() { name=$1; shift; "$B" search "${common[@]}" --out "$OUT/$name.jsonl" "$@"; }
run up-up --draft-persona "$UP" --judge-persona "$UP"
run down-down --draft-persona "$DOWN" --judge-persona "$DOWN"
run down-judged-by-up --draft-persona "$DOWN" --judge-persona "$UP"
run up-judged-by-down --draft-persona "$UP" --judge-persona "$DOWN"
run alternate --draft-persona "$DOWN" --judge-persona "$UP" --alternate-personas
cd "$OUT" && python3 ../../persona-judge/summarise.py
