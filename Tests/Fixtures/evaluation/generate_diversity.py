#!/usr/bin/env python3
"""Reference values for Tests/EvaluationTests (TextDiversity, RankCorrelation).

Writes diversity_reference.json next to this script. Run once and commit the output:

    python3 -m venv /tmp/venv-eval && /tmp/venv-eval/bin/pip install nltk scipy
    /tmp/venv-eval/bin/python Tests/Fixtures/evaluation/generate_diversity.py

* sentence BLEU: nltk.translate.bleu_score.sentence_bleu with SmoothingFunction().method1
  (epsilon 0.1), uniform weights.
* self-BLEU: the Texygen way (Zhu et al. 2018, arXiv:1802.01886, SelfBleu.get_bleu_parallel):
  each generation is the hypothesis, every *other* generation a reference, mean over generations.
  Tokens are whitespace words (str.split()), where Texygen uses nltk.word_tokenize.
* distinct-n: distinct n-grams / total n-grams over the whole set (Li et al. 2016,
  arXiv:1510.03055), straight from the definition.
* rank correlations: scipy.stats.spearmanr and scipy.stats.kendalltau (tau-b); NaN -> null.
"""
import json
import math
import os
import random

import nltk
import scipy
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from scipy.stats import kendalltau, spearmanr

SMOOTH = SmoothingFunction().method1  # epsilon = 0.1


def weights(order):
    return tuple(1.0 / order for _ in range(order))


def bleu(refs, hyp, order=4):
    return float(sentence_bleu(refs, hyp, weights(order), smoothing_function=SMOOTH))


def self_bleu(gens, order=4):
    scores = []
    for i, hyp in enumerate(gens):
        others = gens[:i] + gens[i + 1:]
        scores.append(bleu(others, hyp, order))
    return sum(scores) / len(scores)


def distinct(gens, n):
    grams = [tuple(g[k:k + n]) for g in gens for k in range(len(g) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def clean(x):
    x = float(x)
    return None if math.isnan(x) else x


SENTENCES = [
    "the movie was great and the acting was great",
    "the movie was great",
    "i loved the movie and the acting",
    "the film was terrible",
    "great great great",
    "",
    "wow",
    "the movie was great and the acting was great",
    "an absolutely wonderful film with a moving story",
    "the movie was not great but the acting was fine",
]


def random_set(seed, count, vocab, max_len):
    rng = random.Random(seed)
    words = [f"w{k}" for k in range(vocab)]
    return [[rng.choice(words) for _ in range(rng.randint(0, max_len))] for _ in range(count)]


def main():
    out = {"nltk": nltk.__version__, "scipy": scipy.__version__}

    sb = []
    cases = [
        (["the cat is on the mat".split(), "there is a cat on the mat".split()], "the cat the cat on the mat".split(), 4),
        (["it is a guide to action that ensures that the military will forever heed party commands".split()],
         "it is a guide to action which ensures that the military always obeys the commands of the party".split(), 4),
        (["a b c d e".split()], "a b c d e".split(), 4),              # identical: 1
        (["a b c d e f g".split()], "a b c".split(), 4),              # brevity penalty
        (["x y".split(), "a b c d".split()], "a b z".split(), 4),     # zero 3-, 4-gram matches (smoothed)
        (["p q".split()], "r s t".split(), 4),                         # no unigram match: 0
        (["a b".split(), "a b c d e f".split()], "a b c d".split(), 4),  # closest length tie -> shorter
        (["the cat sat".split()], "the cat".split(), 4),               # shorter than n: eps / 1
        (["a a a a b".split()], "a a a a a a".split(), 2),             # clipping, BLEU-2
    ]
    for refs, hyp, order in cases:
        sb.append({"references": refs, "hypothesis": hyp, "max_order": order, "bleu": bleu(refs, hyp, order)})
    out["sentence_bleu"] = sb

    selfb = []
    text_gens = [s.split() for s in SENTENCES]
    selfb.append({"name": "sentences", "texts": SENTENCES, "max_order": 4, "self_bleu": self_bleu(text_gens, 4)})
    selfb.append({"name": "sentences-bleu3", "texts": SENTENCES, "max_order": 3, "self_bleu": self_bleu(text_gens, 3)})
    dup = ["a b c d e f", "a b c d e f", "a b c d e f"]
    selfb.append({"name": "duplicates", "texts": dup, "max_order": 4, "self_bleu": self_bleu([s.split() for s in dup], 4)})
    for seed, count, vocab, max_len in [(1, 60, 12, 14), (2, 40, 6, 9)]:
        gens = random_set(seed, count, vocab, max_len)
        texts = [" ".join(g) for g in gens]
        selfb.append({"name": f"random-{seed}", "texts": texts, "max_order": 4, "self_bleu": self_bleu(gens, 4)})
    out["self_bleu"] = selfb

    out["distinct"] = [
        {"texts": s["texts"], "distinct": [distinct([t.split() for t in s["texts"]], n) for n in (1, 2, 3)]}
        for s in selfb if s["max_order"] == 4
    ]

    rng = random.Random(7)
    rank_cases = [
        ("perfect", [1, 2, 3, 4, 5], [2, 4, 6, 8, 10]),
        ("reversed", [1, 2, 3, 4, 5], [5, 4, 3, 2, 1]),
        ("two", [0.5, -1], [3, 4]),
        ("ties-x", [1, 2, 2, 3, 3, 3, 4], [1, 3, 2, 5, 4, 6, 7]),
        ("ties-both", [0, 0, 1, 1, 2, 0, 2, 1], [1, 0, 1, 1, 2, 0, 0, 2]),
        ("mostly-zero", [0, 0, 0, 0, 0.7, -0.4, 0, 0, 1.2, 0], [0.1, -0.2, 0.05, 0.3, 0.9, -0.8, 0.0, 0.2, 0.4, -0.1]),
        ("constant-y", [1, 2, 3], [4, 4, 4]),
        ("random-50", [rng.gauss(0, 1) for _ in range(50)], None),
        ("random-ties-80", [rng.randint(0, 4) for _ in range(80)], [rng.randint(0, 6) for _ in range(80)]),
        ("negative", [3.1, 1.2, -0.5, 7.7, 2.2, 0.0], [-2.0, 0.4, 1.1, -5.0, -1.0, 0.9]),
    ]
    ranks = []
    for name, x, y in rank_cases:
        if y is None:
            y = [xi * 0.3 + rng.gauss(0, 1) for xi in x]
        x = [float(v) for v in x]
        y = [float(v) for v in y]
        rho = spearmanr(x, y).statistic
        tau = kendalltau(x, y).statistic  # variant "b"
        ranks.append({"name": name, "x": x, "y": y, "spearman": clean(rho), "kendall_tau_b": clean(tau)})
    out["rank"] = ranks

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "diversity_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
