// distinct-n and self-BLEU: hand-computed cases, the fast self-BLEU against a naive all-pairs
// computation, and NLTK/Texygen reference values from
// Tests/Fixtures/evaluation/generate_diversity.py (diversity_reference.json), matched to 1e-6.

import Foundation
import Support
import Testing
@testable import Evaluation

/// The committed reference values shared by the diversity and rank-correlation tests.
struct DiversityReference: Decodable {
    struct SentenceBLEUCase: Decodable {
        var references: [[String]]
        var hypothesis: [String]
        var max_order: Int
        var bleu: Double
    }
    struct SelfBLEUCase: Decodable {
        var name: String
        var texts: [String]
        var max_order: Int
        var self_bleu: Double
    }
    struct DistinctCase: Decodable {
        var texts: [String]
        var distinct: [Double]   // n = 1, 2, 3
    }
    struct RankCase: Decodable {
        var name: String
        var x: [Double]
        var y: [Double]
        var spearman: Double?
        var kendall_tau_b: Double?
    }
    var sentence_bleu: [SentenceBLEUCase]
    var self_bleu: [SelfBLEUCase]
    var distinct: [DistinctCase]
    var rank: [RankCase]

    static func load() throws -> DiversityReference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/evaluation/diversity_reference.json")
        return try JSONDecoder().decode(DiversityReference.self, from: Data(contentsOf: url))
    }
}

@Suite struct TextDiversityTests {
    // MARK: distinct-n

    @Test func distinctNCountsOverTheWholeSet() {
        let gens = [["a", "b", "a", "b"], ["a", "c"]]
        #expect(TextDiversity.distinctN(gens, n: 1) == 0.5)    // {a, b, c} / 6 tokens
        #expect(TextDiversity.distinctN(gens, n: 2) == 0.75)   // {ab, ba, ac} / 4 bigrams
        #expect(TextDiversity.distinctN(gens, n: 3) == 1)      // {aba, bab} / 2
        // Repeats across generations count as repeats; ids work like words.
        #expect(TextDiversity.distinctN([[1, 2, 3], [1, 2, 3]], n: 2) == 0.5)
    }

    @Test func distinctNDoesNotCrossGenerationsAndIsZeroWithoutNGrams() {
        #expect(TextDiversity.distinctN([["a"], ["b"]], n: 2) == 0)
        #expect(TextDiversity.distinctN([["a"], ["b"], ["b", "c"]], n: 2) == 1)
        #expect(TextDiversity.distinctN([[String]](), n: 1) == 0)
        #expect(TextDiversity.distinctN([[Int]](), n: 1) == 0)
    }

    @Test func textsSplitOnWhitespaceAndOptionallyLowercase() {
        #expect(TextDiversity.whitespaceTokens("  The\tcat \n sat ") == ["The", "cat", "sat"])
        #expect(TextDiversity.distinctN(texts: ["The cat", "the CAT"], n: 1) == 1)
        #expect(TextDiversity.distinctN(texts: ["The cat", "the CAT"], n: 1, lowercased: true) == 0.5)
    }

    @Test func distinctNMatchesReference() throws {
        for c in try DiversityReference.load().distinct {
            for n in 1 ... 3 {
                let d = TextDiversity.distinctN(texts: c.texts, n: n)
                #expect(abs(d - c.distinct[n - 1]) < 1e-6, "distinct-\(n) \(d) vs \(c.distinct[n - 1])")
            }
        }
    }

    // MARK: BLEU

    @Test func sentenceBLEUHandComputed() {
        #expect(TextDiversity.sentenceBLEU(hypothesis: ["a", "b", "c", "d", "e"], references: [["a", "b", "c", "d", "e"]]) == 1)
        // No unigram in common: 0, not smoothed.
        #expect(TextDiversity.sentenceBLEU(hypothesis: ["r", "s"], references: [["p", "q"]]) == 0)
        #expect(TextDiversity.sentenceBLEU(hypothesis: [String](), references: [["p"]]) == 0)
        #expect(TextDiversity.sentenceBLEU(hypothesis: ["p"], references: []) == 0)
        // "the cat" vs "the cat sat": p1 = p2 = 1, p3 = p4 = ε/1 (no trigrams at all),
        // brevity exp(1 − 3/2).
        let short = TextDiversity.sentenceBLEU(hypothesis: ["the", "cat"], references: [["the", "cat", "sat"]])
        #expect(abs(short - exp(0.5 * log(0.1)) * exp(-0.5)) < 1e-12)
        // Clipping: six "a" against a reference with four; BLEU-2:
        // p1 = 4/6, p2 = 3/5 ("a a" occurs 3 times in the reference), no brevity penalty.
        let clipped = TextDiversity.sentenceBLEU(hypothesis: Array(repeating: "a", count: 6),
                                                 references: [["a", "a", "a", "a", "b"]], maxOrder: 2)
        #expect(abs(clipped - (4.0 / 6 * 3.0 / 5).squareRoot()) < 1e-12)
        // Zero 3- and 4-gram matches are smoothed to ε / (number of hypothesis n-grams).
        let smoothed = TextDiversity.sentenceBLEU(hypothesis: ["a", "b", "c", "x"], references: [["a", "b", "c", "d"]])
        #expect(abs(smoothed - pow(3.0 / 4 * 2.0 / 3 * 1.0 / 2 * 0.1 / 1, 0.25)) < 1e-12)
        let smoothed5 = TextDiversity.sentenceBLEU(hypothesis: ["a", "b", "x", "y", "z"], references: [["a", "b", "c", "d", "e"]])
        #expect(abs(smoothed5 - pow(2.0 / 5 * 1.0 / 4 * 0.1 / 3 * 0.1 / 2, 0.25)) < 1e-12)
    }

    @Test func sentenceBLEUMatchesNLTK() throws {
        for c in try DiversityReference.load().sentence_bleu {
            let b = TextDiversity.sentenceBLEU(hypothesis: c.hypothesis, references: c.references, maxOrder: c.max_order)
            #expect(abs(b - c.bleu) < 1e-6, "\(c.hypothesis) vs \(c.references): \(b) vs NLTK \(c.bleu)")
        }
    }

    // MARK: self-BLEU

    @Test func selfBLEUExtremes() {
        let same = Array(repeating: ["a", "b", "c", "d", "e"], count: 3)
        #expect(TextDiversity.selfBLEU(same) == 1)
        #expect(TextDiversity.selfBLEU([["a", "b"], ["c", "d"], ["e"]]) == 0)
        #expect(TextDiversity.selfBLEU([["a", "b", "c"]]) == 0)        // nobody to compare against
        #expect(TextDiversity.selfBLEU([[Int]]()) == 0)
        // One duplicated pair and an unrelated text: (1 + 1 + 0) / 3.
        let pair = TextDiversity.selfBLEU([[1, 2, 3, 4], [1, 2, 3, 4], [7, 8, 9, 10]])
        #expect(abs(pair - 2.0 / 3) < 1e-12)
    }

    /// The top-2 clip counts must give exactly what all-pairs clipping against the others gives,
    /// including when the maximum count is shared or owned by the hypothesis itself.
    @Test func fastSelfBLEUEqualsAllPairsDefinition() {
        var rng = SplitMix64(seed: 11)
        for (count, vocabulary, maxLength) in [(30, 4, 10), (25, 10, 16), (12, 3, 6)] {
            let gens: [[Int]] = (0 ..< count).map { _ in
                (0 ..< Int(rng.next() % UInt64(maxLength + 1))).map { _ in Int(rng.next() % UInt64(vocabulary)) }
            }
            for order in [2, 4] {
                var naive = 0.0
                for i in gens.indices {
                    var others = gens
                    others.remove(at: i)
                    naive += TextDiversity.sentenceBLEU(hypothesis: gens[i], references: others, maxOrder: order)
                }
                naive /= Double(gens.count)
                let fast = TextDiversity.selfBLEU(gens, maxOrder: order)
                #expect(abs(fast - naive) < 1e-12, "count \(count) order \(order): \(fast) vs \(naive)")
                #expect(fast > 0 && fast < 1)
            }
        }
    }

    @Test func selfBLEUMatchesTexygenReference() throws {
        for c in try DiversityReference.load().self_bleu {
            let s = TextDiversity.selfBLEU(texts: c.texts, maxOrder: c.max_order)
            #expect(abs(s - c.self_bleu) < 1e-6, "\(c.name): \(s) vs reference \(c.self_bleu)")
        }
    }

    @Test func wordsAndTokenIDsGiveTheSameScores() throws {
        let texts = try #require(DiversityReference.load().self_bleu.first { $0.name == "random-1" }).texts
        let words = texts.map { TextDiversity.whitespaceTokens($0) }
        var vocabulary: [String: Int] = [:]
        for w in words.joined() where vocabulary[w] == nil { vocabulary[w] = vocabulary.count }
        let ids = words.map { $0.map { vocabulary[$0] ?? -1 } }
        #expect(TextDiversity.selfBLEU(ids) == TextDiversity.selfBLEU(words))
        #expect(TextDiversity.distinctN(ids, n: 2) == TextDiversity.distinctN(words, n: 2))
    }

    @Test func sampledSelfBLEUScoresASeededSubset() {
        var rng = SplitMix64(seed: 5)
        let gens: [[Int]] = (0 ..< 80).map { _ in (0 ..< 8).map { _ in Int(rng.next() % 9) } }
        let full = TextDiversity.selfBLEU(gens)
        #expect(TextDiversity.selfBLEU(gens, sampleSize: 80) == full)
        #expect(TextDiversity.selfBLEU(gens, sampleSize: 500) == full)

        let subset = TextDiversity.sampleWithoutReplacement(Array(gens.indices), count: 20, seed: 3)
        #expect(subset.count == 20 && Set(subset).count == 20 && subset == subset.sorted())
        let sampled = TextDiversity.selfBLEU(gens, sampleSize: 20, seed: 3)
        #expect(sampled == TextDiversity.selfBLEU(subset.map { gens[$0] }))
        #expect(sampled == TextDiversity.selfBLEU(gens, sampleSize: 20, seed: 3))
        #expect(TextDiversity.sampleWithoutReplacement(Array(gens.indices), count: 20, seed: 4) != subset)
        // Fewer references, fewer chances to match: the subset scores lower than the full set.
        #expect(sampled < full)
    }

    /// 500 generations of 20 tokens, the size of a sentiment evaluation: linear-time self-BLEU.
    @Test func selfBLEUScalesToAnEvaluationSet() {
        var rng = SplitMix64(seed: 9)
        let gens: [[Int]] = (0 ..< 500).map { _ in (0 ..< 20).map { _ in Int(rng.next() % 300) } }
        let clock = ContinuousClock()
        var score = 0.0
        let elapsed = clock.measure { score = TextDiversity.selfBLEU(gens) }
        #expect(score > 0 && score < 1)
        #expect(elapsed < .seconds(2), "self-BLEU of 500×20 took \(elapsed)")
    }
}
