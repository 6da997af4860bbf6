// Every demo starts through `DemoPipeline.run`, which checks the settings (`DemoContext`) before the
// run folder is touched: a refused run names the setting it refuses and leaves the folder as it was.
@testable import Experiments
import Foundation
import Testing

@Suite struct DemoPipelineTests {
    /// `P` run on `settings` over a folder holding a file of its own `data/` subfolder (which a run
    /// replaces): the refusal's text, with the file checked to be still there.
    func refusal<P: DemoPipeline>(_: P.Type, _ settings: P.Settings) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ta-pipeline-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let kept = folder.appendingPathComponent("data/kept.txt")
        try FileManager.default.createDirectory(at: kept.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "from an earlier run".write(to: kept, atomically: true, encoding: .utf8)
        var message = ""
        do {
            _ = try P.run(settings, folder: folder)
            Issue.record("\(P.self) ran on settings its validate() refuses")
        } catch DemoError.invalidSetting(let m) {
            message = m
        }
        #expect(FileManager.default.fileExists(atPath: kept.path), "\(P.self) touched the folder before refusing")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("settings.json").path))
        return message
    }

    @Test func everyDemoRefusesInvalidSettingsBeforeWritingAnything() throws {
        var credit = CreditDemoSettings.quick
        credit.methods = ["dpo", "nope"]
        #expect(try refusal(CreditDemo.self, credit).contains("unknown method 'nope'"))

        var sentiment = SentimentDemoSettings.quick
        sentiment.methods = ["nope"]
        #expect(try refusal(SentimentDemo.self, sentiment).contains("unknown method 'nope'"))

        var rl = RLDemoSettings.quick
        rl.steps = 0
        #expect(try refusal(RLDemo.self, rl).hasPrefix("steps must be an integer ≥ 1"))

        var rlSentiment = RLSentimentDemoSettings.quick
        rlSentiment.seeds = [1, 1]
        #expect(try refusal(RLSentimentDemo.self, rlSentiment).hasPrefix("seeds: each seed once"))

        var decoding = DecodingDemoSettings.quick
        decoding.data.testPrompts = 0
        #expect(try refusal(DecodingDemo.self, decoding).hasPrefix("test_prompts must be an integer ≥ 1"))

        // The CreditBench half reads the same settings; its own rules apply when it runs.
        var creditDecoding = DecodingDemoSettings.quick
        creditDecoding.part = "creditbench"
        creditDecoding.creditbench.rollouts = 3
        #expect(try refusal(CreditDecodingDemo.self, creditDecoding).hasPrefix("cb_rollouts must be even"))

        var rm = RMDemoSettings.quick
        rm.rmBatch = 0
        #expect(try refusal(RMDemo.self, rm).hasPrefix("rm_batch must be an integer ≥ 1"))
    }

    /// The context is the settings' only way in: making one checks them.
    @Test func aContextIsMadeOnlyFromValidSettings() throws {
        var s = RLDemoSettings.quick
        let folder = URL(fileURLWithPath: "/nonexistent")
        #expect(throws: Never.self) { _ = try DemoContext(settings: s, folder: folder, log: { _ in }) }
        s.completionsPerStep = s.numGenerations + 1
        #expect(throws: DemoError.invalidSetting("completions_per_step \(s.completionsPerStep) must be a multiple of num_generations \(s.numGenerations)")) {
            _ = try DemoContext(settings: s, folder: folder, log: { _ in })
        }
    }
}
