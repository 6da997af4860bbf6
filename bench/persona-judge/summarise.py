# Summary of bench/persona-judge/run.sh: mean lexicon score per configuration with a t-interval over
# the 24 (seed, prompt) answers, the draft acceptance rate, policy forward tokens per prompt, and
# paired differences from up-up on the same (seed, prompt).
import json, math, sys, statistics as st
rows = {}
for name in ["up-up", "down-down", "down-judged-by-up", "up-judged-by-down", "alternate"]:
    try: rs = [json.loads(l) for l in open(name + ".jsonl")]
    except FileNotFoundError: continue
    # mean lexicon score per seed, then mean and t-interval over the 24 (seed, prompt) answers
    sc = [r["score"] for r in rs]
    m = st.mean(sc); se = st.stdev(sc) / math.sqrt(len(sc))
    acc = sum(r["accepted_draft_tokens"] for r in rs) / max(1, sum(r["drafted_tokens"] for r in rs))
    tok = st.mean(r["policy_prefill_tokens"] + r["policy_decode_tokens"] for r in rs)
    ctok = st.mean(r["completion_tokens"] for r in rs)
    rows[name] = sc
    print(f"| {name} | {m:+.3f} [{m-2.07*se:+.3f}, {m+2.07*se:+.3f}] | {acc:.3f} | {tok:.0f} | {ctok:.1f} |")
if "up-up" in rows and "down-judged-by-up" in rows:
    for other in ["down-judged-by-up", "alternate", "down-down", "up-judged-by-down"]:
        if other not in rows: continue
        d = [a - b for a, b in zip(rows[other], rows["up-up"])]
        m = st.mean(d); se = st.stdev(d) / math.sqrt(len(d))
        print(f"paired {other} − up-up: {m:+.3f} [{m-2.07*se:+.3f}, {m+2.07*se:+.3f}]")
