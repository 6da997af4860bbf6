// The `tldr` and `minimal-edit` reward-model kinds (docs/design/rewards.md §7): minimal-edit labels
// and the response scores against the committed numpy reference, each kind's data contract (rows
// without its annotations are refused, naming the row), the response score a trained folder
// records, and the refusal of token labels made with another tokenizer.
import Datasets
import Foundation
import Testing
import TestSupport
import Tokenizers
@testable import Training

@Suite struct TokenLabelKindTests {
    static func reference() throws -> [String: Any] {
        let url = fixtures.appendingPathComponent("rewards/token_labels/token_labels.json")
        return try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test func minimalEditLabelsMatchTheNumpyReference() throws {
        let edits = try #require(try Self.reference()["edits"] as? [[String: Any]])
        #expect(edits.count >= 30)
        for e in edits {
            let a = try #require(e["rejected"] as? [Int]), b = try #require(e["edited"] as? [Int])
            let l = try MinimalEditLabels.labels(rejected: a, edited: b)
            #expect(l.rejectedLabels == (try #require(e["rejected_labels"] as? [Double])).map { Float($0) }, "\(a) → \(b)")
            #expect(l.editedLabels == (try #require(e["edited_labels"] as? [Double])).map { Float($0) }, "\(a) → \(b)")
            #expect(l.distance == e["distance"] as? Int)
        }
    }

    @Test func responseScoresMatchTheNumpyReference() throws {
        let cases = try #require(try Self.reference()["scores"] as? [[String: Any]])
        for c in cases {
            let h = try #require(c["h"] as? [Double]).map { Float($0) }
            for score in TokenResponseScore.allCases {
                let want = try #require(c[score.rawValue] as? Double)
                let got = Double(score.responseScore(h[...]))
                #expect(abs(got - want) <= 1e-5 * abs(want) + 1e-9, "\(score) of \(h): \(got) vs \(want)")
            }
            let logs = try #require(c["log_sigmoid"] as? [Double])
            for (x, y) in zip(TokenResponseScore.product.tokenRewards(h), logs) { #expect(abs(Double(x) - y) <= 1e-5 * max(1, abs(y))) }
            #expect(TokenResponseScore.sum.tokenRewards(h) == h && TokenResponseScore.mean.tokenRewards(h) == h)
        }
    }

    /// One TLDR row: " the quick dog" with only "dog" (characters 11..<14) perturbed.
    static func tldrRows(_ n: Int, offset: Int) -> [[String: Any]] {
        (0 ..< n).map { i in
            ["prompt": "tokens are \((i + offset) % 7)", "chosen": " the quick fox", "rejected": " the quick dog",
             "rejected_error_spans": [["start": 11, "end": 14, "severity": "major"]]]
        }
    }

    static func configuration(kind: String, data: [[String: Any]]) throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.task = .reward
        c.rewardKind = kind
        c.model = try modelFolder().path
        c.data = try writeJSONL(data)
        c.learningRate = 3e-3
        c.batchSize = 8
        c.maxSteps = 2
        return c
    }

    @Test func eachKindRefusesRowsWithoutItsAnnotations() throws {
        let plain = (0 ..< 8).map { ["prompt": "p \($0)", "chosen": " the quick fox", "rejected": " the lazy dog"] }
        for (kind, column, command) in [("tldr", "rejected_error_spans", "tokenalign data tldr"),
                                        ("minimal-edit", "chosen_token_rewards", "tokenalign data edit-labels")] {
            do {
                _ = try TrainingSetup.prepare(try Self.configuration(kind: kind, data: plain))
                Issue.record("--kind \(kind) accepted rows without \(column)")
            } catch let e as TrainingError {
                #expect("\(e)".contains(column) && "\(e)".contains(":1") && "\(e)".contains(command), "\(e)")
            }
        }
        // TVM's targets are probabilities: a token reward outside [0, 1] is refused.
        let tokenizer = try Tokenizer(directory: try modelFolder())
        var outside = try MinimalEditLabels.row(prompt: "p", rejected: " the lazy dog", edited: " the quick fox", editedField: "edited",
                                                tokenizer: tokenizer, at: RowLocation(file: "x", line: 1))
        var r = try #require(outside["rejected_token_rewards"] as? [Double])
        r[0] = 2
        outside["rejected_token_rewards"] = r
        let chosen = try #require(outside["chosen_token_rewards"] as? [Double])
        outside["chosen_token_rewards"] = [Double](repeating: 0.5, count: chosen.count)
        do {
            _ = try TrainingSetup.prepare(try Self.configuration(kind: "value", data: [outside]))
            Issue.record("--kind value accepted a target of 2")
        } catch let e as TrainingError {
            #expect("\(e)".contains("rejected_token_rewards") && "\(e)".contains("outside [0, 1]"), "\(e)")
        }
        // The same rows train the `token` kind (rejected = every token bad).
        _ = try TrainingSetup.prepare(try Self.configuration(kind: "token", data: plain))
    }

    @Test func aTrainedFolderRecordsItsResponseScore() throws {
        for (kind, want) in [("tldr", TokenResponseScore.product), ("token", .mean)] {
            var c = try Self.configuration(kind: kind, data: Self.tldrRows(8, offset: 0))
            c.out = temporaryDirectory().path
            let run = try TrainingSetup.prepare(c)
            try run.trainer.run()
            var p = run.pretrained
            p.tokenizer = run.tokenizer
            let folder = URL(fileURLWithPath: c.out).appendingPathComponent("model")
            try run.trainer.saveModel(p, to: folder)
            #expect(try TokenResponseScore.of(folder: folder.path) == want, "\(kind)")
        }
    }

    @Test func editLabelRowsCarryTheirTokensAndRefuseAnotherTokenizer() throws {
        let tokenizer = try Tokenizer(directory: try modelFolder())
        let at = RowLocation(file: "pairs.jsonl", line: 3)
        let row = try MinimalEditLabels.row(prompt: "12+30=", rejected: "41\n", edited: "42\n", editedField: "edited", tokenizer: tokenizer, at: at)
        let rejectedIDs = try #require(row["rejected_token_ids"] as? [Int]), rewards = try #require(row["rejected_token_rewards"] as? [Double])
        #expect(rewards.count == rejectedIDs.count && rewards.contains(-1) && !rewards.contains(1))
        #expect(try #require(row["chosen_token_rewards"] as? [Double]).contains(1))
        // The rows load with this tokenizer, the rewards on the completion's tokens.
        let encoder = DatasetEncoder(tokenizer: tokenizer)
        let pair = try DatasetLoader.preferences(try writeJSONL([row]), encoder: encoder).examples[0]
        let r = try #require(pair.rejected.tokenRewards)
        #expect(Array(r[pair.rejected.promptLength ..< pair.rejected.promptLength + rewards.count]) == rewards.map { Float($0) })
        // Another tokenizer would write other ids: the row is refused, naming the column.
        var tampered = row
        tampered["rejected_token_ids"] = rejectedIDs.map { ($0 + 1) % tokenizer.vocabularySize }
        do {
            _ = try DatasetLoader.preferences(try writeJSONL([tampered]), encoder: encoder)
            Issue.record("labels made with another tokenizer were accepted")
        } catch let e as DatasetError {
            #expect("\(e)".contains("rejected_token_ids") && "\(e)".contains("another tokenizer"), "\(e)")
        }
    }

    @Test func editLabelInputErrorsNameTheLineAndColumn() throws {
        let tokenizer = try Tokenizer(directory: try modelFolder())
        let path = try writeJSONL([["prompt": "a", "rejected": " x", "fixed": " y"], ["prompt": "b", "rejected": " x"]])
        do {
            _ = try MinimalEditLabels.rows(path: path, editedColumn: "fixed", tokenizer: tokenizer)
            Issue.record("a row without the edited column was accepted")
        } catch let e as DatasetError {
            #expect("\(e)".contains(":2") && "\(e)".contains("fixed"), "\(e)")
        }
        let same = try writeJSONL([["prompt": "a", "rejected": " x", "fixed": " x"]])
        #expect(throws: DatasetError.self) { try MinimalEditLabels.rows(path: same, editedColumn: "fixed", tokenizer: tokenizer) }
    }

    /// The commands' exit codes (README, "Exit codes"): a data error names the line and the column
    /// (65), a usage error the flag (64).
    @Test func commandsExitWithTheConvention() throws {
        let model = try modelFolder().path
        let pairs = try writeJSONL([["prompt": "a", "rejected": " x", "fixed": " y"], ["prompt": "b", "rejected": " x"]])
        let out = temporaryDirectory().path + ".jsonl"
        let missing = try runCLIStatus(["data", "edit-labels", "--data", pairs, "--edited", "fixed", "--model", model, "--out", out])
        #expect(missing.status == 65 && missing.stderr.contains(":2") && missing.stderr.contains("'fixed'"), "\(missing)")
        let noData = try runCLIStatus(["data", "tldr", "--from", "sentiment", "--out", out])
        #expect(noData.status == 64 && noData.stderr.contains("--data"), "\(noData)")
        let made = try runCLIStatus(["data", "tldr", "--from", "creditbench", "--task", "sort", "--count", "8", "--out", out])
        #expect(made.status == 0, "\(made)")
        #expect(try TestFiles.readRows(out).allSatisfy { ($0["rejected_error_spans"] as? [Any])?.isEmpty == false })
        let plain = try syntheticPreferences(train: 4, heldOut: 2).train
        let refused = try runCLIStatus(["reward", "--model", model, "--data", plain, "--kind", "tldr", "--max-steps", "1"])
        #expect(refused.status == 64 && refused.stderr.contains("rejected_error_spans"), "\(refused)")
    }
}
