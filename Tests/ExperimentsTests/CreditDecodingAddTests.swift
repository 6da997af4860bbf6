// `tokenalign demo decoding --part creditbench --task add --quick`: the part runs `add` in the form
// `tokenalign demo` trains, the reversed sums, and its verifier judges that form. The quick run forms
// pairs; every prompt row carries the reversed task's knobs; the search verifier, reading a row,
// gives the task's own checker's verdict on the SFT model's own samples (the pairs) and on the
// canonical answers, and refuses a reversed prompt whose row lost its knobs; the ORM records the EOS
// it was trained after (the `rm:` scorer reads it there); the same seed gives the same bytes.
import CreditBench
import Datasets
@testable import Experiments
import Foundation
import OnlineRL
import Search
import Testing

@Suite struct CreditDecodingAddTests {
    static func quick() -> DecodingDemoSettings {
        var s = CreditDecodingDemoTests.quick()
        s.creditbench.task = "add"
        // An answer has no ';': the step searchers extend it a digit at a time.
        s.creditbench.stepTokens = 1
        return s
    }

    @Test func quickAddRunVerifiesTheReversedSumsAndIsReproducible() throws {
        let s = Self.quick()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ta-credit-decoding-add-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let a = try CreditDecodingDemo.run(s, folder: base.appendingPathComponent("a"))
        let seed = try #require(a.seeds.first)
        #expect(seed.pairs > 0 && seed.valueRows > 0 && seed.testPrompts == s.creditbench.testPrompts)
        #expect(a.runs.count == CreditDecodingMethods.all.reduce(0) { $0 + CreditDecodingMethods.budgets($1, s.creditbench).count })

        // The task the run drew its problems from: `tokenalign demo`'s reversed sums.
        let task = try #require(try s.creditbench.creditSettings(seed: 0).makeTask() as? AdditionTask)
        #expect(task.reversed)
        let folder = base.appendingPathComponent("a/seed0/data")
        let verifier = VerifierScorer(task: nil)
        var ledger = CostLedger()
        func prompt(_ row: JSONLRow, knobs: Any?) -> RLPrompt {
            var columns: [String: Any] = ["prompt": row.object["prompt"] as Any, "task": "add"]
            if let knobs { columns["task_knobs"] = knobs }
            return RLPrompt(location: row.location, text: row.object["prompt"] as? String ?? "", ids: [], columns: columns)
        }
        func texts(_ answers: [String]) -> [Answer] { answers.map { Answer(ids: [], text: $0) } }

        // Every prompt row names the reversed task; the verifier accepts its canonical answer and,
        // as the task's own checker does, rejects the sum written most-significant digit first.
        var knobs: Any?
        for file in ["test_prompts.jsonl", "value_prompts.jsonl"] {
            let rows = try JSONLReader.read(folder.appendingPathComponent(file).path)
            #expect(rows.count == (file == "test_prompts.jsonl" ? s.creditbench.testPrompts : s.creditbench.valuePrompts))
            for row in rows {
                let columns = try #require(row.object["task_knobs"] as? [String: Any], "\(file) line \(row.location.line)")
                #expect(try TaskKnobs(columns: columns) == CreditDecodingDemo.promptKnobs(s.creditbench.creditSettings(seed: 0), task: task))
                knobs = columns
                let text = try #require(row.object["prompt"] as? String)
                #expect(text.hasSuffix("r="), "\(text)")
                let example = try task.example(fromPrompt: text)
                #expect(row.object["answer"] as? String == example.answer)
                // The sum most-significant digit first, with the same terminator.
                let forward = String(example.answer.reversed()) + example.completion.dropFirst(example.answer.count)
                let answers = [example.completion, forward]
                let verdicts = try verifier.scores(prompt(row, knobs: columns), texts(answers), ledger: &ledger)
                #expect(verdicts == answers.map { task.verify($0, for: example).isCorrect ? 1 : 0 }, "\(text) \(answers)")
                #expect(verdicts[0] == 1)
                // Without its knobs the row names the unreversed task, which cannot read the prompt.
                #expect(throws: SearchError.self) {
                    var scratch = CostLedger()
                    _ = try verifier.scores(prompt(row, knobs: nil), texts(answers), ledger: &scratch)
                }
            }
        }

        // The SFT model's own samples, judged by the task's checker when the pairs were formed: the
        // verifier agrees on every one (chosen right, rejected wrong).
        let pairs = try JSONLReader.read(folder.appendingPathComponent("pairs.jsonl").path)
        #expect(pairs.count == seed.pairs)
        for row in pairs {
            let chosen = try #require(row.object["chosen"] as? String), rejected = try #require(row.object["rejected"] as? String)
            let example = try task.example(fromPrompt: try #require(row.object["prompt"] as? String))
            #expect(task.verify(chosen, for: example).isCorrect && !task.verify(rejected, for: example).isCorrect)
            #expect(try verifier.scores(prompt(row, knobs: knobs), texts([chosen, rejected]), ledger: &ledger) == [1, 0], "\(row.object)")
        }
        #expect(ledger == CostLedger(), "the verifier runs no model")

        // The ORM trained after an appended EOS and says so (the `rm:` scorer then appends it to
        // every answer); the token-target models trained without one.
        for name in ["orm", "tvm", "mrm"] {
            let config = base.appendingPathComponent("a/seed0/models/\(name)/config.json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
            #expect((object["tokenalign_append_eos"] as? Bool ?? false) == (name == "orm"), "\(name)")
        }

        // Same settings, same seed: the same results.json, byte for byte.
        _ = try CreditDecodingDemo.run(s, folder: base.appendingPathComponent("b"))
        let first = try Data(contentsOf: base.appendingPathComponent("a/results.json"))
        let second = try Data(contentsOf: base.appendingPathComponent("b/results.json"))
        #expect(first == second)
    }
}
