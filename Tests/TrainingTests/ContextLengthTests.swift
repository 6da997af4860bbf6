import Foundation
import Testing
import Training

/// Rows longer than the model's positions are refused before any forward pass, naming the row
/// (file:line) and the way out; before this check `dpo --eval-only` read the position tables out of
/// bounds (different log-probs from run to run, sometimes NaN) and `sft` crashed.
@Suite struct ContextLengthTests {
    /// The fixture Llama has 64 positions; this completion is well over 64 tokens.
    let long = String(repeating: " the quick brown fox jumps over the lazy dog", count: 12)

    func expectRefused(_ c: TrainingConfiguration, file: String, line: Int, role: String = "policy", positions: Int = 64) {
        do {
            _ = try TrainingSetup.prepare(c)
            Issue.record("an over-long row was accepted")
        } catch {
            let m = "\(error)"
            #expect(m.contains("\(file):\(line)"), "message should name the row: \(m)")
            #expect(m.contains("\(role) model's \(positions) positions"), "message should name the limit: \(m)")
            #expect(m.contains("--max-length") && m.contains("--truncate"), "message should say how to fix it: \(m)")
        }
    }

    @Test func sftRefusesOverlongRow() throws {
        var c = TrainingConfiguration()
        c.task = .sft
        c.model = try modelFolder().path
        c.data = try writeJSONL([["prompt": "a", "completion": " fox"], ["prompt": "b", "completion": long]])
        expectRefused(c, file: c.data, line: 2)
    }

    @Test func dpoRefusesOverlongChosenOrRejected() throws {
        var c = TrainingConfiguration()
        c.task = .preference
        c.model = try modelFolder().path
        c.data = try writeJSONL([["prompt": "a", "chosen": " fox", "rejected": " dog"],
                                 ["prompt": "b", "chosen": " fox", "rejected": " dog"],
                                 ["prompt": "c", "chosen": " fox", "rejected": long]])
        expectRefused(c, file: c.data, line: 3)
    }

    @Test func evalDataIsCheckedToo() throws {
        var c = TrainingConfiguration()
        c.task = .preference
        c.model = try modelFolder().path
        c.data = try writeJSONL([["prompt": "a", "chosen": " fox", "rejected": " dog"]])
        c.evalData = try writeJSONL([["prompt": "b", "chosen": long, "rejected": " dog"]])
        expectRefused(c, file: c.evalData!, line: 1)
    }

    @Test func aShorterReferenceIsTheLimit() throws {
        // The same weights with 32 positions as the reference: a 40-token row fits the policy's 64
        // positions but not the reference's, which sets the limit.
        let ref = try modelFolder()
        let configURL = ref.appendingPathComponent("config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["max_position_embeddings"] = 32
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        var c = TrainingConfiguration()
        c.task = .preference
        c.model = try modelFolder().path
        c.ref = ref.path
        c.data = try writeJSONL([["prompt": "a", "chosen": String(repeating: " fox dog", count: 7), "rejected": " dog"]])
        expectRefused(c, file: c.data, line: 1, role: "reference", positions: 32)
    }

    @Test func ktoBoundsMismatchedPairs() throws {
        // Each row fits alone, but KTO's KL term joins the long prompt with the long completion.
        let half = String(repeating: " fox dog", count: 7)
        var c = TrainingConfiguration()
        c.task = .preference
        c.loss = ["kto"]
        c.model = try modelFolder().path
        c.data = try writeJSONL([["prompt": "a" + half, "completion": " x", "label": true],
                                 ["prompt": "b", "completion": half, "label": false]])
        do {
            _ = try TrainingSetup.prepare(c)
            Issue.record("KTO's mismatched pairs exceed the context but were accepted")
        } catch {
            let m = "\(error)"
            #expect(m.contains("KTO") && m.contains("\(c.data):1") && m.contains("\(c.data):2"), "\(m)")
        }
    }

    @Test func explicitTruncationTrainsAndIsDeterministic() throws {
        var c = TrainingConfiguration()
        c.task = .preference
        c.model = try modelFolder().path
        c.data = try writeJSONL([["prompt": "a", "chosen": " fox", "rejected": long],
                                 ["prompt": "b", "chosen": long, "rejected": " dog"]])
        c.maxLength = 64
        c.truncate = true
        c.batchSize = 2
        c.maxSteps = 1
        let a = try TrainingSetup.prepare(c).trainer.evaluate()
        let b = try TrainingSetup.prepare(c).trainer.evaluate()
        #expect(a == b && a.values.allSatisfy(\.isFinite), "\(a) vs \(b)")
    }
}
