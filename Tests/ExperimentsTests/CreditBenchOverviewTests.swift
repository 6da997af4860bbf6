// `tokenalign report credit`: finished runs from several suites grouped into (task, regime) cells,
// each summarised as a suite summarises a task, with a verdict on whether any source beats the SFT
// model's confidence. The runs here are written by hand, so every number is known.
import Evaluation
@testable import Experiments
import Foundation
import Testing

@Suite struct CreditBenchOverviewTests {
    /// A finished run of `task` under `regime`: three responses on three prompts, confidence
    /// localising each at `confidence`, a contender at `confidence + lift` and random at 0.5.
    func run(_ task: String, _ regime: String, seed: UInt64, confidence: Double, lift: Double, sftSampled: Double) -> CreditDemoResult {
        var s = CreditDemoSettings.quick
        s.task = task
        s.regime = regime
        s.seed = seed
        if regime == "systematic" { s.systematicShare = 1 }
        s.bootstrapResamples = 200
        func source(_ name: String, _ auroc: Double) -> CreditSourceResult {
            let per = (0 ..< 3).map { ResponseLocalisation(prompt: $0, auroc: auroc, hit: auroc > 0.6) }
            return CreditSourceResult(name: name, explanation: "", auroc: Estimate(value: auroc, low: auroc, high: auroc, count: 3),
                                      top1: Estimate(value: auroc > 0.6 ? 1 : 0, low: 0, high: 1, count: 3), top1Chance: 0.3,
                                      responses: 3, perResponse: per)
        }
        let e = Estimate(value: sftSampled, low: sftSampled, high: sftSampled, count: 3)
        var data = DataSummary()
        data.rejectedResponses = 3
        if regime == "systematic" { data.plantedErrorRate = 0.9 }
        return CreditDemoResult(
            settings: s, data: data,
            policies: [PolicyResult(name: "sft", greedyAccuracy: e, sampledAccuracy: e, klToReference: e, heldOutRewardAccuracy: nil, trainSeconds: 1)],
            credit: [source("token RM", confidence + lift), source("entropy (SFT)", confidence), source(CreditBenchSuite.baseline, confidence),
                     source("random", 0.5)],
            creditInjected: [], curves: [], stages: [], wallSeconds: 1)
    }

    func write(_ r: CreditDemoResult, to folder: URL, finished: Bool = true) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try writeJSON(r.settings, to: folder.appendingPathComponent("settings.json"))
        guard finished else { return }
        try writeJSON(r, to: folder.appendingPathComponent("results.json"))
        try Data("# report\n".utf8).write(to: folder.appendingPathComponent("report.md"))
    }

    @Test func regimesAreNamedByWhatDefinesThem() {
        var s = CreditDemoSettings()
        #expect(CreditBenchOverview.regimeLabel(s) == "injected 0.3, paired")
        s.regime = "systematic"
        s.systematicShare = 1
        #expect(CreditBenchOverview.regimeLabel(s) == "systematic 1, all-wrong")
        s.regime = "sampled"
        #expect(CreditBenchOverview.regimeLabel(s) == "sampled, all-wrong")
        s.localisationSet = "paired"
        #expect(CreditBenchOverview.regimeLabel(s) == "sampled, paired")
    }

    @Test func suitesArePooledIntoTaskRegimeCells() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-overview-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        // Suite 1: sort and count, injected; confidence wins on sort, the token RM on count.
        // Suite 2: sort, systematic, plus an unfinished run. A loose run folder: count, sampled.
        for seed: UInt64 in [0, 1] {
            try write(run("sort", "injected", seed: seed, confidence: 0.95, lift: -0.2, sftSampled: 0.8), to: root.appendingPathComponent("inj/sort-seed\(seed)"))
            try write(run("count", "injected", seed: seed, confidence: 0.3, lift: 0.6, sftSampled: 0.5), to: root.appendingPathComponent("inj/count-seed\(seed)"))
            try write(run("sort", "systematic", seed: seed, confidence: 0.7 + 0.02 * Double(seed), lift: 0.001 * (seed == 0 ? 1 : -1), sftSampled: 0.4),
                      to: root.appendingPathComponent("sys/sort-seed\(seed)"))
        }
        try write(run("sort", "systematic", seed: 2, confidence: 0.7, lift: 0, sftSampled: 0.4), to: root.appendingPathComponent("sys/sort-seed2"), finished: false)
        try write(run("count", "sampled", seed: 0, confidence: 0.6, lift: 0.1, sftSampled: 0.9), to: root.appendingPathComponent("loose"))

        let (runs, skipped) = try CreditBenchOverview.collect(["inj", "sys", "loose"].map { root.appendingPathComponent($0).path })
        #expect(runs.count == 7)
        #expect(skipped == [root.appendingPathComponent("sys/sort-seed2").path])
        let o = try CreditBenchOverview.summarise(runs)
        #expect(o.tasks == ["count", "sort"])
        #expect(o.regimes == ["injected 0.3, paired", "systematic 1, all-wrong", "sampled, all-wrong"])
        #expect(o.cells.count == 4)

        // Each cell is the suite summary of its runs.
        let sortInjected = try #require(o.cell("sort", "injected 0.3, paired"))
        let suite = CreditBenchSuite.summarise(runs.filter { $0.task == "sort" && $0.result.settings.regime == "injected" },
                                               regime: "x", tasks: ["sort"], seeds: [0, 1], resamples: 200, wallSeconds: 0)
        #expect(sortInjected.sources.map(\.auroc) == suite.sources.map(\.auroc))
        #expect(sortInjected.seeds == [0, 1] && sortInjected.sftSampledAccuracy.mean == 0.8 && sortInjected.plantedErrorRate == nil)
        #expect(sortInjected.bestSource?.source == "token RM")
        #expect(sortInjected.verdict == "baseline unbeaten: every source below it")

        let countInjected = try #require(o.cell("count", "injected 0.3, paired"))
        let lift = try #require(countInjected.bestSource?.aurocMinusConfidence)
        #expect(abs(lift.value - 0.6) < 1e-12)
        #expect(countInjected.verdict == "baseline beaten by 1 source (most: token RM)")

        // +0.001 on one seed, −0.001 on the other: the paired interval straddles 0.
        let sortSystematic = try #require(o.cell("sort", "systematic 1, all-wrong"))
        #expect(sortSystematic.verdict == "no source separated from the baseline")
        #expect(sortSystematic.plantedErrorRate?.mean == 0.9)
        #expect(o.cell("count", "sampled, all-wrong")?.seeds == [0])

        let md = o.report().markdown()
        #expect(md.contains("Where the free baseline is beaten"))
        #expect(md.contains("| count | injected 0.3, paired | 0,1 |"))
        #expect(md.contains("## sampled, all-wrong: AUROC of every source on every task"))

        let out = root.appendingPathComponent("out")
        try CreditBenchOverview.write(o, to: out)
        let back = try readJSON(CreditBenchOverview.self, from: out.appendingPathComponent("results.json"))
        #expect(back.cells.map(\.regime) == o.cells.map(\.regime))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.html").path))
    }

    @Test func cellsMustDifferInTheSeedOnly() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-overview-bad-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let a = run("sort", "injected", seed: 0, confidence: 0.9, lift: 0, sftSampled: 0.5)
        var b = run("sort", "injected", seed: 1, confidence: 0.9, lift: 0, sftSampled: 0.5)
        b.settings.sftSteps += 1
        let same = run("sort", "injected", seed: 0, confidence: 0.8, lift: 0, sftSampled: 0.5)
        try write(a, to: root.appendingPathComponent("a"))
        try write(b, to: root.appendingPathComponent("b"))
        try write(same, to: root.appendingPathComponent("c"))
        func message(_ paths: [String]) -> String? {
            do {
                _ = try CreditBenchOverview.summarise(CreditBenchOverview.collect(paths.map { root.appendingPathComponent($0).path }).runs)
                return nil
            } catch { return "\(error)" }
        }
        let different = try #require(message(["a", "b"]))
        #expect(different.contains("different settings besides the seed") && different.contains("/a") && different.contains("/b"))
        let twice = try #require(message(["a", "c"]))
        #expect(twice.contains("both sort seed 0"))
        let missing = try #require(message(["nowhere"]))
        #expect(missing.contains("nowhere: no such folder"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("empty"), withIntermediateDirectories: true)
        let empty = try #require(message(["empty"]))
        #expect(empty.contains("neither a finished `tokenalign demo` run"))
    }
}
