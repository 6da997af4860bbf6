// The table of `tokenalign demo rm`: per contender its held-out pair accuracy (bootstrap CI over
// held-out pairs, seeds pooled), the paired difference from Bradley–Terry (same seed, same pair),
// mean robustness drops, the reward–length correlation and, for token-level kinds, first-error
// localisation; and the report that shows it.
import Evaluation
import Foundation
import Reports

enum RMDemoSummary {
    /// The baseline every contender is paired with.
    static let baseline = "bradley-terry"

    static func summarise(_ rows: [RMDemoRow], bootstrap: Int, seed: UInt64) -> [RMDemoRow] {
        let bt = rows.first { $0.name == baseline }?.runs ?? []
        return rows.enumerated().map { k, row in
            var r = row
            guard let first = row.runs.first else { return r }
            let pairs = first.pairCorrect.count
            let bSeed = seed &+ UInt64(k) &* 7
            // Per held-out pair: the contender's correctness on every seed.
            r.pairAccuracy = Bootstrap.meanOverGroups((0 ..< pairs).map { i in row.runs.map { $0.pairCorrect[i] ? 1 : 0 } },
                                                      resamples: bootstrap, seed: bSeed)
            if row.name != baseline, !bt.isEmpty {
                // Paired with BT on the same seed; a run without a seed (the ensemble) with BT's mean over seeds.
                func btCorrect(_ run: RMDemoSeedRun, _ i: Int) -> Double {
                    if let s = run.seed, let b = bt.first(where: { $0.seed == s }) { return b.pairCorrect[i] ? 1 : 0 }
                    return bt.map { $0.pairCorrect[i] ? 1.0 : 0 }.reduce(0, +) / Double(bt.count)
                }
                r.differenceFromBT = Bootstrap.meanOverGroups((0 ..< pairs).map { i in row.runs.map { ($0.pairCorrect[i] ? 1 : 0) - btCorrect($0, i) } },
                                                              resamples: bootstrap, seed: bSeed &+ 1)
                for run in row.runs {
                    let d = (0 ..< pairs).map { (run.pairCorrect[$0] ? 1 : 0) - btCorrect(run, $0) }.reduce(0, +)
                    if d > 0 { r.seedsAboveBT += 1 } else if d < 0 { r.seedsBelowBT += 1 }
                }
            }
            var drops: [String: Double] = [:]
            for t in Set(row.runs.flatMap { $0.robustness.keys }) {
                let v = row.runs.compactMap { $0.robustness[t]?.drop }
                drops[t] = v.reduce(0, +) / Double(max(1, v.count))
            }
            r.robustnessDrops = drops
            let rho = row.runs.compactMap(\.lengthSpearman).filter(\.isFinite)
            r.lengthSpearman = rho.isEmpty ? nil : rho.reduce(0, +) / Double(rho.count)
            let located = row.runs.compactMap(\.localisation).flatMap { $0 }
            if !located.isEmpty {
                // Grouped by held-out pair, seeds pooled (LocalisationSummary's grouping).
                let groups = Dictionary(grouping: located, by: \.prompt).sorted { $0.key < $1.key }.map(\.value)
                r.top1 = Bootstrap.meanOverGroups(groups.map { $0.map { $0.hit ? 1 : 0 } }, resamples: bootstrap, seed: bSeed &+ 2)
                r.auroc = Bootstrap.meanOverGroups(groups.map { $0.compactMap(\.auroc) }, resamples: bootstrap, seed: bSeed &+ 3)
            }
            return r
        }
    }

    static func f(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.3f", $0) : "–" } ?? "–" }

    static func signed(_ e: Estimate?) -> String {
        guard let e, e.count > 0, e.value.isFinite else { return "–" }
        return String(format: "%+.3f [%+.3f, %+.3f]", e.value, e.low, e.high)
    }

    /// The comparison table (one row per contender; n/a rows give their reason).
    static func table(_ r: RMDemoResult) -> Table {
        let transforms = Array(Set(r.rows.flatMap { $0.robustnessDrops.keys })).sorted()
        return Table(headers: ["reward model", "family", "rows", "pair accuracy (rb1)", "Δ vs BT (paired)", "seeds ↑/↓ BT",
                               "mean robustness drop", "worst transformation", "ρ(reward, length)", "first-error top-1", "first-error AUROC"],
                     rows: r.rows.map { row in
            guard row.notApplicable == nil else {
                return [row.name, row.family, row.rows, "n/a: \(row.notApplicable!)", "", "", "", "", "", "", ""]
            }
            let drops = transforms.compactMap { t in row.robustnessDrops[t].map { (t, $0) } }
            let mean = drops.isEmpty ? nil : drops.map(\.1).reduce(0, +) / Double(drops.count)
            let worst = drops.max { $0.1 < $1.1 }.map { "\($0.0) \(f($0.1))" } ?? "–"
            return [row.name, row.family, row.rows, row.pairAccuracy?.interval() ?? "–",
                    row.name == baseline ? "(baseline)" : signed(row.differenceFromBT),
                    row.name == baseline ? "" : "\(row.seedsAboveBT)/\(row.seedsBelowBT)",
                    f(mean), worst, f(row.lengthSpearman), row.top1?.interval() ?? "–", row.auroc?.interval() ?? "–"]
        })
    }

    static func report(_ r: RMDemoResult) -> Report {
        let s = r.settings
        let systematic = s.regime == "systematic"
        let demos = systematic ? "\(Int(s.systematicShare * 100))% of those whose problem admits the task's systematic bug follow it"
                               : "\(Int(s.errorRate * 100))% with an injected error"
        let wrong: String
        if !systematic {
            wrong = "the task's injected error"
        } else if s.trainRejected == "slips" {
            wrong = "the bug's answer; held-out problems all admit the bug, while every training pair's rejected side is an injected slip (train_rejected: slips), so no reward model saw the bug in training (\(r.data.systematicPairs ?? 0) slips happen to equal it)"
        } else {
            wrong = "the bug's answer; held-out problems all admit the bug, and \(r.data.systematicPairs ?? 0) of the training pairs' rejected sides follow it, the others carry an injected slip"
        }
        var report = Report(title: "Reward models on CreditBench \(s.task)\(systematic ? ", systematic regime" : ""): every kind, same data, same harness")
        report.add(.paragraph("""
            Base model: a \(r.data.modelParameters)-parameter Llama (\(s.layers) layers, hidden \(s.hiddenSize), \
            \(r.data.tokenizerVocabulary)-token BPE) trained from scratch for \(s.sftSteps) steps on \(s.sftExamples) demonstrations \
            (\(demos)); its rollouts are \(f(r.data.rolloutAccuracy)) correct. Every reward \
            model starts from it and trains \(s.rmSteps) steps of \(s.rmBatch) rows at learning rate \(s.rmLearningRate) on rows built \
            from the same \(r.data.trainPairs) examples (seed \(s.seed)), once per seed (\(s.seeds.map(String.init).joined(separator: ", "))). \
            Scores: strict pair accuracy on \(r.data.evalPairs) held-out pairs (correct answer vs \(wrong); 95% bootstrap \
            CI over pairs, seeds pooled), Δ paired with Bradley–Terry on the same seed and pair, the accuracy drop under each \
            paraphrase-free robustness transformation (mean over transformations and seeds), Spearman ρ of reward with response \
            length, and for token-level kinds the first wrong token's localisation on the held-out rejected responses (top-1 chance \
            \(f(r.top1Chance))).
            """))
        report.add(.table(table(r)))
        let transforms = Array(Set(r.rows.flatMap { $0.robustnessDrops.keys })).sorted()
        if !transforms.isEmpty {
            report.add(.heading("Robustness: accuracy drop per transformation (mean over seeds)"))
            report.add(.table(Table(headers: ["reward model"] + transforms, rows: r.rows.filter { $0.notApplicable == nil }.map { row in
                [row.name] + transforms.map { f(row.robustnessDrops[$0]) }
            })))
        }
        report.add(.heading("Training rows"))
        report.add(.table(Table(headers: ["rows", "count"], rows: r.data.rows.keys.sorted().map { [$0, "\(r.data.rows[$0]!)"] }
            + r.data.missing.keys.sorted().map { [$0, "none: \(r.data.missing[$0]!)"] })))
        return report
    }
}

extension RMDemo {
    /// The table as Markdown (what the CLI prints).
    public static func text(_ r: RMDemoResult) -> String { RMDemoSummary.table(r).markdown() }
}
