"""Reference values for the token-label reward models (docs/design/rewards.md §7).

Computed independently of the Swift code, with numpy:
  * minimal-edit token labels (arXiv 2406.02756): a Levenshtein table over token ids on the
    suffixes, backtraced from the start with the tie rule match > substitute > delete (a rejected
    token) > insert (an edited token); rejected tokens deleted/replaced -> -1, edited tokens
    inserted/replacements -> +1, unchanged -> 0. The distance is checked against a brute-force
    recursion before it is written.
  * response scores of per-token head values h: prod sigma(h) (TLDR, arXiv 2410.04734), mean sigma(h)
    (`token`), sigma(sum h) (minimal-edit), sigma(h_K) (TVM, arXiv 2407.12863), and the per-token
    rewards log sigma(h) whose sum is log prod sigma(h).

Run: python3 generate_token_labels.py  (writes token_labels.json beside this file)
"""
import json
import functools
import os

import numpy as np


def labels(a, b):
    n, m = len(a), len(b)
    d = np.zeros((n + 1, m + 1), dtype=np.int64)
    d[n, :] = np.arange(m, -1, -1)
    d[:, m] = np.arange(n, -1, -1)
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            d[i, j] = min(d[i + 1, j + 1] + (0 if a[i] == b[j] else 1), d[i + 1, j] + 1, d[i, j + 1] + 1)
    ra, eb, ops = [0.0] * n, [0.0] * m, []
    i = j = 0
    while i < n or j < m:
        if i < n and j < m and a[i] == b[j] and d[i, j] == d[i + 1, j + 1]:
            ops.append("match"); i += 1; j += 1
        elif i < n and j < m and d[i, j] == d[i + 1, j + 1] + 1:
            ra[i] = -1.0; eb[j] = 1.0; ops.append("substitute"); i += 1; j += 1
        elif i < n and d[i, j] == d[i + 1, j] + 1:
            ra[i] = -1.0; ops.append("delete"); i += 1
        else:
            eb[j] = 1.0; ops.append("insert"); j += 1
    return ra, eb, ops, int(d[0, 0])


def brute(a, b):
    @functools.lru_cache(maxsize=None)
    def go(i, j):
        if i == len(a):
            return len(b) - j
        if j == len(b):
            return len(a) - i
        return min(go(i + 1, j + 1) + (a[i] != b[j]), go(i + 1, j) + 1, go(i, j + 1) + 1)
    return go(0, 0)


def main():
    rng = np.random.default_rng(2406)
    cases = [
        ([1, 2, 3], [1, 3]),           # one deletion
        ([5, 6], [7, 8, 6]),           # tie: substitute-then-insert beats insert-then-substitute
        ([1, 1], [1]),                 # tie: the earliest match is kept, the second 1 is deleted
        ([4, 5, 6, 7], [4, 9, 6, 7, 8]),
        ([], [3, 4]),
        ([3, 4], []),
        ([9, 8, 7], [9, 8, 7]),
    ]
    for _ in range(24):
        n, m = rng.integers(0, 11, size=2)
        cases.append((rng.integers(0, 4, size=n).tolist(), rng.integers(0, 4, size=m).tolist()))
    edits = []
    for a, b in cases:
        ra, eb, ops, dist = labels(a, b)
        assert dist == brute(tuple(a), tuple(b)), (a, b)
        assert sum(o != "match" for o in ops) == dist
        edits.append({"rejected": a, "edited": b, "rejected_labels": ra, "edited_labels": eb, "ops": ops, "distance": dist})

    scores = []
    for h in [[2.0, 1.5, -0.5, 3.0], [0.3], [-4.0, 5.0, 0.0, 1.0, -30.0], [40.0, 12.0]]:
        x = np.asarray(h, dtype=np.float64)
        log_sig = -np.logaddexp(0.0, -x)
        scores.append({"h": h, "product": float(np.exp(log_sig.sum())), "mean": float((1 / (1 + np.exp(-x))).mean()),
                       "sum": float(1 / (1 + np.exp(-x.sum()))), "last": float(1 / (1 + np.exp(-x[-1]))),
                       "log_sigmoid": log_sig.tolist()})

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "token_labels.json")
    with open(out, "w") as f:
        json.dump({"edits": edits, "scores": scores}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
