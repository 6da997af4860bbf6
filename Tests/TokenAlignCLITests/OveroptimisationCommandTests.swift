// `tokenalign eval overoptimisation` refuses what it cannot measure, as usage errors naming the flag
// or setting, before loading any model; and it writes its result and report on the tiny GPT-2.
import ArgumentParser
import Foundation
import Experiments
import Testing
@testable import TokenAlignCLI

@Suite(.serialized) struct OveroptimisationCommandTests {
    func settingsError(_ args: [String]) throws -> String {
        let command = try EvalOveroptimisationCommand.parse(args)
        do {
            _ = try command.settings()
        } catch let e as ValidationError {
            return e.message
        }
        Issue.record("no error for \(args)")
        return ""
    }

    @Test func unusableSettingsAreUsageErrors() throws {
        let base = ["--model", "m", "--prompts", "p.jsonl", "--gold", "creditbench", "--out", "o"]
        #expect(try settingsError(base).contains("--proxy"))
        #expect(try settingsError(base + ["--proxy", "regex:1", "--samples", "0"]).contains("nothing to measure"))
        let yaml = FileManager.default.temporaryDirectory.appendingPathComponent("oo-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: yaml) }
        try "temperature: 0.7\n".write(to: yaml, atomically: true, encoding: .utf8)
        #expect(try settingsError(base + ["--proxy", "regex:1", "--config", yaml.path]).contains("temperature 1"))
    }

    @Test func writesTheResultAndTheReport() throws {
        let dir = try tinyModelWithTokenizer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let prompts = dir.appendingPathComponent("p.jsonl"), out = dir.appendingPathComponent("oo")
        try (0 ..< 4).map { "{\"prompt\": \"the quick \($0)\"}" }.joined(separator: "\n").write(to: prompts, atomically: true, encoding: .utf8)
        try run(["eval", "overoptimisation", "--model", dir.path, "--prompts", prompts.path, "--proxy", "regex:the", "--gold", "regex:fox",
                 "--samples", "4", "--bon-prompts", "2", "--max-completion-length", "4", "--out", out.path])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("overoptimisation.json"))) as! [String: Any]
        let curves = json["curves"] as! [[String: Any]]
        #expect(curves.count == 1 && (curves[0]["bestOfN"] as! [Any]).count == 3)
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("best-of-n, proxy regex:the") && FileManager.default.fileExists(atPath: out.appendingPathComponent("figure-1.svg").path))

        // Pooling two seeds of a run without RL steps: the summary's RL columns are NaN, written as
        // "nan" and read back (this used to stop `report overoptimisation` with "Unable to encode
        // Double.nan", as it did for any best-of-n fit without a peak).
        let second = dir.appendingPathComponent("oo1"), pooled = dir.appendingPathComponent("pooled")
        try run(["eval", "overoptimisation", "--model", dir.path, "--prompts", prompts.path, "--proxy", "regex:the", "--gold", "regex:fox",
                 "--samples", "4", "--bon-prompts", "2", "--max-completion-length", "4", "--seed", "1", "--out", second.path])
        try run(["report", "overoptimisation", "--results", out.path, "--results", second.path, "--out", pooled.path])
        let summary = try readJSON(OveroptimisationSeedSummary.self, from: pooled.appendingPathComponent("summary.json"))
        #expect(summary.rows.count == 1 && summary.rows[0].rlFinalGain.mean.isNaN && summary.rows[0].bestOfNFinalGain.mean.isFinite)
        let text = try String(contentsOf: pooled.appendingPathComponent("summary.json"), encoding: .utf8)
        #expect(text.contains("\"nan\""))
    }
}
