// RewardBench v1/v2 scoring against the reference functions' outputs
// (Tests/Fixtures/evaluation/generate_rewardbench_fixture.py → rewardbench_reference.json), and
// hand-computed examples of the tie conventions, the Ties formula and RM-Bench's matrix.

import Foundation
import Testing
@testable import Evaluation

struct RewardBenchReference: Decodable {
    struct Pair: Decodable { var subset: String; var chosen: Double; var rejected: Double }
    struct V1Case: Decodable {
        var name: String
        var pairs: [Pair]
        var subset_accuracy: [String: Double]
        var sections: [String: Double]
        var prior_sets: Double?
        var score: Double
        var accuracy: Double
    }
    struct V2Group: Decodable { var subset: String; var id: String; var num_correct: Int; var scores: [Double] }
    struct V2: Decodable { var groups: [V2Group]; var row_results: [Double]; var subset_scores: [String: Double] }
    var v1: [V1Case]
    var v1_sections_with_one_subset: [String: Double]
    var v2: V2

    static func load() throws -> RewardBenchReference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/evaluation/rewardbench_reference.json")
        return try JSONDecoder().decode(RewardBenchReference.self, from: Data(contentsOf: url))
    }
}

@Suite struct RewardBenchV1Tests {
    @Test func matchesTheReferenceScoring() throws {
        let ref = try RewardBenchReference.load()
        #expect(ref.v1.count == 3)
        for c in ref.v1 {
            let r = RewardBench.score(subsets: c.pairs.map(\.subset),
                                      correct: c.pairs.map { RewardBench.pairCorrect(chosen: $0.chosen, rejected: $0.rejected) })
            #expect(r.subsets.count == c.subset_accuracy.count, "\(c.name)")
            for (s, a) in c.subset_accuracy { #expect(abs((r.subsets[s] ?? -1) - a) < 1e-12, "\(c.name) \(s)") }
            #expect(r.sections.count == 4)
            for (s, a) in c.sections { #expect(abs((r.sections[s] ?? -1) - a) < 1e-12, "\(c.name) \(s)") }
            #expect(r.priorSets.map { abs($0 - (c.prior_sets ?? .nan)) < 1e-12 } ?? (c.prior_sets == nil), "\(c.name) prior sets")
            #expect(abs((r.score ?? -1) - c.score) < 1e-12, "\(c.name) score \(String(describing: r.score)) vs \(c.score)")
            #expect(abs(r.accuracy - c.accuracy) < 1e-12)
        }
    }

    @Test func absentSectionsAreLeftOutWhereTheReferenceWritesZero() throws {
        let ref = try RewardBenchReference.load()
        #expect(ref.v1_sections_with_one_subset == ["Chat": 0.5, "Chat Hard": 0, "Safety": 0, "Reasoning": 0])
        let r = RewardBench.score(subsets: ["alpacaeval-easy", "alpacaeval-easy"], correct: [true, false])
        #expect(r.sections == ["Chat": 0.5])
        #expect(r.score == 0.5)
    }

    /// Worked example: a tie is wrong; math-prm weighs 984 against 164 per code language;
    /// overall = (2·Reasoning + 1·Prior)/3 when only those are present.
    @Test func handComputedReasoningAndPriorSets() {
        // math-prm: 1 of 2 right (one tie); hep-go: 2 of 2 right; shp: 1 of 4 right.
        let subsets = ["math-prm", "math-prm", "hep-go", "hep-go", "shp", "shp", "shp", "shp"]
        let chosen: [Double] = [1, 2, 3, 3, 1, 0, 0, 0]
        let rejected: [Double] = [0, 2, 1, 2, 0, 1, 1, 1]
        let r = RewardBench.score(subsets: subsets, correct: zip(chosen, rejected).map { RewardBench.pairCorrect(chosen: $0, rejected: $1) })
        let reasoning = (984 * 0.5 + 164 * 1.0) / (984 + 164)
        #expect(abs(r.sections["Reasoning"]! - reasoning) < 1e-12)
        #expect(r.priorSets == 0.25)
        #expect(abs(r.score! - (2 * reasoning + 0.25) / 3) < 1e-12)
        #expect(r.accuracy == 4.0 / 8)
    }
}

@Suite struct RewardBench2Tests {
    @Test func matchesTheReferenceScoring() throws {
        let ref = try RewardBenchReference.load()
        for (g, expected) in zip(ref.v2.groups, ref.v2.row_results) where g.subset != "Ties" {
            #expect(abs(RewardBench2.bestOfN(g.scores) - expected) < 1e-12, "\(g.id) \(g.scores)")
        }
        let r = try RewardBench2.score(ref.v2.groups.map { .init(subset: $0.subset, id: $0.id, scores: $0.scores, numCorrect: $0.num_correct) })
        #expect(r.subsets.count == ref.v2.subset_scores.count)
        for (s, v) in ref.v2.subset_scores { #expect(abs((r.subsets[s] ?? -1) - v) < 1e-12, "\(s): \(String(describing: r.subsets[s])) vs \(v)") }
        #expect(abs(r.score - ref.v2.subset_scores.values.reduce(0, +) / 6) < 1e-12)
    }

    /// Ties share the credit: 1/k when k completions share the chosen one's maximum.
    @Test func bestOfFourSharesTies() {
        #expect(RewardBench2.bestOfN([2, 1, 1, 0]) == 1)
        #expect(RewardBench2.bestOfN([2, 2, 1, 0]) == 0.5)
        #expect(RewardBench2.bestOfN([2, 2, 2, 2]) == 0.25)
        #expect(RewardBench2.bestOfN([1, 2, 0, 0]) == 0)
    }

    /// One question K = 0: ref:0 = correct 5 vs wrong {3, 1}; tied:0 = correct {6, 4} vs wrong {2}.
    /// cim_ref = 2, cim_tied = 2, dcm_tied = 2: both accurate; 2 > 2 is false for both preference
    /// terms; tanh(2/2 − 1) = 0. Score = 0.3 + 0.3 = 0.6.
    @Test func tiesFormulaByHand() throws {
        let g = [RewardBench2.Group(subset: "Ties", id: "ref:0", scores: [5, 3, 1], numCorrect: 1),
                 RewardBench2.Group(subset: "Ties", id: "tied:0", scores: [6, 4, 2], numCorrect: 2)]
        #expect(abs(try RewardBench2.ties(g) - 0.6) < 1e-12)
        // Lower the wrong answer of tied:0 to −1: cim_tied = 5, min(cim) = 2 still ≤ dcm 2, but
        // cim_tied 5 > 2 → +0.2; margin tanh(1 − 1) = 0. Score 0.8.
        let g2 = [g[0], RewardBench2.Group(subset: "Ties", id: "tied:0", scores: [6, 4, -1], numCorrect: 2)]
        #expect(abs(try RewardBench2.ties(g2) - 0.8) < 1e-12)
        // Raise ref's correct answer to 9 too: min(cim) = 5 > 2 → +0.2; margin 0.01·tanh(5/2 − 1).
        let g3 = [RewardBench2.Group(subset: "Ties", id: "ref:0", scores: [9, 3, 1], numCorrect: 1), g2[1]]
        #expect(abs(try RewardBench2.ties(g3) - (1.0 + 0.01 * tanh(1.5))) < 1e-12)
        #expect(throws: RewardBench2.BadTiesID.self) { try RewardBench2.ties([.init(subset: "Ties", id: "x7", scores: [1, 0], numCorrect: 1)]) }
    }
}

@Suite struct RMBenchTests {
    /// Two prompts, scores [concise, detailed, markdown]. Prompt 1: chosen (1, 2, 3), rejected
    /// (0, 1.5, 2.5): cells (i, j) right where c_i > r_j: row 0: 1>0 ✓, 1>1.5 ✗, 1>2.5 ✗; row 1: ✓ ✓ ✗;
    /// row 2: ✓ ✓ ✓. Prompt 2: chosen (1, 1, 1), rejected (1, 1, 1): nothing (ties are wrong).
    /// Matrix = half of prompt 1's: hard = (0+0+0)/3 = 0, normal = (0.5+0.5+0.5)/3 = 0.5,
    /// easy = (0.5+0.5+0.5)/3 = 0.5, average of nine cells = 3/9.
    @Test func styleMatrixByHand() {
        let r = RMBench.score(chosen: [[1, 2, 3], [1, 1, 1]], rejected: [[0, 1.5, 2.5], [1, 1, 1]])
        #expect(r.matrix == [[0.5, 0, 0], [0.5, 0.5, 0], [0.5, 0.5, 0.5]])
        #expect(r.hard == 0 && r.normal == 0.5 && r.easy == 0.5)
        #expect(abs(r.average - (r.hard + r.normal + r.easy) / 3) < 1e-12)
    }
}

@Suite struct RobustnessAndLengthTests {
    @Test func transformsKeepTheText() {
        #expect(RobustnessTransform.whitespace.apply("a b") == "a  b")
        #expect(RobustnessTransform.casing.apply("Yes, 12") == "YES, 12")
        #expect(RobustnessTransform.punctuation.apply("a,b. c!") == "a ,b . c !")
        #expect(RobustnessTransform.format.apply("42") == "Answer: 42")
        #expect(RobustnessTransform.answerOrder.apply("x y") == "x y")
    }

    @Test func pairedDropCountsFlips() {
        let d = PairedDrop(original: [true, true, false, true], transformed: [false, true, true, false])
        #expect(d.original == 0.75 && d.transformed == 0.5 && d.drop == 0.25 && d.lost == 2 && d.gained == 1)
    }

    /// A "longer is better" scorer: ρ = 1, accuracy 1 when the chosen is longer and 0 when it is
    /// shorter, length-balanced accuracy 0.5.
    @Test func lengthLoverIsCaught() {
        let cl = [5, 9, 2, 4], rl = [3, 1, 7, 4]
        let score = { (n: Int) in Double(n) }
        let correct = zip(cl, rl).map { score($0) > score($1) }
        let b = LengthBias(chosenLength: cl, rejectedLength: rl, chosenScore: cl.map(score), rejectedScore: rl.map(score), correct: correct)
        #expect(abs(b.spearman! - 1) < 1e-12)
        #expect(b.chosenLonger == 0.5)
        #expect(b.accuracyChosenLonger == 1 && b.accuracyChosenShorter == 0 && b.accuracyEqual == 0)
        #expect(b.balancedAccuracy == 0.5)
    }
}
