// The rows' `margin` and `tie` columns reach the reward losses through the trainer. The margin
// column (TRL's) was parsed but never handed to the loss: every sequence kind trained as if it were
// absent. Held-out pairs that are the same text give every pair the same reward gap d, which the
// `margin` metric reports, so the trainer's loss can be recomputed by hand from it.
import Datasets
import Foundation
import Objectives
import TestSupport
import Testing
import Training

@Suite struct PairMarginTieTests {
    static var pair: [String: Any] { ["prompt": "the quick brown", "chosen": " fox jumps", "rejected": " dog sleeps"] }

    static func configuration(eval rows: [[String: Any]], kind: String = "bradley-terry") throws -> TrainingConfiguration {
        let data = try syntheticPreferences(train: 8, heldOut: 2)
        var c = TrainingConfiguration()
        c.task = .reward
        c.rewardKind = kind
        c.model = try modelFolder().path
        c.data = data.train
        c.evalData = try TestFiles.writeRows(rows, name: "eval.jsonl")
        c.batchSize = 8
        c.maxSteps = 1
        c.seed = 3
        return c
    }

    static func softplus(_ x: Double) -> Double { max(x, 0) + log1p(exp(-abs(x))) }

    @Test(arguments: ["bradley-terry", "frozen-trunk", "haf"])
    func marginsAndTiesReachTheLoss(kind: String) throws {
        let margins: [Double] = [0, 1, -0.5, 2]
        var rows = margins.map { m -> [String: Any] in
            var r = Self.pair
            r["margin"] = m
            return r
        }
        var tie = Self.pair
        tie["tie"] = true
        rows.append(tie)
        let run = try TrainingSetup.prepare(try Self.configuration(eval: rows, kind: kind))
        let m = run.trainer.evaluate()
        // Every pair has the same gap d; the margin metric averages it over the ordered pairs.
        let d = Double(try #require(m["eval_" + MetricName.margin]))
        let expected = (margins.map { Self.softplus(-(d - $0)) }.reduce(0, +) + Self.softplus(-d) + d / 2) / 5
        let bt = Double(try #require(m["eval_loss/reward"] ?? m["eval_" + MetricName.loss]))
        #expect(abs(bt - expected) < 1e-4, "\(kind): loss \(bt), by hand \(expected) (d = \(d))")
        // Without the columns the loss is the plain one: the columns changed it.
        let plain = try TrainingSetup.prepare(try Self.configuration(eval: Array(repeating: Self.pair, count: 5), kind: kind)).trainer.evaluate()
        let p = Double(try #require(plain["eval_loss/reward"] ?? plain["eval_" + MetricName.loss]))
        #expect(abs(p - Self.softplus(-d)) < 1e-4 && abs(p - bt) > 1e-3, "\(kind): plain \(p)")
    }

    /// Objectives that do not read ties would train a tie as chosen ≻ rejected: refused, naming the row.
    @Test func tiesAreRefusedWhereNothingReadsThem() throws {
        var tie = Self.pair
        tie["tie"] = true
        for kind in ["token"] {
            var c = try Self.configuration(eval: [Self.pair, tie], kind: kind)
            c.tokenLevel = true
            #expect { try TrainingSetup.prepare(c) } throws: { "\($0)".contains("eval.jsonl:2") && "\($0)".contains("tie") }
        }
        var dpo = try Self.configuration(eval: [Self.pair, tie])
        dpo.task = .preference
        #expect { try TrainingSetup.prepare(dpo) } throws: { "\($0)".contains("eval.jsonl:2") && "\($0)".contains("tie") }
    }
}
