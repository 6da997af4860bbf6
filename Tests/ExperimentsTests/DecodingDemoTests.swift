// `tokenalign demo decoding`: the quick run on SmolLM2-135M is complete and reproducible (skipped
// without the assets), the cost ledger of batched sampling is the hand count, RAD's training rows
// carry the sequence score at every token, and bad settings are refused with the key named.
@testable import Experiments
import Foundation
import Testing

@Suite struct DecodingDemoTests {
    static var repoRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// The quick settings with the asset paths made absolute; nil when an asset is missing.
    static func quickSettings() -> DecodingDemoSettings? {
        var s = DecodingDemoSettings.quick
        for k in [\DecodingDemoSettings.data.model, \.data.lexicon, \.data.corpus] {
            s[keyPath: k] = repoRoot.appendingPathComponent(s[keyPath: k]).path
            guard FileManager.default.fileExists(atPath: s[keyPath: k]) else { return nil }
        }
        s.data.profanity = s.data.profanity.map { repoRoot.appendingPathComponent($0).path }
        return s
    }

    @Test(.enabled(if: quickSettings() != nil, "needs scripts/fetch-assets.sh"))
    func quickRunIsCompleteAndReproducible() throws {
        let s = try #require(Self.quickSettings())
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ta-decoding-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let a = try DecodingDemo.run(s, folder: base.appendingPathComponent("a"))
        let seed = try #require(a.seeds.first)
        #expect(a.seeds.count == s.seeds.count && seed.pairs > 0)
        let expected = ["sample"] + s.radWeights.map { _ in "rad" } + s.argsWeights.map { _ in "args" } + s.genarmWeights.map { _ in "genarm" }
            + s.bestOf.map { _ in "best-of-n (rm)" } + s.bestOf.map { _ in "best-of-n (vader oracle)" } + ["dpo"]
        #expect(seed.runs.map(\.method) == expected)
        #expect(seed.models.map(\.name) == ["rad-rm", "args-rm", "genarm-arm", "dpo"])
        for m in seed.models {
            #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("a/\(m.folder)/model.safetensors").path), "\(m.name)")
        }
        let sample = try #require(seed.runs.first)
        for r in seed.runs {
            #expect(r.reward.count == a.testPrompts * s.data.evalSamples, "\(r.label)")
            #expect(r.generatedTokens > 0 && r.baseForwardTokens > 0, "\(r.label)")
            #expect(r.referencePerplexity.isFinite && r.referencePerplexity > 1, "\(r.label)")
            #expect((0 ... 1).contains(r.distinct1) && (0 ... 1).contains(r.distinct2))
            // Only the guides and the RM-scored search run a reward model.
            let usesRM = ["rad", "args", "genarm", "best-of-n (rm)"].contains(r.method)
            #expect((r.rewardForwardTokens > 0) == usesRM, "\(r.label)")
            // Best-of-N draws N samples for every output.
            if r.method.hasPrefix("best-of-n"), let n = r.strength, n > 1 { #expect(r.baseForwardTokens > sample.baseForwardTokens) }
        }
        // The guides rescore one candidate set per step (RAD: k positions per row per step).
        let rad = try #require(seed.runs.first { $0.method == "rad" })
        #expect(rad.rewardForwardTokens >= s.guideTopK * rad.generatedTokens)
        #expect(!DecodingDemoReport.claim(seed).isEmpty)
        for f in ["settings.json", "results.json", "timings.json", "report.md", "report.html", "data/seed0/pairs.jsonl", "data/seed0/rad_pairs.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("a/\(f)").path), "missing \(f)")
        }
        // Same settings, same seed: the same results.json, byte for byte.
        _ = try DecodingDemo.run(s, folder: base.appendingPathComponent("b"))
        let first = try Data(contentsOf: base.appendingPathComponent("a/results.json"))
        let second = try Data(contentsOf: base.appendingPathComponent("b/results.json"))
        #expect(first == second)
    }

    /// Two batches of two rows: prompts of 3 and 5 tokens, generations of 4, 2, 1 and 6 tokens.
    @Test func generationLedgerIsTheHandCount() {
        let ledger = HeldOutDecoding.generationLedger(promptIDs: [[1, 2, 3], [4, 5, 6, 7, 8]],
                                                      samples: [[[9, 9, 9, 9], [9, 9]], [[9], [9, 9, 9, 9, 9, 9]]], batchSize: 2)
        // Batch 1: rows of prompt 0, 2 × 3 prefill, 4 steps → 2 × 3 decode. Batch 2: 2 × 5 prefill, 6 steps → 2 × 5 decode.
        #expect(ledger.policy.prefillTokens == 2 * 3 + 2 * 5)
        #expect(ledger.policy.decodeTokens == 2 * 3 + 2 * 5)
        #expect(ledger.policy.forwardCalls == 4 + 6)
    }

    @Test func radRowsRegressEveryTokenOnTheSequenceScore() throws {
        let rows: [[String: Any]] = [["prompt": "p", "chosen": "a b", "rejected": "c", "chosen_score": 0.5, "rejected_score": -0.25,
                                      "chosen_token_rewards": [0.0, 0.3], "rejected_token_rewards": [-0.1]]]
        let out = DecodingDemo.prefixRegressionRows(rows)
        #expect(out[0]["chosen_token_rewards"] as? [Double] == [0.5, 0.5])
        #expect(out[0]["rejected_token_rewards"] as? [Double] == [-0.25])
        #expect(out[0]["chosen"] as? String == "a b")
    }

    @Test func badSettingsAreRefusedNamingTheKey() throws {
        func message(_ change: (inout DecodingDemoSettings) -> Void) -> String {
            var s = DecodingDemoSettings.quick
            change(&s)
            do { try s.validate() } catch { return "\(error)" }
            return ""
        }
        #expect(message { _ in } == "")
        #expect(message { $0.radWeights = [] }.contains("rad_weights"))
        #expect(message { $0.genarmWeights = [1, -2] }.contains("genarm_weights"))
        #expect(message { $0.bestOf = [0] }.contains("best_of"))
        #expect(message { $0.seeds = [] }.contains("seeds"))
        #expect(message { $0.seeds = [1, 1] }.contains("each seed once"))
        #expect(message { $0.data.steps = 0 }.contains("steps"))
        #expect(message { $0.guideTopK = 80 }.contains("guide_top_k"))
        #expect(message { $0.data.temperature = 0 }.contains("temperature"))
        let o = try DecodingDemoSettings.quick.overriding(with: ["rad_weights": [1, 2, 3], "seeds": [4, 5]], source: "s.yaml")
        #expect(o.radWeights == [1, 2, 3] && o.seeds == [4, 5] && o.data.steps == DecodingDemoSettings.quick.data.steps)
        #expect(throws: DemoError.self) { try DecodingDemoSettings.quick.overriding(with: ["rad_weight": [1]], source: "s.yaml") }
    }
}
