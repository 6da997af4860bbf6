import Experiments
import Foundation
import Testing

/// `tokenalign demo rl --quick`: every stage runs, the table has every method, and a second run with
/// the same settings gives the same numbers (wall times aside).
@Suite struct RLDemoTests {
    func run(_ folder: URL) throws -> RLDemoResult {
        try RLDemo.run(.quick, folder: folder)
    }

    @Test func quickRunIsCompleteAndReproducible() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ta-rl-demo-\(UUID().uuidString)")
        let a = try run(base.appendingPathComponent("a"))
        let s = RLDemoSettings.quick
        #expect(a.rows.map(\.method) == s.methods)
        #expect(a.runs.count == s.methods.count * s.seeds.count)
        #expect(a.trainProblems == 50 && a.heldOutProblems == 50 && a.startAccuracy.count == 50)
        for r in a.runs {
            #expect(r.correct.count == 50 && r.trainCorrect.count == 50 && r.curve.first?.completions == 0 && r.curve.last?.completions == s.steps * s.completionsPerStep)
            #expect(r.kl.isFinite && r.sampledTokens > 0)
        }
        for f in ["settings.json", "results.json", "report.md", "models/sft/model.safetensors", "data/train_prompts.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("a/\(f)").path), "missing \(f)")
        }
        let b = try run(base.appendingPathComponent("b"))
        #expect(a.runs.map(\.correct) == b.runs.map(\.correct))
        #expect(a.runs.map(\.kl) == b.runs.map(\.kl))
        #expect(a.runs.map(\.curve) == b.runs.map(\.curve))
    }

    @Test func settingsAreChecked() {
        var s = RLDemoSettings.quick
        s.methods = ["ktae"]
        #expect(throws: DemoError.self) { try s.validate() }
        s.methods = ["grpo", "nope"]
        #expect(throws: DemoError.self) { try s.validate() }
        s = .quick
        s.completionsPerStep = 30
        #expect(throws: DemoError.self) { try s.validate() }
    }
}
