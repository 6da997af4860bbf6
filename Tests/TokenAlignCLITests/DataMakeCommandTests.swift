import Foundation
import TestSupport
import Testing
import Tokenizers
import Datasets
@testable import CreditBench
@testable import TokenAlignCLI

private func rows(_ url: URL) throws -> [[String: Any]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

@Suite final class DataMakeCommandTests {
    let dir: URL = {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ta-credit-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    deinit { try? FileManager.default.removeItem(at: dir) }

    @Test(arguments: CreditTaskName.allCases)
    func preferenceRowsWithTokenLabels(_ name: CreditTaskName) throws {
        let tokURL = dir.appendingPathComponent("tokenizer-\(name).json")
        try handMadeTokenizer().save(to: tokURL)
        let out = dir.appendingPathComponent("\(name).jsonl")
        try run(["data", "make", "--task", name.rawValue, "--n", "25", "--seed", "3", "--out", out.path,
                    "--kind", "preference", "--tokenizer", tokURL.path])
        let rs = try rows(out)
        #expect(rs.count == 25)
        let task = try name.task()
        for (i, r) in rs.enumerated() {
            let prompt = try #require(r["prompt"] as? String), chosen = try #require(r["chosen"] as? String)
            let rejected = try #require(r["rejected"] as? String)
            #expect(r["task"] as? String == name.rawValue)
            let ex = task.example(seed: 3, index: i)
            #expect(prompt == ex.prompt && chosen == ex.completion)
            #expect(task.verify(chosen, for: ex).isCorrect && !task.verify(rejected, for: ex).isCorrect)
            let spans = try #require(r["rejected_error_spans"] as? [[String: Any]])
            for s in spans {
                let start = try #require(s["start"] as? Int), end = try #require(s["end"] as? Int)
                #expect(0 <= start && start < end && end <= rejected.unicodeScalars.count)
                #expect(["minor", "major"].contains(s["severity"] as? String))
            }
            let first = try #require(r["rejected_first_error_char"] as? Int)
            #expect(first == task.verify(rejected, for: ex).firstError)
            let labels = try #require(r["rejected_token_labels"] as? [Int])
            let k = try #require(r["rejected_first_error_token"] as? Int)
            #expect(labels.count == TokenCredit(response: rejected, firstError: first, tokenizer: try handMadeTokenizer(), prompt: prompt).ids.count)
            #expect(k <= labels.count && labels.allSatisfy { (0 ... 2).contains($0) })
            if k < labels.count { #expect(labels[k] == 1 && labels[..<k].allSatisfy { $0 == 0 } && labels[(k + 1)...].allSatisfy { $0 == 2 }) }
            let fix = try #require(r["rejected_correction"] as? [String: Any])
            #expect(fix["replacement"] is String && fix["start"] is Int && fix["end"] is Int)
            #expect(r["rejected_error_kind"] is String)
        }
    }

    @Test func sftPromptsAndStepwiseRows() throws {
        let sft = dir.appendingPathComponent("sft.jsonl")
        try run(["data", "make", "--task", "add", "--n", "200", "--seed", "1", "--out", sft.path, "--digits", "4", "--error-rate", "0.3"])
        let s = try rows(sft)
        #expect(s.count == 200)
        let wrong = s.filter { ($0["is_correct"] as? Bool) == false }
        #expect(wrong.count > 30 && wrong.count < 90)
        #expect(wrong.allSatisfy { $0["error_kind"] is String })
        #expect(s.allSatisfy { ($0["completion"] as? String)?.hasSuffix("\n") == true && ($0["prompt"] as? String)?.count == 10 })
        // Deterministic: the same command writes the same bytes.
        let again = dir.appendingPathComponent("sft2.jsonl")
        try run(["data", "make", "--task", "add", "--n", "200", "--seed", "1", "--out", again.path, "--digits", "4", "--error-rate", "0.3"])
        #expect(try Data(contentsOf: sft) == Data(contentsOf: again))

        let prompts = dir.appendingPathComponent("prompts.jsonl")
        try run(["data", "make", "--task", "count", "--n", "10", "--out", prompts.path, "--kind", "prompts", "--length", "6"])
        let p = try rows(prompts)
        #expect(p.count == 10 && p.allSatisfy { Set($0.keys) == ["prompt", "answer", "task", "task_knobs"] })
        #expect(p.allSatisfy { ($0["task_knobs"] as? [String: Any])?["length"] as? Int == 6 })
        #expect(p.allSatisfy { ($0["answer"] as? String)?.count == 6 })

        let stepwise = dir.appendingPathComponent("steps.jsonl")
        try run(["data", "make", "--task", "chain", "--n", "40", "--out", stepwise.path, "--kind", "stepwise", "--steps", "4"])
        let st = try rows(stepwise)
        for r in st {
            let c = try #require(r["completions"] as? [String]), l = try #require(r["labels"] as? [Bool])
            #expect(c.count == 4 && l.count == 4)
            #expect(l == l.sorted(by: { $0 && !$1 }))  // true steps, then false ones
        }
        #expect(st.contains { ($0["labels"] as? [Bool])?.contains(false) == true })
        #expect(st.contains { ($0["labels"] as? [Bool])?.allSatisfy { $0 } == true })
    }

    @Test func badArgumentsAreRejected() {
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["data", "make", "--task", "nope", "--n", "1", "--out", "/tmp/x.jsonl"]) }
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["data", "make", "--task", "sort", "--n", "1", "--out", "/tmp/x.jsonl", "--kind", "stepwise"]) }
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["data", "make", "--task", "add", "--n", "1", "--out", "/tmp/x.jsonl", "--digits", "40"]) }
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["data", "make", "--task", "add", "--n", "0", "--out", "/tmp/x.jsonl"]) }
    }

    @Test func dataMakeWritesTheKnobs() throws {
        let out = TestFiles.temporaryPath("prompts.jsonl")
        try run(["data", "make", "--task", "add", "--digits", "2", "--reversed", "--kind", "prompts", "--n", "3", "--out", out])
        let rows = try JSONLReader.read(out)
        #expect(rows.count == 3)
        for r in rows {
            let knobs = try TaskKnobs(columns: r.object["task_knobs"] as! [String: Any])
            #expect(knobs.digits == 2 && knobs.reversed)
        }
        let plain = TestFiles.temporaryPath("plain.jsonl")
        try run(["data", "make", "--task", "sort", "--kind", "prompts", "--n", "2", "--out", plain])
        #expect(try JSONLReader.read(plain).allSatisfy { $0.object["task_knobs"] == nil })
    }
}

/// The preference rows load with `Datasets` (the trainers' reader), and its span-derived token
/// labels agree with our first-error token: the first labelled response token is the first error
/// (cipher spans cover whole words, so there it may start earlier).
@Suite struct DatasetsCompatibilityTests {
    @Test(arguments: CreditTaskName.allCases)
    func preferenceRowsLoadAndSpansAgreeWithTheFirstErrorToken(_ name: CreditTaskName) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-credit-ds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let tok = try handMadeTokenizer()
        let tokURL = dir.appendingPathComponent("tokenizer.json")
        try tok.save(to: tokURL)
        let out = dir.appendingPathComponent("prefs.jsonl")
        try run(["data", "make", "--task", name.rawValue, "--n", "40", "--seed", "8", "--out", out.path,
                    "--kind", "preference", "--tokenizer", tokURL.path])
        var options = EncodingOptions()
        options.appendEOS = false
        let loaded = try DatasetLoader.preferences(out.path, encoder: DatasetEncoder(tokenizer: tok, options: options))
        #expect(loaded.examples.count == 40)
        for (ex, row) in zip(loaded.examples, try rows(out)) {
            let k = try #require(row["rejected_first_error_token"] as? Int)
            let ourLabels = try #require(row["rejected_token_labels"] as? [Int])
            let rejected = ex.rejected
            #expect(rejected.ids.count - rejected.promptLength == ourLabels.count)
            let labels = try #require(rejected.tokenLabels)
            guard let firstLabelled = (rejected.promptLength ..< labels.count).first(where: { labels[$0] > 0 }) else {
                #expect(k == ourLabels.count, "no span only when the error is missing text at the end")
                continue
            }
            if name == .cipher {
                #expect(firstLabelled - rejected.promptLength <= k)
            } else {
                #expect(firstLabelled - rejected.promptLength == k, "\(row["prompt"] ?? "") \(row["rejected"] ?? "")")
            }
        }
    }
}
