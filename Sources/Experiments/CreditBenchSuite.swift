// The whole CreditBench in one command: `tokenalign demo --tasks add,sort,… --seeds 0,1,2
// [--regime systematic]` runs the demo pipeline once per task and seed (each in its own folder,
// with its own report) and summarises across them (docs/design/rewards.md §4.5):
//  - per task and credit source, AUROC and top-1 as the mean over seeds with a t-interval across
//    seeds (the seed changes the data, the tokenizer, the SFT model and every method);
//  - per task and policy, greedy accuracy the same way;
//  - per task, every source against the SFT model's confidence on the *same* responses (paired):
//    the mean AUROC and top-1 differences with a bootstrap interval over (seed, prompt) groups.
// One seed gives no interval across seeds; the report says so rather than printing a zero-width one.
import Evaluation
import Foundation
import Reports

/// A mean over seeds with a two-sided 95% t-interval (nil bounds for fewer than two seeds).
public struct SeedEstimate: Codable, Sendable, Equatable {
    public var mean: Double
    public var low: Double?
    public var high: Double?
    public var values: [Double]

    public init(_ values: [Double]) {
        let v = values.filter(\.isFinite)
        self.values = values
        mean = v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
        guard v.count >= 2 else { return }
        let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count - 1)
        let half = Self.t975(df: v.count - 1) * (variance / Double(v.count)).squareRoot()
        low = mean - half
        high = mean + half
    }

    /// The 97.5% quantile of Student's t with `df` degrees of freedom (df ≥ 1).
    static func t975(df: Int) -> Double {
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086]
        return df <= table.count ? table[max(df, 1) - 1] : 1.96 + 2.4 / Double(df)
    }

    public var text: String {
        guard mean.isFinite else { return "–" }
        let m = String(format: "%.3f", mean)
        guard let low, let high else { return m }
        return "\(m) [\(String(format: "%.3f", low)), \(String(format: "%.3f", high))]"
    }
}

public struct CreditBenchSuiteResult: Codable, Sendable {
    public struct Run: Codable, Sendable {
        public var task: String
        public var seed: UInt64
        /// The run's folder, relative to the suite's.
        public var folder: String
        public var result: CreditDemoResult
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var task: String
        public var seed: UInt64
        public var reason: String
    }

    public struct SourceSummary: Codable, Sendable {
        public var task: String
        public var source: String
        public var auroc: SeedEstimate
        public var top1: SeedEstimate
        /// Paired with the SFT model's confidence on the same responses: mean difference with a
        /// bootstrap interval over (seed, prompt) groups (nil for the baseline itself).
        public var aurocMinusConfidence: Estimate?
        public var top1MinusConfidence: Estimate?
    }

    public struct PolicySummary: Codable, Sendable {
        public var task: String
        public var policy: String
        public var greedyAccuracy: SeedEstimate
    }

    public var regime: String
    public var tasks: [String]
    public var seeds: [UInt64]
    public var runs: [Run]
    /// (task, seed) runs that stopped because their data could not form the benchmark (no
    /// preference pairs, no held-out prompt); the summaries use the runs that finished.
    public var failures: [Failure] = []
    public var sources: [SourceSummary]
    public var policies: [PolicySummary]
    public var wallSeconds: Double
}

public enum CreditBenchSuite {
    /// The source every other one is compared with on the same responses: the free baseline.
    public static let baseline = "confidence (SFT)"

    /// Runs `base` for every task and seed into `folder/<task>-seed<seed>/` and writes the summary
    /// (`results.json`, `report.md`, `report.html`) into `folder`.
    ///
    /// A run folder that already holds a finished run with the same settings (its `results.json`
    /// and `report.md`) is read instead of run again, so an interrupted or extended benchmark
    /// resumes at run granularity. A run whose data cannot form the benchmark (`DemoError.emptyStage`,
    /// e.g. a systematic bug so strong that no prompt gives a pair) is recorded in `failures` and the
    /// others are still summarised; any other error stops the suite.
    public static func run(_ base: CreditDemoSettings, tasks: [String], seeds: [UInt64], folder: URL,
                           log: @escaping (DemoEvent) -> Void = { _ in }) throws -> CreditBenchSuiteResult {
        guard !tasks.isEmpty, !seeds.isEmpty else { throw DemoError.invalidSetting("give at least one task and one seed") }
        guard Set(tasks).count == tasks.count, Set(seeds).count == seeds.count else {
            throw DemoError.invalidSetting("tasks and seeds must not repeat")
        }
        // Every combination is checked before the first one runs.
        for t in tasks {
            var s = base
            s.task = t
            try s.validate()
        }
        let start = ContinuousClock.now
        var runs: [CreditBenchSuiteResult.Run] = []
        var failures: [CreditBenchSuiteResult.Failure] = []
        for t in tasks {
            for seed in seeds {
                var s = base
                s.task = t
                s.seed = seed
                let name = "\(t)-seed\(seed)"
                let runFolder = folder.appendingPathComponent(name)
                if let done = finishedRun(in: runFolder, settings: s) {
                    log(.note("— \(name): reusing the finished run in \(runFolder.path) —"))
                    runs.append(.init(task: t, seed: seed, folder: name, result: done))
                    continue
                }
                log(.note("— \(name) —"))
                do {
                    let r = try CreditDemo.run(s, folder: runFolder, log: log)
                    runs.append(.init(task: t, seed: seed, folder: name, result: r))
                } catch DemoError.emptyStage(let why) {
                    log(.note("\(name) stopped: \(why); the summary goes on without it"))
                    failures.append(.init(task: t, seed: seed, reason: why))
                }
            }
        }
        if runs.isEmpty, let first = failures.first {
            throw DemoError.emptyStage("no run finished (\(first.task) seed \(first.seed): \(first.reason)\(failures.count > 1 ? "; and \(failures.count - 1) more" : ""))")
        }
        var result = summarise(runs, regime: base.regime, tasks: tasks, seeds: seeds, resamples: base.bootstrapResamples,
                               wallSeconds: StageTimer.seconds(since: start))
        result.failures = failures
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            try e.encode(result).write(to: folder.appendingPathComponent("results.json"), options: .atomic)
            try report(result).write(to: folder)
        } catch {
            throw DemoError.cannotWrite(path: folder.path, reason: "\(error)")
        }
        return result
    }

    /// The finished run in `folder` when its settings are `settings` (its report is written last, so
    /// both files mean it finished), else nil.
    static func finishedRun(in folder: URL, settings: CreditDemoSettings) -> CreditDemoResult? {
        let fm = FileManager.default
        let json = folder.appendingPathComponent("results.json")
        guard fm.fileExists(atPath: json.path), fm.fileExists(atPath: folder.appendingPathComponent("report.md").path),
              let r = try? readJSON(CreditDemoResult.self, from: json), r.settings == settings else { return nil }
        return r
    }

    /// The across-seed and paired summaries of finished runs.
    public static func summarise(_ runs: [CreditBenchSuiteResult.Run], regime: String, tasks: [String], seeds: [UInt64],
                                 resamples: Int, wallSeconds: Double) -> CreditBenchSuiteResult {
        var sources: [CreditBenchSuiteResult.SourceSummary] = []
        var policies: [CreditBenchSuiteResult.PolicySummary] = []
        for t in tasks {
            let mine = runs.filter { $0.task == t }
            guard let first = mine.first else { continue }
            for name in first.result.credit.map(\.name) {
                let rows = mine.compactMap { r in r.result.credit.first { $0.name == name } }
                var summary = CreditBenchSuiteResult.SourceSummary(
                    task: t, source: name, auroc: SeedEstimate(rows.map(\.auroc.value)), top1: SeedEstimate(rows.map(\.top1.value)))
                if name != baseline {
                    var aurocGroups: [[Double]] = [], hitGroups: [[Double]] = []
                    for r in mine {
                        guard let a = r.result.credit.first(where: { $0.name == name })?.perResponse,
                              let b = r.result.credit.first(where: { $0.name == baseline })?.perResponse, a.count == b.count else { continue }
                        var byPrompt: [Int: (auroc: [Double], hit: [Double])] = [:]
                        for (x, y) in zip(a, b) {
                            if let ax = x.auroc, let ay = y.auroc { byPrompt[x.prompt, default: ([], [])].auroc.append(ax - ay) }
                            byPrompt[x.prompt, default: ([], [])].hit.append((x.hit ? 1 : 0) - (y.hit ? 1 : 0))
                        }
                        for (_, g) in byPrompt.sorted(by: { $0.key < $1.key }) {
                            aurocGroups.append(g.auroc)
                            hitGroups.append(g.hit)
                        }
                    }
                    if !hitGroups.isEmpty {
                        summary.aurocMinusConfidence = Bootstrap.meanOverGroups(aurocGroups, resamples: resamples, seed: 41)
                        summary.top1MinusConfidence = Bootstrap.meanOverGroups(hitGroups, resamples: resamples, seed: 43)
                    }
                }
                sources.append(summary)
            }
            for name in first.result.policies.map(\.name) {
                let values = mine.compactMap { r in r.result.policies.first { $0.name == name }?.greedyAccuracy.value }
                policies.append(.init(task: t, policy: name, greedyAccuracy: SeedEstimate(values)))
            }
        }
        return CreditBenchSuiteResult(regime: regime, tasks: tasks, seeds: seeds, runs: runs, sources: sources, policies: policies,
                                      wallSeconds: wallSeconds)
    }

    public static func report(_ r: CreditBenchSuiteResult) -> Report {
        var report = Report(title: "CreditBench — \(r.tasks.joined(separator: ", ")), \(r.regime) regime, seeds \(r.seeds.map(String.init).joined(separator: ", "))")
        let across = r.seeds.count > 1
            ? "mean over \(r.seeds.count) seeds [95% t-interval across seeds]"
            : "one seed: no interval across seeds (each run's own bootstrap intervals are in its report)"
        report.add(.paragraph("""
            \(r.runs.count) runs of the demo pipeline (each in its own folder with its own report), wall time \
            \(String(format: "%.0f", r.wallSeconds)) s. Numbers are the \(across). The paired columns compare each source with the \
            SFT model's own confidence on the same rejected responses: mean difference [95% bootstrap interval over (seed, prompt) \
            groups]; an interval above 0 means the source localises better than the free baseline.
            """))
        if !r.failures.isEmpty {
            report.add(.heading("Runs that stopped"))
            report.add(.paragraph("These (task, seed) runs could not form the benchmark; every number below leaves them out."))
            report.add(.table(Table(headers: ["task", "seed", "reason"], rows: r.failures.map { [$0.task, String($0.seed), $0.reason] })))
        }
        for t in r.tasks {
            report.add(.heading("\(t): credit localisation on the SFT model's own errors"))
            let rates = r.runs.filter { $0.task == t }.compactMap { $0.result.data.plantedErrorRate }
            if !rates.isEmpty {
                report.add(.paragraph("Share of SFT samples that are the planted wrong answer, on prompts admitting the bug: \(SeedEstimate(rates).text)."))
            }
            report.add(.table(Table(
                headers: ["source", "AUROC", "top-1", "AUROC − confidence (paired)", "top-1 − confidence (paired)"],
                rows: r.sources.filter { $0.task == t }.map { s in
                    [s.source, s.auroc.text, s.top1.text, s.aurocMinusConfidence.map(interval) ?? "–", s.top1MinusConfidence.map(interval) ?? "–"]
                })))
            report.add(.table(Table(headers: ["policy", "greedy accuracy"],
                                    rows: r.policies.filter { $0.task == t }.map { [$0.policy, $0.greedyAccuracy.text] })))
        }
        return report
    }

    static func interval(_ e: Estimate) -> String {
        e.count == 0 ? "–" : String(format: "%+.3f [%+.3f, %+.3f]", e.value, e.low, e.high)
    }
}
