// `tokenalign credit` and `tokenalign eval credit` end to end on the tiny GPT-2 fixture.
import Foundation
import Testing
import Tokenizers
@testable import TokenAlignCLI

@Suite(.serialized) struct CreditCommandTests {
    /// The `confidence` source is log π(y_t): it must equal what `tokenalign score` writes for the
    /// same prompt/completion rows (an independent code path over the same model).
    @Test func confidenceCreditEqualsScoreLogprobs() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("r.jsonl"), out = dir.appendingPathComponent("c.jsonl")
        let html = dir.appendingPathComponent("c.html"), scored = dir.appendingPathComponent("s.jsonl")
        try """
        {"prompt": "the quick", "completion": " brown fox 3", "id": "a"}
        {"prompt": "the lazy dog", "completion": " jumps over"}
        """.write(to: data, atomically: true, encoding: .utf8)
        try run(["credit", "--source", "confidence:\(dir.path)", "--tokenizer", dir.path, "--data", data.path, "--out", out.path,
                 "--html", html.path])
        try run(["score", "--model", dir.path, "--data", data.path, "--out", scored.path])
        let credit = try readJSONL(out.path).map(\.object), reference = try readJSONL(scored.path).map(\.object)
        #expect(credit.count == 2 && credit[0]["id"] as? String == "a" && credit[1]["line"] as? Int == 2)
        for (c, s) in zip(credit, reference) {
            let r = c["rewards"] as! [Double], lp = s["logprobs"] as! [Double]
            #expect(r.count == (c["ids"] as! [Int]).count && r.count == (c["tokens"] as! [String]).count)
            #expect(r.count == lp.count)
            for (x, y) in zip(r, lp) { #expect(abs(x - y) < 1e-4) }
        }
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("r.jsonl:1 (a)") && page.contains("class=\"tok\""))
    }

    @Test func evalCreditReportsProcessBenchAndPerRowPredictions() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("pb.jsonl"), out = dir.appendingPathComponent("pred.jsonl")
        try """
        {"problem": "the quick brown fox", "steps": ["jumps over", "the lazy dog 3"], "label": 1, "subset": "s1"}
        {"problem": "the lazy dog", "steps": ["tokens are", "credit 4"], "label": -1, "subset": "s1"}
        {"prompt": "the quick", "response": " brown fox 5", "first_error_char": 3, "subset": "s2"}
        {"prompt": "the quick", "response": " brown fox 6", "first_error_char": -1, "subset": "s2"}
        """.write(to: data, atomically: true, encoding: .utf8)
        try run(["eval", "credit", "--source", "entropy:\(dir.path)", "--tokenizer", dir.path, "--data", data.path,
                 "--threshold=-3", "--out", out.path, "--resamples", "20"])
        let rows = try readJSONL(out.path).map(\.object)
        #expect(rows.map { $0["label"] as! Int } == [1, -1, (rows[2]["label"] as! Int), -1])
        #expect((rows[2]["label"] as! Int) >= 0)
        for r in rows {
            let steps = r["step_scores"] as! [Double], prediction = r["prediction"] as! Int
            #expect(prediction == (steps.firstIndex { $0 < -3 } ?? -1), "the prediction is the first step below the threshold")
        }
        #expect((rows[0]["step_scores"] as! [Double]).count == 2)
        #expect((rows[2]["step_scores"] as! [Double]).count == (rows[2]["rewards"] as! [Double]).count)
    }

    @Test func badSourcesAndMismatchedTokenizersAreRefused() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("r.jsonl")
        try "{\"prompt\": \"a\", \"response\": \"b\"}\n".write(to: data, atomically: true, encoding: .utf8)
        func fails(_ args: [String], _ expected: String, code: Int32) {
            do {
                try run(["credit", "--tokenizer", dir.path, "--data", data.path, "--out", dir.appendingPathComponent("o.jsonl").path] + args)
                Issue.record("accepted \(args)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
                #expect(ExitCodes.code(for: error) == code, "\(error)")
            }
        }
        fails(["--source", "nonsense"], "confidence:MODEL", code: 64)
        fails(["--source", "confidence"], "confidence:MODEL", code: 64)
        fails(["--source", "implicit-reward:\(dir.path)"], "POLICY,REF", code: 64)
        fails(["--source", "implicit-reward:\(dir.path),\(dir.path),x"], "BETA", code: 64)
        fails(["--source", "token-rm:\(dir.path)"], "not a reward model folder", code: 64)
        // A model whose own tokenizer differs from --tokenizer.
        let other = dir.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: dir.appendingPathComponent(f), to: other.appendingPathComponent(f))
        }
        let corpus = (0 ..< 50).map { "completely different words \($0) zebra quilt" }
        try BPETrainer(vocabularySize: 500, specialTokens: ["<|endoftext|>"]).train(corpus).save(to: other.appendingPathComponent("tokenizer.json"))
        fails(["--source", "confidence:\(other.path)"], "tokenizer differs", code: 64)
        // Ids outside the tokenizer's range name the line.
        try "{\"prompt_ids\": [1], \"response_ids\": [1, 100000]}\n".write(to: data, atomically: true, encoding: .utf8)
        fails(["--source", "random"], "r.jsonl:1", code: 65)
    }
}
