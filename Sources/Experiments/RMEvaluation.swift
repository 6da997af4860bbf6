// `tokenalign eval rm`: score every response of a benchmark file once, then apply the chosen
// benchmark's scoring (Evaluation/RewardBench*.swift, RMBench.swift), the length analysis, and,
// on request, the paraphrase-free robustness transformations (each a full re-scoring).
import Datasets
import Evaluation
import Foundation

public struct RMEvalReport: Sendable, Equatable, Codable {
    public var scorer: String
    public var scoring: String
    public var rows: Int
    /// Strict accuracy over the pairs view (see `RMEvaluation.pairs`).
    public var pairAccuracy: Double
    public var pairs: Int
    public var rewardBench: RewardBench.Result?
    public var rewardBench2: RewardBench2.Result?
    /// RM-Bench per domain (subset), and "all".
    public var rmBench: [String: RMBench.Result]?
    public var length: LengthBias
    /// Per transformation, the paired accuracy drop on the pairs view.
    public var robustness: [String: PairedDrop]?
}

/// Scores of one row's responses, in the row's order.
public struct RMRowScores: Sendable, Equatable {
    public var chosen: [Double]
    public var rejected: [Double]
}

public enum RMEvaluation {
    /// The row's pairs that the length and robustness analyses read: chosen[i] against rejected[i]
    /// for RM-Bench (same style), chosen[0] against every rejected response otherwise.
    static func pairs(_ row: RMBenchRow, scoring: RMScoring) -> [(c: Int, r: Int)] {
        scoring == .rmBench ? row.chosen.indices.map { ($0, $0) } : row.rejected.indices.map { (0, $0) }
    }

    /// Checks that each row fits the scoring's layout.
    public static func validate(_ rows: [RMBenchRow], scoring: RMScoring) throws {
        for row in rows {
            switch scoring {
            case .rb1:
                guard row.chosen.count == 1 else {
                    throw RMEvalError.data("\(row.location): field \"chosen\": RewardBench v1 rows have one chosen response, got \(row.chosen.count) (use --scoring rb2 or rm-bench)")
                }
            case .rb2:
                if row.subset.lowercased() == "ties", row.id == nil {
                    throw DatasetError.missingField(row.location, field: "id")
                }
            case .rmBench:
                guard row.chosen.count == row.rejected.count, row.chosen.count >= 2 else {
                    throw RMEvalError.data("\(row.location): field \"rejected\": RM-Bench rows need as many rejected as chosen responses (≥ 2, one per style), got \(row.chosen.count) chosen and \(row.rejected.count) rejected")
                }
            }
        }
    }

    /// Every response of every row scored once, with `transform` applied to the responses;
    /// `reversed` scores each row's responses rejected-first.
    public static func score(_ rows: [RMBenchRow], scorer: any ResponseScorer, transform: RobustnessTransform? = nil) throws -> [RMRowScores] {
        var items: [(prompt: String, response: String)] = [], where_: [(row: Int, chosen: Bool, k: Int)] = []
        let reversed = transform == .answerOrder
        for (i, row) in rows.enumerated() {
            var mine: [(Bool, Int)] = row.chosen.indices.map { (true, $0) } + row.rejected.indices.map { (false, $0) }
            if reversed { mine.reverse() }
            for (isChosen, k) in mine {
                let text = isChosen ? row.chosen[k] : row.rejected[k]
                items.append((row.prompt, transform?.apply(text) ?? text))
                where_.append((i, isChosen, k))
            }
        }
        let s = try scorer.scores(items) { rows[where_[$0].row].location }
        var out = rows.map { RMRowScores(chosen: [Double](repeating: 0, count: $0.chosen.count), rejected: [Double](repeating: 0, count: $0.rejected.count)) }
        for (j, w) in where_.enumerated() {
            guard s[j].isFinite else { throw RMEvalError.data("\(rows[w.row].location): the score of a response is \(s[j])") }
            if w.chosen { out[w.row].chosen[w.k] = s[j] } else { out[w.row].rejected[w.k] = s[j] }
        }
        return out
    }

    /// Strict correctness of each pair of the pairs view, flattened row by row.
    static func pairCorrectness(_ rows: [RMBenchRow], _ scores: [RMRowScores], scoring: RMScoring) -> [Bool] {
        rows.indices.flatMap { i in pairs(rows[i], scoring: scoring).map { RewardBench.pairCorrect(chosen: scores[i].chosen[$0.c], rejected: scores[i].rejected[$0.r]) } }
    }

    /// The benchmark's scores, the length analysis and (with `transforms`) the robustness drops.
    public static func evaluate(_ rows: [RMBenchRow], scores: [RMRowScores], scoring: RMScoring, scorer: String,
                                robustness: [RobustnessTransform: [RMRowScores]] = [:]) throws -> RMEvalReport {
        let correct = pairCorrectness(rows, scores, scoring: scoring)
        var cl: [Int] = [], rl: [Int] = [], cs: [Double] = [], rs: [Double] = []
        for (i, row) in rows.enumerated() {
            for p in pairs(row, scoring: scoring) {
                cl.append(row.chosen[p.c].unicodeScalars.count)
                rl.append(row.rejected[p.r].unicodeScalars.count)
                cs.append(scores[i].chosen[p.c])
                rs.append(scores[i].rejected[p.r])
            }
        }
        var report = RMEvalReport(scorer: scorer, scoring: scoring.rawValue, rows: rows.count,
                                  pairAccuracy: correct.isEmpty ? 0 : Double(correct.filter { $0 }.count) / Double(correct.count),
                                  pairs: correct.count,
                                  length: LengthBias(chosenLength: cl, rejectedLength: rl, chosenScore: cs, rejectedScore: rs, correct: correct))
        switch scoring {
        case .rb1:
            var subsets: [String] = [], results: [Bool] = []
            for (i, row) in rows.enumerated() {
                for r in row.rejected.indices {
                    subsets.append(row.subset)
                    results.append(RewardBench.pairCorrect(chosen: scores[i].chosen[0], rejected: scores[i].rejected[r]))
                }
            }
            report.rewardBench = RewardBench.score(subsets: subsets, correct: results)
        case .rb2:
            let groups = rows.indices.map { i in
                RewardBench2.Group(subset: rows[i].subset, id: rows[i].id, scores: scores[i].chosen + scores[i].rejected, numCorrect: rows[i].chosen.count)
            }
            do { report.rewardBench2 = try RewardBench2.score(groups) } catch let e as RewardBench2.BadTiesID {
                let row = rows.first { $0.id == e.id }
                throw RMEvalError.data("\(row.map { "\($0.location)" } ?? "Ties subset"): field \"id\": \(e)")
            }
        case .rmBench:
            var bench: [String: RMBench.Result] = [:]
            let k = rows[0].chosen.count
            guard rows.allSatisfy({ $0.chosen.count == k }) else {
                let bad = rows.first { $0.chosen.count != k }!
                throw RMEvalError.data("\(bad.location): field \"chosen\": \(bad.chosen.count) styles where the first row has \(k)")
            }
            for d in Set(rows.map(\.subset)).sorted() {
                let idx = rows.indices.filter { rows[$0].subset == d }
                bench[d] = RMBench.score(chosen: idx.map { scores[$0].chosen }, rejected: idx.map { scores[$0].rejected })
            }
            bench["all"] = RMBench.score(chosen: scores.map(\.chosen), rejected: scores.map(\.rejected))
            report.rmBench = bench
        }
        if !robustness.isEmpty {
            var drops: [String: PairedDrop] = [:]
            for (t, s) in robustness { drops[t.rawValue] = PairedDrop(original: correct, transformed: pairCorrectness(rows, s, scoring: scoring)) }
            report.robustness = drops
        }
        return report
    }

    /// Validates, scores, and evaluates (with every robustness transform when `robustness`).
    public static func run(_ rows: [RMBenchRow], scorer: any ResponseScorer, scoring: RMScoring, robustness: Bool) throws -> (report: RMEvalReport, scores: [RMRowScores]) {
        try validate(rows, scoring: scoring)
        let s = try score(rows, scorer: scorer)
        var r: [RobustnessTransform: [RMRowScores]] = [:]
        if robustness { for t in RobustnessTransform.allCases { r[t] = try score(rows, scorer: scorer, transform: t) } }
        return (try evaluate(rows, scores: s, scoring: scoring, scorer: scorer.name, robustness: r), s)
    }
}
