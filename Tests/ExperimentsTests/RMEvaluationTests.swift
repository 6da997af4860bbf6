// `RMEvaluation` with scorers defined by functions: what each benchmark layout is scored as, the
// robustness transformations on a casing-sensitive scorer, the analogue builder's truth, and the
// row errors that name the line and the field.
import CreditBench
import Datasets
import Foundation
import Rewards
import Testing
@testable import Evaluation
@testable import Experiments

@Suite struct RMEvaluationTests {
    static func row(_ line: Int, _ chosen: [String], _ rejected: [String], subset: String = "s", id: String? = nil) -> RMBenchRow {
        RMBenchRow(location: RowLocation(file: "b.jsonl", line: line), prompt: "p", chosen: chosen, rejected: rejected, subset: subset, id: id)
    }

    /// Scores = number of "+" in the response, so accuracy is known by construction.
    static var plusCounter: FunctionScorer { FunctionScorer(name: "plus") { _, r in Double(r.filter { $0 == "+" }.count) } }

    @Test func rewardBenchV1Layout() throws {
        let rows = [Self.row(1, ["++"], ["+"], subset: "math-prm"), Self.row(2, ["+"], ["+"], subset: "math-prm"),
                    Self.row(3, ["++"], ["", "+++"], subset: "hep-go")]
        let (r, s) = try RMEvaluation.run(rows, scorer: Self.plusCounter, scoring: .rb1, robustness: false)
        #expect(s[2].rejected == [0, 3])
        let b = try #require(r.rewardBench)
        #expect(b.subsets == ["math-prm": 0.5, "hep-go": 0.5])
        #expect(b.pairs == 4 && r.pairs == 4 && r.pairAccuracy == 0.5)
        #expect(abs(b.sections["Reasoning"]! - 0.5) < 1e-12)
    }

    @Test func rewardBench2Layout() throws {
        let rows = [Self.row(1, ["+++"], ["+", "++", ""], subset: "Math"), Self.row(2, ["++"], ["++", "+", ""], subset: "Math")]
        let (r, _) = try RMEvaluation.run(rows, scorer: Self.plusCounter, scoring: .rb2, robustness: false)
        #expect(r.rewardBench2?.subsets == ["Math": 0.75])
        #expect(throws: DatasetError.self) {
            try RMEvaluation.run([Self.row(4, ["+"], [""], subset: "Ties")], scorer: Self.plusCounter, scoring: .rb2, robustness: false)
        }
    }

    @Test func rmBenchLayoutAndTheStyleMatrix() throws {
        let rows = [Self.row(1, ["+", "++", "+++"], ["", "+", "++"], subset: "chat")]
        let (r, _) = try RMEvaluation.run(rows, scorer: Self.plusCounter, scoring: .rmBench, robustness: false)
        let m = try #require(r.rmBench?["chat"])
        #expect(m.normal == 1 && m.easy == 1 && m.hard == 0)
        #expect(r.rmBench?["all"] == m)
        #expect(throws: RMEvalError.self) {
            try RMEvaluation.run([Self.row(2, ["+", "++"], ["+"])], scorer: Self.plusCounter, scoring: .rmBench, robustness: false)
        }
    }

    /// A scorer that counts upper-case letters is fooled by `casing` (everything ties) and by
    /// nothing else here.
    @Test func robustnessDropsArePaired() throws {
        let upper = FunctionScorer(name: "upper") { _, r in Double(r.filter(\.isUppercase).count) }
        let rows = [Self.row(1, ["Good, answer"], ["good, answer"]), Self.row(2, ["Fine"], ["nope"])]
        let (r, _) = try RMEvaluation.run(rows, scorer: upper, scoring: .rb1, robustness: true)
        let drops = try #require(r.robustness)
        #expect(Set(drops.keys) == Set(RobustnessTransform.allCases.map(\.rawValue)))
        #expect(drops["casing"]?.drop == 1 && drops["casing"]?.lost == 2)
        for t in ["whitespace", "punctuation", "format", "answer-order"] { #expect(drops[t]?.drop == 0, "\(t)") }
    }

    @Test func ensembleOfIdenticalScorersEqualsTheScorer() throws {
        let rows = [Self.row(1, ["++"], ["+"]), Self.row(2, ["+"], ["+++"])]
        let one = try RMEvaluation.score(rows, scorer: Self.plusCounter)
        for mode: EnsembleAggregationName in [.mean, .median, .min, .meanStd, .uwo] {
            let ens = EnsembleScorer(members: [Self.plusCounter, Self.plusCounter], aggregation: mode.aggregation)
            #expect(try RMEvaluation.score(rows, scorer: ens) == one)
        }
    }

    @Test func rowsNameTheLineAndTheMissingField() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rb-\(UUID().uuidString).jsonl")
        try Data("{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"subset\": \"s\"}\n{\"prompt\": \"p\", \"chosen\": \"a\", \"subset\": \"s\"}\n".utf8).write(to: url)
        #expect(throws: DatasetError.missingField(RowLocation(file: url.path, line: 2), field: "rejected")) { try RMBenchRow.read(url.path) }
        try Data("{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": [\"b\", 3], \"subset\": \"s\"}\n".utf8).write(to: url)
        #expect(throws: DatasetError.wrongType(RowLocation(file: url.path, line: 1), field: "rejected[1]", expected: "a string")) { try RMBenchRow.read(url.path) }
    }

    /// The sentiment analogue's rule: best against worst continuation by the score, only when the
    /// gap reaches the margin.
    @Test func rankedAnalogueKeepsBestAgainstWorst() {
        let score: (String) -> Double = { Double($0.count) }
        let rows = RMBenchBuilder.ranked(prompts: ["a", "b"], continuations: [["xx", "x", "xxxx"], ["yy", "y"]], score: score, minimumMargin: 2)
        #expect(rows.count == 1)
        #expect(rows.first?["chosen"] as? String == "xxxx" && rows.first?["rejected"] as? String == "x")
        #expect(rows.first?["subset"] as? String == "sentiment" && rows.first?["prompt"] as? String == "a")
    }

    /// The CreditBench analogue: every chosen response passes the verifier, every rejected fails.
    @Test func creditBenchAnalogueHasKnownTruth() throws {
        let rows = try RMBenchBuilder.creditBench(tasks: [.add, .sort], n: 5, seed: 4, rejectedPerPrompt: 3)
        #expect(rows.count == 10)
        let add = try CreditTaskName.add.task(), sort = try CreditTaskName.sort.task()
        for r in rows {
            let task = (r["subset"] as? String) == "creditbench-add" ? add : sort
            let ex = try task.example(fromPrompt: r["prompt"] as! String)
            #expect(task.verify(r["chosen"] as! String, for: ex).isCorrect)
            let rejected = r["rejected"] as! [String]
            #expect(!rejected.isEmpty && Set(rejected).count == rejected.count)
            for x in rejected { #expect(!task.verify(x, for: ex).isCorrect) }
        }
        // Same seed, same rows.
        let again = try RMBenchBuilder.creditBench(tasks: [.add, .sort], n: 5, seed: 4, rejectedPerPrompt: 3)
        #expect(again.map { $0["rejected"] as! [String] } == rows.map { $0["rejected"] as! [String] })
    }
}

/// The registry's modes by name, for the test loop.
enum EnsembleAggregationName: CaseIterable {
    case mean, median, min, meanStd, uwo
    var aggregation: EnsembleAggregation {
        switch self {
        case .mean: .mean
        case .median: .median
        case .min: .min
        case .meanStd: .meanMinusStd(lambda: 2)
        case .uwo: .uncertaintyWeighted(lambda: 2)
        }
    }
}
