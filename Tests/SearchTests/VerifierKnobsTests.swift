// The verifier scorer rebuilds the task a prompt row was made by from its `task_knobs` (as the
// creditbench reward does): a reversed-addition row is verified as reversed addition, so value
// targets and verifier-scored search work on such prompt files (`demo rm --task add` listed its
// value and multifurcation kinds n/a before, because every reversed prompt failed to parse).
import CreditBench
import Datasets
import Foundation
import OnlineRL
import Search
import Testing

@Suite struct VerifierKnobsTests {
    func prompt(_ row: [String: Any]) -> RLPrompt {
        RLPrompt(location: RowLocation(file: "p.jsonl", line: 3), text: row["prompt"] as! String, ids: [1], columns: row)
    }

    @Test func reversedAdditionRowsAreVerifiedWithTheirKnobs() throws {
        var knobs = TaskKnobs()
        knobs.reversed = true
        let task = try CreditTaskName.add.task(knobs)
        let e = task.example(seed: 2, index: 5)
        let wrong = task.injectedError(for: e, seed: 2, index: 5).response
        let row = task.row(kind: .prompts, seed: 2, index: 5, knobs: knobs)
        var ledger = CostLedger()
        for scorer in [VerifierScorer(task: nil), VerifierScorer(task: .add)] {
            let scores = try scorer.scores(prompt(row), [Answer(ids: [], text: e.completion), Answer(ids: [], text: wrong)], ledger: &ledger)
            #expect(scores == [1, 0])
            // A prefix of the right answer is alive; the wrong answer's first wrong character is not.
            let first = try #require(task.verify(wrong, for: e).firstError)
            let dead = String(wrong.unicodeScalars.prefix(first + 1))
            #expect(try scorer.prefixScores(prompt(row), [Answer(ids: [], text: String(e.completion.prefix(1))), Answer(ids: [], text: dead)],
                                            ledger: &ledger) == [1, 0])
        }
        #expect(ledger.policy.tokens == 0 && ledger.scorers.values.allSatisfy { $0.tokens == 0 }, "the verifier runs no model")
        // Without the knobs the default (not reversed) task cannot read the prompt: an error naming the row.
        var plain = row
        plain["task_knobs"] = nil
        #expect { try VerifierScorer(task: nil).scores(prompt(plain), [Answer(ids: [], text: e.completion)], ledger: &ledger) }
            throws: { "\($0)".contains("p.jsonl:3") }
        // A knobs column that is not an object, or a knob out of range, names the row and the column.
        for bad in ["yes", ["digits": 99]] as [Any] {
            var r = row
            r["task_knobs"] = bad
            #expect { try VerifierScorer(task: nil).scores(prompt(r), [Answer(ids: [], text: e.completion)], ledger: &ledger) }
                throws: { "\($0)".contains("p.jsonl:3") && "\($0)".contains("task_knobs") || "\($0)".contains("digits") }
        }
    }
}
