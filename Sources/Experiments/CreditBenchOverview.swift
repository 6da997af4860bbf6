// `tokenalign report credit`: the whole CreditBench in one view — every task under every error
// regime, pooled from finished demo runs wherever they were run (one suite per regime, or several
// suites per regime with different tasks). Each (task, regime) cell is summarised exactly as a
// suite summarises a task (`CreditBenchSuite.summarise`: means over seeds with t-intervals, every
// source paired with the SFT model's confidence on the same responses), and the report adds what a
// suite cannot: the regimes side by side, and for each cell whether any source beats the free
// baseline (docs/design/credit-eval.md, "tokenalign report credit").
import Evaluation
import Foundation
import Reports

/// One task under one regime: the runs' seeds and their suite-style summary.
public struct CreditBenchCell: Codable, Sendable {
    public var task: String
    /// The regime with the settings that define it (`CreditBenchOverview.regimeLabel`).
    public var regime: String
    public var seeds: [UInt64]
    /// The run folders, as given or found.
    public var folders: [String]
    public var sources: [CreditBenchSuiteResult.SourceSummary]
    public var policies: [CreditBenchSuiteResult.PolicySummary]
    /// Temperature-1 accuracy of the SFT model on held-out prompts: how often it errs at all.
    public var sftSampledAccuracy: SeedEstimate
    /// Systematic regime: the share of SFT samples that are the planted answer where the bug applies.
    public var plantedErrorRate: SeedEstimate?
    /// Wrong responses the sources localise on, per seed.
    public var responses: SeedEstimate
}

public struct CreditBenchOverview: Codable, Sendable {
    public var tasks: [String]
    public var regimes: [String]
    public var cells: [CreditBenchCell]

    /// Sources that are baselines rather than contenders when a cell's best source is named.
    public static let baselines: Set<String> = [CreditBenchSuite.baseline, "entropy (SFT)", "random"]

    /// What defines a regime beyond its name: the share of bad demonstrations and the set the
    /// sources localise on. Two runs of one task with different labels are different cells.
    public static func regimeLabel(_ s: CreditDemoSettings) -> String {
        let share: String
        switch s.regime {
        case "injected": share = " \(format(s.errorRate))"
        case "systematic": share = " \(format(s.systematicShare))"
        default: share = ""
        }
        return "\(s.regime)\(share), \(s.resolvedLocalisationSet)"
    }

    static func format(_ x: Double) -> String { String(format: "%g", x) }

    /// Finished demo runs under `paths`: a run folder (with `results.json` and `report.md`) or a
    /// suite folder whose sub-folders are runs. Unfinished sub-folders (no report yet) are skipped
    /// and named in `skipped`; a path that holds neither is an error naming it.
    public static func collect(_ paths: [String]) throws -> (runs: [CreditBenchSuiteResult.Run], skipped: [String]) {
        let fm = FileManager.default
        func finished(_ u: URL) -> Bool {
            fm.fileExists(atPath: u.appendingPathComponent("results.json").path)
                && fm.fileExists(atPath: u.appendingPathComponent("report.md").path)
                && fm.fileExists(atPath: u.appendingPathComponent("settings.json").path)
        }
        func read(_ u: URL) throws -> CreditBenchSuiteResult.Run {
            let r = try readJSON(CreditDemoResult.self, from: u.appendingPathComponent("results.json"))
            return .init(task: r.settings.task, seed: r.settings.seed, folder: u.path, result: r)
        }
        var runs: [CreditBenchSuiteResult.Run] = [], skipped: [String] = []
        for p in paths {
            let u = URL(fileURLWithPath: p)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: u.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw DemoError.invalidSetting("--results \(p): no such folder")
            }
            if finished(u) {
                runs.append(try read(u))
                continue
            }
            let children = ((try? fm.contentsOfDirectory(atPath: u.path)) ?? []).sorted()
                .map { u.appendingPathComponent($0) }
                .filter { fm.fileExists(atPath: $0.appendingPathComponent("settings.json").path) }
            guard !children.isEmpty else {
                throw DemoError.invalidSetting("--results \(p): neither a finished `tokenalign demo` run (results.json, report.md) nor a suite folder of runs")
            }
            for c in children {
                if finished(c) { runs.append(try read(c)) } else { skipped.append(c.path) }
            }
        }
        return (runs, skipped)
    }

    /// Groups runs into (task, regime) cells and summarises each. Runs of one cell must differ in
    /// the seed only: pooling runs of different budgets or models would make the interval across
    /// seeds measure those differences too, so such a cell is refused, naming both folders.
    public static func summarise(_ runs: [CreditBenchSuiteResult.Run]) throws(DemoError) -> CreditBenchOverview {
        guard !runs.isEmpty else { throw .invalidSetting("no finished runs to summarise") }
        var order: [(task: String, regime: String)] = []
        var groups: [String: [CreditBenchSuiteResult.Run]] = [:]
        for r in runs {
            let regime = regimeLabel(r.result.settings)
            let key = "\(r.result.settings.task)\u{1}\(regime)"
            if let first = groups[key]?.first {
                var a = first.result.settings, b = r.result.settings
                if a.seed == b.seed {
                    throw .invalidSetting("\(first.folder) and \(r.folder) are both \(a.task) seed \(a.seed) under \(regime); give each run once")
                }
                a.seed = 0
                b.seed = 0
                if a != b {
                    throw .invalidSetting("\(first.folder) and \(r.folder) run \(a.task) under \(regime) with different settings besides the seed; summarise them separately")
                }
            } else {
                order.append((r.result.settings.task, regime))
            }
            groups[key, default: []].append(r)
        }
        var cells: [CreditBenchCell] = []
        for (task, regime) in order {
            let mine = (groups["\(task)\u{1}\(regime)"] ?? []).sorted { $0.seed < $1.seed }
            let seeds = mine.map(\.seed)
            let s = CreditBenchSuite.summarise(mine, regime: regime, tasks: [task], seeds: seeds,
                                               resamples: mine[0].result.settings.bootstrapResamples, wallSeconds: 0)
            let sft = mine.compactMap { $0.result.policies.first { $0.name == "sft" }?.sampledAccuracy.value }
            let planted = mine.compactMap(\.result.data.plantedErrorRate)
            cells.append(CreditBenchCell(task: task, regime: regime, seeds: seeds, folders: mine.map(\.folder),
                                         sources: s.sources, policies: s.policies, sftSampledAccuracy: SeedEstimate(sft),
                                         plantedErrorRate: planted.isEmpty ? nil : SeedEstimate(planted),
                                         responses: SeedEstimate(mine.map { Double($0.result.data.rejectedResponses) })))
        }
        var tasks: [String] = [], regimes: [String] = []
        for (t, r) in order {
            if !tasks.contains(t) { tasks.append(t) }
            if !regimes.contains(r) { regimes.append(r) }
        }
        return CreditBenchOverview(tasks: tasks, regimes: regimes, cells: cells)
    }

    /// Writes `results.json`, `report.md` and `report.html` into `folder`.
    public static func write(_ overview: CreditBenchOverview, to folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch { throw DemoError.cannotWrite(path: folder.path, reason: "\(error)") }
        try writeJSON(overview, to: folder.appendingPathComponent("results.json"))
        do { try overview.report().write(to: folder) } catch { throw DemoError.cannotWrite(path: folder.path, reason: "\(error)") }
    }

    public func cell(_ task: String, _ regime: String) -> CreditBenchCell? {
        cells.first { $0.task == task && $0.regime == regime }
    }
}

extension CreditBenchCell {
    /// The contender with the highest mean AUROC (baselines excluded), if any.
    public var bestSource: CreditBenchSuiteResult.SourceSummary? {
        sources.filter { !CreditBenchOverview.baselines.contains($0.source) && $0.auroc.mean.isFinite }
            .max { $0.auroc.mean < $1.auroc.mean }
    }

    /// Whether the cell can rank credit sources: a contender whose paired AUROC interval against
    /// the SFT model's confidence lies above 0 (`beaten`), one whose interval lies below 0 for
    /// every contender (`unbeaten`), or neither (`level`).
    public var verdict: String {
        let contenders = sources.filter { !CreditBenchOverview.baselines.contains($0.source) }
        let paired = contenders.compactMap { s in s.aurocMinusConfidence.flatMap { $0.count > 0 ? (s.source, $0) : nil } }
        let above = paired.filter { $0.1.low > 0 }.sorted { $0.1.value > $1.1.value }
        if !above.isEmpty {
            return "baseline beaten by \(above.count) source\(above.count == 1 ? "" : "s") (most: \(above[0].0))"
        }
        if !paired.isEmpty, paired.allSatisfy({ $0.1.high < 0 }) { return "baseline unbeaten: every source below it" }
        return "no source separated from the baseline"
    }
}

extension CreditBenchOverview {
    public func report() -> Report {
        var report = Report(title: "CreditBench — \(tasks.count) task\(tasks.count == 1 ? "" : "s") × \(regimes.count) regime\(regimes.count == 1 ? "" : "s")")
        report.add(.paragraph("""
            Each cell pools the finished runs of one task under one regime (the regime's share and localisation set are part of \
            its name); numbers are means over the cell's seeds with 95% t-intervals across seeds. "Paired" compares a source with \
            the SFT model's own confidence on the same wrong responses: mean AUROC difference [95% bootstrap interval over \
            (seed, prompt) groups]. A cell can rank credit sources only where the free baselines (confidence, entropy) are far \
            from 1 and some source is above them.
            """))
        report.add(.heading("Where the free baseline is beaten"))
        report.add(.table(Table(
            headers: ["task", "regime", "seeds", "SFT sampled accuracy", "follows the bug", "wrong responses", "confidence (SFT)",
                      "entropy (SFT)", "best other source", "its AUROC", "paired vs confidence", "verdict"],
            rows: cells.map { c in
                let conf = c.sources.first { $0.source == CreditBenchSuite.baseline }
                let ent = c.sources.first { $0.source == "entropy (SFT)" }
                let best = c.bestSource
                return [c.task, c.regime, c.seeds.map(String.init).joined(separator: ","), c.sftSampledAccuracy.text,
                        c.plantedErrorRate?.text ?? "–", String(format: "%.0f", c.responses.mean), conf?.auroc.text ?? "–",
                        ent?.auroc.text ?? "–", best?.source ?? "–", best?.auroc.text ?? "–",
                        best?.aurocMinusConfidence.map(CreditBenchSuite.interval) ?? "–", c.verdict]
            })))
        for regime in regimes {
            let mine = tasks.compactMap { cell($0, regime) }
            var names: [String] = []
            for c in mine { for s in c.sources where !names.contains(s.source) { names.append(s.source) } }
            report.add(.heading("\(regime): AUROC of every source on every task"))
            report.add(.paragraph("Mean over seeds; the paired difference from confidence for each cell is in the cell's own section below."))
            report.add(.table(Table(headers: ["source"] + mine.map(\.task), rows: names.map { n in
                [n] + mine.map { c in c.sources.first { $0.source == n }.map { $0.auroc.mean.isFinite ? String(format: "%.3f", $0.auroc.mean) : "–" } ?? "–" }
            })))
            var policies: [String] = []
            for c in mine { for p in c.policies where !policies.contains(p.policy) { policies.append(p.policy) } }
            report.add(.heading("\(regime): greedy accuracy of every policy"))
            report.add(.table(Table(headers: ["policy"] + mine.map(\.task), rows: policies.map { n in
                [n] + mine.map { c in c.policies.first { $0.policy == n }?.greedyAccuracy.text ?? "–" }
            })))
        }
        for c in cells {
            report.add(.heading("\(c.task), \(c.regime) (seeds \(c.seeds.map(String.init).joined(separator: ", ")))"))
            report.add(.table(Table(
                headers: ["source", "AUROC", "top-1", "AUROC − confidence (paired)", "top-1 − confidence (paired)"],
                rows: c.sources.map { s in
                    [s.source, s.auroc.text, s.top1.text, s.aurocMinusConfidence.map(CreditBenchSuite.interval) ?? "–",
                     s.top1MinusConfidence.map(CreditBenchSuite.interval) ?? "–"]
                })))
        }
        return report
    }
}
