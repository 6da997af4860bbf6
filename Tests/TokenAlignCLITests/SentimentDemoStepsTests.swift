// `tokenalign demo sentiment --quick` on SmolLM2-135M (skipped without the assets), then the same
// experiment one step at a time through the normal commands, which must reproduce the demo's files.
import Datasets
@testable import Experiments
import Foundation
@testable import TokenAlignCLI
import XCTest

final class SentimentDemoStepsTests: XCTestCase {
    static var repoRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// `tokenalign demo sentiment --quick` on SmolLM2-135M (skipped without the assets).
    func testQuickSentimentDemo() throws {
        var s = SentimentDemoSettings.quick
        for k in [\SentimentDemoSettings.model, \.lexicon, \.corpus] {
            s[keyPath: k] = Self.repoRoot.appendingPathComponent(s[keyPath: k]).path
            guard FileManager.default.fileExists(atPath: s[keyPath: k]) else {
                throw XCTSkip("\(s[keyPath: k]) missing: run scripts/fetch-assets.sh")
            }
        }
        s.profanity = s.profanity.map { Self.repoRoot.appendingPathComponent($0).path }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-sentiment-quick-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try SentimentDemo.run(s, folder: folder)
        XCTAssertGreaterThan(r.pairs, 0)
        XCTAssertEqual(r.runs.count, 1 + s.methods.count * s.betas.count)
        let ref = try XCTUnwrap(r.runs.first)
        XCTAssertEqual(ref.method, "reference")
        XCTAssertEqual(ref.kl.value, 0, accuracy: 1e-6, "the reference is its own reference")
        XCTAssertTrue(ref.referencePerplexity.isFinite && ref.referencePerplexity > 1)
        for run in r.runs.dropFirst() {
            XCTAssertGreaterThan(run.kl.value, 0, "\(run.method) moved")
            XCTAssertTrue((-3 ... 1).contains(run.reward.value), "\(run.method): \(run.reward)")
            XCTAssertTrue((0 ... 1).contains(run.distinct1) && (0 ... 1).contains(run.distinct2))
            XCTAssertNotNil(run.rankCorrelation, run.method)
            XCTAssertEqual(run.examples.count, 3)
        }
        // The human ceiling: one entry per VADER rater, correlations in [−1, 1], and a single rater
        // ranks word tokens far better than chance against the ten-rater truth.
        let raters = try XCTUnwrap(r.raterAgreement)
        for list in [raters.lexiconTokens, raters.allTokens, raters.lexiconTokensLeaveOneOut, raters.allTokensLeaveOneOut] {
            XCTAssertEqual(list.count, 10)
            XCTAssertTrue(list.allSatisfy { (-1 ... 1).contains($0) }, "\(list)")
        }
        XCTAssertGreaterThan(raters.lexiconTokens.reduce(0, +) / 10, 0.3)
        XCTAssertNotEqual(raters.lexiconTokens, raters.lexiconTokensLeaveOneOut, "a different truth")
        for f in ["results.json", "report.md", "report.html", "data/pairs.jsonl", "data/test_prompts.jsonl", "settings.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(f).path), f)
        }
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<svg") && html.contains("Reward vs KL"))
        XCTAssertTrue(html.contains("the other nine raters"), "the human-ceiling table")
        try checkStepsThroughTheNormalCommands(s, demo: folder)
    }

    /// The same experiment one step at a time through the normal commands, reading the demo run's
    /// settings.json: the prompts, samples and pairs are the demo's byte for byte, `tokenalign dpo`
    /// trains DPO to the demo's losses, and `tokenalign eval sentiment` samples the reference exactly
    /// as the demo's evaluation did.
    func checkStepsThroughTheNormalCommands(_ s: SentimentDemoSettings, demo: URL) throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-sentiment-steps-\(getpid())")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        func path(_ p: String) -> String { tmp.appendingPathComponent(p).path }
        func run(_ args: [String]) throws {
            var cmd = try TokenAlignCommand.parseAsRoot(args)
            try cmd.run()
        }
        func bytes(_ u: URL) throws -> Data { try Data(contentsOf: u) }
        let cfg = demo.appendingPathComponent("settings.json").path

        try run(["data", "prompts", "--config", cfg, "--split", "train", "--out", path("train_prompts.jsonl")])
        XCTAssertEqual(try bytes(URL(fileURLWithPath: path("train_prompts.jsonl"))), try bytes(demo.appendingPathComponent("data/train_prompts.jsonl")))

        try run(["generate", "--model", s.model, "--prompts", path("train_prompts.jsonl"), "--num-samples", "\(s.samplesPerPrompt)",
                 "--temperature", "\(s.temperature)", "--top-k", "\(s.topK)", "--max-new-tokens", "\(s.maxNewTokens)", "--add-special-tokens",
                 "--batch-size", "\(SentimentDemoSettings.sampleBatchSize)", "--seed", "\(s.seed + SentimentDemoSettings.trainingSampleSeedOffset)",
                 "--out", path("samples.jsonl")])
        let ours = try JSONLReader.read(path("samples.jsonl")), theirs = try JSONLReader.read(demo.appendingPathComponent("data/train_samples.jsonl").path)
        XCTAssertEqual(ours.count, theirs.count)
        for (a, b) in zip(ours, theirs) {
            XCTAssertEqual(a.object["prompt"] as? String, b.object["prompt"] as? String)
            XCTAssertEqual(a.object["completion"] as? String, b.object["completion"] as? String)
        }

        try run(["data", "sentiment-pairs", "--config", cfg, "--samples", path("samples.jsonl"), "--out", path("pairs.jsonl"),
                 "--eval-out", path("eval_pairs.jsonl")])
        XCTAssertEqual(try bytes(URL(fileURLWithPath: path("pairs.jsonl"))), try bytes(demo.appendingPathComponent("data/pairs.jsonl")))
        XCTAssertEqual(try bytes(URL(fileURLWithPath: path("eval_pairs.jsonl"))), try bytes(demo.appendingPathComponent("data/eval_pairs.jsonl")))

        let beta = try XCTUnwrap(s.betas.first)
        try run(["dpo", "--model", s.model, "--data", path("pairs.jsonl"), "--eval-data", path("eval_pairs.jsonl"), "--loss", "sigmoid",
                 "--beta", "\(beta)", "--lora-rank", "\(s.loraRank)", "--lora-alpha", "\(s.loraAlpha)", "--lora-targets", "q_proj,k_proj,v_proj,o_proj",
                 "--max-steps", "\(s.steps)", "--batch-size", "\(s.batch)", "--learning-rate", "\(s.learningRate)", "--schedule", "constant",
                 "--alpha", "\(s.alpha)", "--max-length", "256", "--no-append-eos", "--seed", "\(s.seed)", "--out", path("dpo")])
        func losses(_ file: String) throws -> [Double] {
            try JSONLReader.read(file).compactMap { $0.object["loss"] as? Double }
        }
        let cliLosses = try losses(path("dpo/metrics.jsonl"))
        let demoLosses = try losses(demo.appendingPathComponent("runs/dpo-beta\(beta)/metrics.jsonl").path)
        XCTAssertEqual(cliLosses.count, s.steps)
        XCTAssertEqual(cliLosses.count, demoLosses.count)
        for (a, b) in zip(cliLosses, demoLosses) { XCTAssertEqual(a, b, accuracy: 1e-5, "tokenalign dpo trains as the demo does") }

        try run(["eval", "sentiment", "--config", cfg, "--model", path("dpo/model"), "--beta", "\(beta)", "--out", path("eval")])
        XCTAssertEqual(try bytes(URL(fileURLWithPath: path("eval/reference-samples.jsonl"))),
                       try bytes(demo.appendingPathComponent("runs/reference/samples.jsonl")))
        let policySamples = try FileManager.default.contentsOfDirectory(atPath: path("eval")).filter { $0 != "reference-samples.jsonl" }
        XCTAssertEqual(policySamples.count, 1, "\(policySamples)")

        // The frontier of two runs from their results.json: one line per method and run, an error
        // bar per point (the reference and each β), the second run dashed.
        let results = demo.appendingPathComponent("results.json").path
        try run(["report", "frontier", "--results", results, "--results", results, "--label", "a", "--label", "b", "--out", path("f.svg")])
        let svg = try String(contentsOfFile: path("f.svg"), encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2 * s.methods.count)
        XCTAssertEqual(svg.components(separatedBy: "class=\"error-bar\"").count - 1, 2 * s.methods.count * (s.betas.count + 1))
        XCTAssertTrue(svg.contains("dpo (b)") && svg.contains("stroke-dasharray"))
    }
}
