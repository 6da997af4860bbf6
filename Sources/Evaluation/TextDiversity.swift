// Diversity of a set of generations, as reported beside reward and KL in controlled-sentiment
// experiments (DPO, Rafailov et al. 2023, arXiv:2305.18290; TDPO, Zeng et al. 2024,
// arXiv:2404.11999): a method can buy reward by collapsing onto a few high-reward phrasings, and
// reward/KL alone do not show it. Two complementary views:
//
// * distinct-n (Li et al. 2016, arXiv:1510.03055) counts how many different n-grams the whole set
//   uses — a lexical-variety measure that ignores where the repeats are;
// * self-BLEU (Zhu et al. 2018, Texygen, arXiv:1802.01886) scores each generation by BLEU-4 against
//   all the *other* generations — high when generations copy each other, whatever their vocabulary.
//
// Both work on tokens of any `Hashable` type: token ids straight from a sampler, or words from
// `whitespaceTokens(_:lowercased:)`. Numbers from different tokenisations are not comparable.

import Foundation
import Support

public enum TextDiversity {
    // MARK: Tokens

    /// Words of `text` split on Unicode whitespace, optionally lowercased.
    ///
    /// Texygen tokenises with `nltk.word_tokenize`, which also splits punctuation off words; plain
    /// whitespace splitting is used here so that the metric needs no tokenizer model and is
    /// reproducible with Python's `str.split()`.
    public static func whitespaceTokens(_ text: String, lowercased: Bool = false) -> [String] {
        let source = lowercased ? text.lowercased() : text
        return source.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    // MARK: distinct-n

    /// Corpus-level distinct-n: the number of distinct n-grams over all `generations`, divided by the
    /// total number of n-grams in them (Li et al. 2016, arXiv:1510.03055). 1 means no n-gram ever
    /// repeats, within or across generations; values near 0 mean the set keeps saying the same thing.
    ///
    /// The denominator is the n-gram count (Σ max(0, length − n + 1)), as in most later
    /// implementations; Li et al. divide by the number of generated *tokens*, which is the same for
    /// n = 1 and slightly smaller for n > 1. N-grams do not cross generation boundaries.
    ///
    /// - Parameters:
    ///   - generations: token sequences (ids or words), one per generation.
    ///   - n: n-gram order, at least 1 (1, 2 and 3 are the usual reports).
    /// - Returns: a value in (0, 1], or 0 when no generation has `n` tokens (nothing was generated,
    ///   so there is no diversity to report).
    public static func distinctN<T: Hashable>(_ generations: [[T]], n: Int) -> Double {
        precondition(n >= 1, "distinct-n needs n ≥ 1")
        var seen = Set<ArraySlice<T>>()
        var total = 0
        for g in generations where g.count >= n {
            for start in 0 ... (g.count - n) {
                seen.insert(g[start ..< start + n])
            }
            total += g.count - n + 1
        }
        return total > 0 ? Double(seen.count) / Double(total) : 0
    }

    /// distinct-n of texts split on whitespace (see `whitespaceTokens(_:lowercased:)`).
    public static func distinctN(texts: [String], n: Int, lowercased: Bool = false) -> Double {
        distinctN(texts.map { whitespaceTokens($0, lowercased: lowercased) }, n: n)
    }

    // MARK: BLEU

    /// Sentence BLEU of `hypothesis` against `references` (Papineni et al. 2002), computed exactly as
    /// NLTK's `sentence_bleu(references, hypothesis, weights, smoothing_function=
    /// SmoothingFunction().method1)` — the call Texygen's self-BLEU makes:
    ///
    /// * modified precision p_n: each hypothesis n-gram count is clipped to its largest count in any
    ///   single reference; the denominator is max(1, number of hypothesis n-grams);
    /// * uniform weights 1/`maxOrder` on log p_1 … log p_maxOrder (BLEU-4 by default);
    /// * smoothing "method1" (Chen & Cherry 2014, WMT; NLTK's default epsilon 0.1):
    ///   a zero numerator becomes `epsilon`, i.e. p_n = ε / denominator, so a short or loosely
    ///   matching text gets a small score instead of exactly 0 from a single missing 4-gram;
    /// * brevity penalty exp(1 − r/c) when the hypothesis length c is not longer than r, the
    ///   reference length closest to c (the shorter one on a tie); 1 otherwise.
    ///
    /// As in NLTK, the score is 0 (not smoothed) when no hypothesis unigram occurs in any reference,
    /// when the hypothesis is empty, or when there are no references.
    public static func sentenceBLEU<T: Hashable>(hypothesis: [T], references: [[T]], maxOrder: Int = 4,
                                                 epsilon: Double = 0.1) -> Double {
        precondition(maxOrder >= 1, "BLEU needs maxOrder ≥ 1")
        guard !references.isEmpty else { return 0 }
        var matches = [Int](repeating: 0, count: maxOrder)
        for n in 1 ... maxOrder {
            let hypCounts = ngramCounts(hypothesis, n: n)
            guard !hypCounts.isEmpty else { continue }
            var maxRef: [ArraySlice<T>: Int] = [:]
            for reference in references {
                for (gram, count) in ngramCounts(reference, n: n) where hypCounts[gram] != nil {
                    maxRef[gram] = max(maxRef[gram] ?? 0, count)
                }
            }
            for (gram, count) in hypCounts { matches[n - 1] += min(count, maxRef[gram] ?? 0) }
        }
        let closest = closestLength(to: hypothesis.count, among: references.map(\.count))
        return bleu(matches: matches, hypothesisLength: hypothesis.count, referenceLength: closest, epsilon: epsilon)
    }

    // MARK: self-BLEU

    /// Self-BLEU (Zhu et al. 2018, Texygen, arXiv:1802.01886): the mean over generations of
    /// `sentenceBLEU(hypothesis: g_i, references: all g_j with j ≠ i)`. 0 means no shared n-grams;
    /// 1 means every generation is duplicated elsewhere in the set. Lower is more diverse.
    ///
    /// This is Texygen's `SelfBleu.get_bleu_parallel` (hypothesis excluded from its references);
    /// Texygen's slow `get_bleu` path leaves the hypothesis among its own references, which makes
    /// every score 1 and is not reproduced. Every generation counts in the mean, including those
    /// scoring 0 (empty, or no unigram in common with the rest).
    ///
    /// Cost: n-grams are counted once per generation and interned; for every n-gram the two largest
    /// per-generation counts (and the owner of the largest) are kept, so the clip count against
    /// "all generations but i" — the largest count in any *single* other generation — is O(1):
    /// the runner-up if i owns the maximum, the maximum otherwise. The whole metric is
    /// O(total tokens × maxOrder) instead of the naive O(N² × length); 500 generations of 20 tokens
    /// take milliseconds.
    ///
    /// Self-BLEU rises with the number of generations (more references, more chances to match), so
    /// compare sets of equal size. For very large sets pass `sampleSize`: a seeded uniform subset
    /// of that many generations then plays both roles, as in Texygen's `get_bleu_fast` (which takes
    /// the first 500).
    ///
    /// - Parameters:
    ///   - generations: token sequences (ids or words), one per generation.
    ///   - maxOrder: highest n-gram order, with uniform weights (4 gives self-BLEU-4).
    ///   - epsilon: NLTK method1 smoothing count for zero-match orders.
    ///   - sampleSize: if set and smaller than the set, score a subset of this many generations.
    ///   - seed: seed of the subset draw (SplitMix64); ignored without `sampleSize`.
    /// - Returns: mean BLEU, or 0 when fewer than two generations leave nobody to compare against.
    public static func selfBLEU<T: Hashable>(_ generations: [[T]], maxOrder: Int = 4, epsilon: Double = 0.1,
                                             sampleSize: Int? = nil, seed: UInt64 = 0) -> Double {
        precondition(maxOrder >= 1, "BLEU needs maxOrder ≥ 1")
        var set = generations
        if let m = sampleSize, m >= 0, m < generations.count {
            set = sampleWithoutReplacement(generations, count: m, seed: seed)
        }
        let N = set.count
        guard N >= 2 else { return 0 }

        // Intern tokens so n-grams hash as small integer arrays whatever T is.
        var vocabulary: [T: Int32] = [:]
        let ids: [[Int32]] = set.map { g in
            g.map { token in
                if let id = vocabulary[token] { return id }
                let id = Int32(vocabulary.count)
                vocabulary[token] = id
                return id
            }
        }

        // matches[i][n-1]: clipped n-gram matches of generation i against all others.
        var matches = [[Int]](repeating: [Int](repeating: 0, count: maxOrder), count: N)
        for n in 1 ... maxOrder {
            var gramIndex: [ArraySlice<Int32>: Int] = [:]
            // Per generation: (interned gram, count within that generation).
            var perGeneration: [[(gram: Int, count: Int)]] = []
            perGeneration.reserveCapacity(N)
            var best1: [Int] = [], owner1: [Int] = [], best2: [Int] = []
            for (i, g) in ids.enumerated() {
                var local: [Int: Int] = [:]
                if g.count >= n {
                    for start in 0 ... (g.count - n) {
                        let slice = g[start ..< start + n]
                        let gram: Int
                        if let k = gramIndex[slice] {
                            gram = k
                        } else {
                            gram = gramIndex.count
                            gramIndex[slice] = gram
                            best1.append(0); owner1.append(-1); best2.append(0)
                        }
                        local[gram, default: 0] += 1
                    }
                }
                let counts = local.map { (gram: $0.key, count: $0.value) }
                for (gram, c) in counts {
                    if c > best1[gram] {
                        best2[gram] = best1[gram]
                        best1[gram] = c
                        owner1[gram] = i
                    } else if c > best2[gram] {
                        best2[gram] = c
                    }
                }
                perGeneration.append(counts)
            }
            for i in 0 ..< N {
                var m = 0
                for (gram, c) in perGeneration[i] {
                    let clip = owner1[gram] == i ? best2[gram] : best1[gram]
                    m += min(c, clip)
                }
                matches[i][n - 1] = m
            }
        }

        // Closest other length: a histogram of lengths with one copy of the hypothesis' own removed.
        var lengthCounts: [Int: Int] = [:]
        for g in set { lengthCounts[g.count, default: 0] += 1 }
        let distinctLengths = lengthCounts.keys.sorted()

        var total = 0.0
        for i in 0 ..< N {
            let c = set[i].count
            var closest = Int.max, bestGap = Int.max
            for r in distinctLengths where r != c || lengthCounts[r, default: 0] > 1 {
                let gap = abs(r - c)
                if gap < bestGap { bestGap = gap; closest = r }   // ascending r: shorter wins ties
            }
            total += bleu(matches: matches[i], hypothesisLength: c, referenceLength: closest, epsilon: epsilon)
        }
        return total / Double(N)
    }

    /// Self-BLEU of texts split on whitespace (see `whitespaceTokens(_:lowercased:)`).
    public static func selfBLEU(texts: [String], lowercased: Bool = false, maxOrder: Int = 4, epsilon: Double = 0.1,
                                sampleSize: Int? = nil, seed: UInt64 = 0) -> Double {
        selfBLEU(texts.map { whitespaceTokens($0, lowercased: lowercased) }, maxOrder: maxOrder, epsilon: epsilon,
                 sampleSize: sampleSize, seed: seed)
    }

    // MARK: Internals

    static func ngramCounts<T: Hashable>(_ tokens: [T], n: Int) -> [ArraySlice<T>: Int] {
        var counts: [ArraySlice<T>: Int] = [:]
        guard tokens.count >= n else { return counts }
        for start in 0 ... (tokens.count - n) { counts[tokens[start ..< start + n], default: 0] += 1 }
        return counts
    }

    /// NLTK's `closest_ref_length`: minimise (|r − c|, r).
    static func closestLength(to c: Int, among lengths: [Int]) -> Int {
        var closest = Int.max, bestGap = Int.max
        for r in lengths {
            let gap = abs(r - c)
            if gap < bestGap || (gap == bestGap && r < closest) { bestGap = gap; closest = r }
        }
        return closest
    }

    /// BLEU from clipped match counts per order (NLTK `corpus_bleu` on one sentence, method1).
    static func bleu(matches: [Int], hypothesisLength c: Int, referenceLength r: Int, epsilon: Double) -> Double {
        guard c > 0, let unigrams = matches.first, unigrams > 0 else { return 0 }
        let weight = 1 / Double(matches.count)
        var logSum = 0.0
        for (k, m) in matches.enumerated() {
            let denominator = Double(max(1, c - k))           // n-grams of order k+1 in the hypothesis
            let precision = m > 0 ? Double(m) / denominator : epsilon / denominator
            logSum += weight * Foundation.log(precision)
        }
        let brevity = c > r ? 1 : Foundation.exp(1 - Double(r) / Double(c))
        return brevity * Foundation.exp(logSum)
    }

    /// `count` distinct elements drawn uniformly (partial Fisher–Yates, SplitMix64), in input order.
    static func sampleWithoutReplacement<E>(_ items: [E], count m: Int, seed: UInt64) -> [E] {
        var rng = SplitMix64(seed: seed)
        var order = Array(items.indices)
        for k in 0 ..< m {
            let j = k + Int(rng.next() % UInt64(order.count - k))
            order.swapAt(k, j)
        }
        return order[0 ..< m].sorted().map { items[$0] }
    }
}
