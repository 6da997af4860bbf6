// `tokenalign demo decoding --part creditbench`: the quick run is complete (every method at every
// budget, the three reward models, the report) and reproducible (same seed, same results.json
// bytes); the summary pairs each method with best-of-N at the nearest cost; bad settings are
// refused with the key named.
@testable import Experiments
import Foundation
import Testing

@Suite struct CreditDecodingDemoTests {
    static func quick() -> DecodingDemoSettings {
        var s = DecodingDemoSettings.quick
        s.part = "creditbench"
        return s
    }

    @Test func quickRunIsCompleteAndReproducible() throws {
        let s = Self.quick()
        let cb = s.creditbench
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ta-credit-decoding-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let a = try CreditDecodingDemo.run(s, folder: base.appendingPathComponent("a"))
        #expect(a.seeds.map(\.seed) == s.seeds)
        let seed = try #require(a.seeds.first)
        #expect(seed.pairs > 0 && seed.valueRows > 0 && seed.testPrompts == cb.testPrompts)
        #expect(seed.models.map(\.name) == ["orm", "tvm", "mrm"])
        for m in seed.models {
            #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("a/seed0/\(m.folder)/model.safetensors").path), "\(m.name)")
            #expect(m.finalLoss?.isFinite == true, "\(m.name)")
        }
        // Every method at every budget level (greedy once), one verdict per held-out prompt.
        for m in CreditDecodingMethods.all {
            let runs = a.runs.filter { $0.method == m.label }
            #expect(runs.map(\.budget) == CreditDecodingMethods.budgets(m, cb), "\(m.label)")
            for r in runs {
                #expect(r.correct.count == cb.testPrompts && r.correct.allSatisfy { $0 == 0 || $0 == 1 })
                #expect(r.policyTokens.allSatisfy { $0 > 0 }, "\(m.label)")
                // Only the methods that rank with a reward model run one; the verifier runs none.
                let usesModel = m.scorer != nil && m.scorer != .verifier
                #expect((r.meanScorerTokens > 0) == usesModel, "\(m.label) \(r.budget)")
            }
        }
        // More samples cost more base-model tokens.
        let bon = a.runs.filter { $0.method == "best-of-n@orm" }
        #expect(bon.count == 2 && bon[1].meanPolicyTokens > bon[0].meanPolicyTokens)
        // One summary row per method and budget; all but the baseline paired with it.
        #expect(a.rows.count == 1 + (CreditDecodingMethods.all.count - 1) * cb.levels)
        for row in a.rows {
            #expect((row.difference == nil) == (row.method == CreditDecodingMethods.baseline), "\(row.method)")
            #expect(row.seedAccuracy.count == s.seeds.count)
        }
        // The unbiased estimate from the largest pool: n = 1, 2, 4 of N = 4; the oracle's never below the ORM's pick at n = N.
        let estimates = Dictionary(uniqueKeysWithValues: a.estimates.map { ($0.method, $0) })
        let oracle = try #require(estimates["best-of-n@verifier"]), orm = try #require(estimates["best-of-n@orm"])
        #expect(oracle.n == [1, 2, 4] && orm.n == [1, 2, 4] && oracle.pool == 4)
        #expect(abs(oracle.accuracy[0].mean - orm.accuracy[0].mean) < 1e-9)  // n = 1: one random sample either way
        for f in ["settings.json", "results.json", "timings.json", "report.md", "report.html", "figure-1.svg",
                  "seed0/data/pairs.jsonl", "seed0/data/value_targets.jsonl", "seed0/data/mrm_targets.jsonl", "seed0/data/test_prompts.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("a/\(f)").path), "missing \(f)")
        }
        let report = try String(contentsOf: base.appendingPathComponent("a/report.md"), encoding: .utf8)
        #expect(report.contains("Budget level 2") && report.contains("saffron@mrm"))
        // Same settings, same seed: the same results.json, byte for byte.
        _ = try CreditDecodingDemo.run(s, folder: base.appendingPathComponent("b"))
        let first = try Data(contentsOf: base.appendingPathComponent("a/results.json"))
        let second = try Data(contentsOf: base.appendingPathComponent("b/results.json"))
        #expect(first == second)
    }

    /// Two seeds, three prompts. best-of-N costs 100 tokens at N = 2 and 400 at N = 8; beam costs 350,
    /// so it is paired with N = 8 (log scale), prompt by prompt and seed by seed.
    @Test func summaryPairsWithTheBaselineAtTheNearestCost() {
        func run(_ m: String, _ budget: Int, _ seed: UInt64, _ correct: [Double], _ tokens: Double, rm: Double = 0) -> CreditDecodingRun {
            CreditDecodingRun(method: m, budget: budget, level: 0, seed: seed, correct: correct, policyTokens: [Double](repeating: tokens, count: 3),
                              scorerTokens: [Double](repeating: rm, count: 3))
        }
        let runs = [run("best-of-n@orm", 2, 0, [0, 0, 1], 50, rm: 50), run("best-of-n@orm", 8, 0, [0, 1, 1], 200, rm: 200),
                    run("best-of-n@orm", 2, 1, [0, 0, 0], 50, rm: 50), run("best-of-n@orm", 8, 1, [1, 0, 0], 200, rm: 200),
                    run("beam@prm", 2, 0, [1, 1, 1], 200, rm: 150), run("beam@prm", 2, 1, [1, 1, 0], 200, rm: 150)]
        let rows = CreditDecodingSummary.rows(runs, methods: ["best-of-n@orm", "beam@prm"], resamples: 100)
        #expect(rows.map(\.method) == ["best-of-n@orm", "best-of-n@orm", "beam@prm"])
        let beam = rows[2]
        #expect(beam.matchedBaselineBudget == 8)
        // Differences: seed 0 (1,0,0), seed 1 (0,1,0): mean 1/3; both seeds above.
        #expect(abs((beam.difference?.value ?? 0) - 1.0 / 3) < 1e-12)
        #expect(beam.seedsAbove == 2 && beam.seedsBelow == 0)
        // Accuracy over seeds: 1 and 2/3, t-interval with 1 degree of freedom.
        #expect(abs(beam.accuracy.mean - 5.0 / 6) < 1e-12)
        let half = 12.706 * ((1.0 / 18) / 2).squareRoot()
        #expect(abs((beam.accuracy.high ?? 0) - (5.0 / 6 + half)) < 1e-9)
        #expect(beam.policyTokens == 200 && beam.scorerTokens == 150)
        #expect(CreditDecodingDemo.estimateN(8) == [1, 2, 4, 8] && CreditDecodingDemo.estimateN(6) == [1, 2, 4, 6])
    }

    @Test func badSettingsNameTheKey() {
        var s = Self.quick()
        s.creditbench.beamWidths = [1, 2, 4]
        #expect(throws: DemoError.self) { try s.validate() }
        do { try s.validate() } catch { #expect("\(error)".contains("cb_beam_widths")) }
        s = Self.quick()
        s.creditbench.methods = ["greedy"]
        do { try s.validate(); Issue.record("accepted methods without the baseline") } catch { #expect("\(error)".contains("cb_methods")) }
        s = Self.quick()
        s.part = "both"
        do { try s.validate(); Issue.record("accepted part both") } catch { #expect("\(error)".contains("part")) }
        s = Self.quick()
        s.creditbench.task = "sort"
        do { try s.validate(); Issue.record("accepted task sort") } catch { #expect("\(error)".contains("task")) }
        // The sentiment part alone does not read the CreditBench settings' relations.
        s = Self.quick()
        s.part = "sentiment"
        s.creditbench.beamWidths = [1, 2, 4]
        #expect(throws: Never.self) { try s.validate() }
    }
}
