// The report of `tokenalign demo rl`: the setup, the comparison table, learning curves, and
// heatmaps of where each method put its advantages on wrong rollouts.
import Evaluation
import Foundation
import Reports

enum RLDemoReport {
    static func make(_ r: RLDemoResult) -> Report {
        let s = r.settings, cs = r.creditSettings
        var report = Report(title: "Online RL on CreditBench \(cs.task): token credit against GRPO")
        let startSampled = RLDemo.mean(r.startSampled.joined())
        report.add(.paragraph("""
            Start: the SFT model of the CreditBench run \(r.creditRun) (task \(cs.task), \(r.modelParameters) parameters, \
            \(cs.layers) layers, hidden \(cs.hiddenSize)), at greedy accuracy \(String(format: "%.3f", RLDemo.mean(r.startGreedy))) and \
            sampled accuracy \(String(format: "%.3f", startSampled)) on its \(r.heldOutPrompts) held-out prompts. Every method trains on \
            \(r.trainPrompts) fresh problems of the task for \(s.steps) rollout batches of \(s.completionsPerStep) sampled completions \
            (the same budget; groups of \(s.numGenerations), PPO one completion per prompt), seeds \
            \(s.seeds.map(String.init).joined(separator: ", ")). Accuracies are on the held-out prompts (sampled: \(s.evalSamples) \
            completions per prompt at T = 1), with 95% bootstrap intervals over prompts pooled over seeds; Δ is paired with GRPO by seed \
            and prompt. KL(π‖π_SFT) is summed over the vocabulary per sampled token. "advantage top-1" is the chance that a wrong \
            training rollout's most negative advantage lies on its first wrong token (chance level in brackets). A method that changes one \
            thing of another (PPO's variants, ABC against PPO on the same RM) is also compared with that baseline. Wall time \
            \(String(format: "%.0f", r.wallSeconds)) s.
            """))
        report.add(.table(table(r)))

        for (title, key) in [("Held-out sampled accuracy (T = 1)", \RLCurvePoint.sampledAccuracy),
                             ("Held-out greedy accuracy", \RLCurvePoint.greedyAccuracy)] {
            report.add(.chart(LineChart(title: title, xLabel: "sampled training completions", yLabel: "accuracy", series: s.methods.compactMap { label in
                guard let points = meanCurve(r, label, key) else { return nil }
                return LineChart.Series(name: label, points: points)
            })))
        }
        report.add(.heading("Learning curves (mean over seeds)"))
        report.add(.table(curveTable(r, \.sampledAccuracy, title: "sampled accuracy")))
        report.add(.table(curveTable(r, \.greedyAccuracy, title: "greedy accuracy")))

        let maps = s.methods.flatMap { label in
            (r.runs.first { $0.method == label }?.heatmaps ?? []).map { m in
                TokenHeatmap(title: "\(label): \(m.prompt)", tokens: m.tokens, rewards: m.advantages, firstError: m.firstError)
            }
        }
        if !maps.isEmpty {
            report.add(.heading("Where the advantages landed"))
            report.add(.paragraph("Wrong rollouts of each method's last training step (first seed): red = negative advantage, green = positive; the verifier's first wrong token is outlined."))
            report.add(.heatmaps(maps))
        }
        if let aux = r.auxiliary, !aux.isEmpty {
            report.add(.heading("Models trained in this run"))
            report.add(.paragraph("From the credit run's pairs, with the demo's auxiliary budget; held-out metrics on its held-out pairs (a reused model was trained by an earlier run with the same budget)."))
            report.add(.table(Table(headers: ["model", "rows", "steps × batch, lr", "held-out", "seconds", "reused"], rows: aux.map { a in
                [a.budget.model.rawValue, "\(a.rows)", "\(a.budget.steps) × \(a.budget.batch), \(a.budget.learningRate)",
                 a.heldOut.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.3f", $0.value))" }.joined(separator: ", "),
                 String(format: "%.0f", a.seconds), a.reused ? "yes" : "no"]
            })))
        }
        let pairings = r.rows.flatMap { row in (row.pairings ?? []).map { (row.method, $0) } }
        if !pairings.isEmpty {
            report.add(.heading("Further paired comparisons"))
            report.add(.table(Table(headers: ["method", "against", "sampled Δ (95% CI)", "seeds above / below"],
                                    rows: pairings.map { [$0.0, $0.1.method, $0.1.difference.interval(), "\($0.1.seedsAbove) / \($0.1.seedsBelow)"] })))
        }
        report.add(.heading("Stage times"))
        report.add(.table(Table(headers: ["stage", "seconds"], rows: r.stages.map { [$0.stage, String(format: "%.1f", $0.seconds)] })))
        return report
    }

    static func table(_ r: RLDemoResult) -> Table {
        Table(headers: ["method", "held-out greedy", "Δ vs GRPO", "held-out sampled", "Δ vs GRPO", "seeds above / below GRPO (sampled)",
                        "sampled Δ vs its baseline (seeds above / below)", "KL(π‖π_SFT)/token", "advantage top-1 (chance)", "sampled tokens",
                        "s per run", "what it is"],
              rows: r.rows.map { row in
                  let base = row.method == "grpo"
                  let own = row.baselineDifference.map { d in
                      "\(row.baseline ?? ""): \(d.interval()) (\(row.baselineSeedsAbove ?? 0) / \(row.baselineSeedsBelow ?? 0))"
                  } ?? "–"
                  return [row.method, row.greedyAccuracy.interval(), base ? "–" : row.greedyDifference.interval(),
                          row.sampledAccuracy.interval(), base ? "–" : row.sampledDifference.interval(),
                          base ? "–" : "\(row.seedsAbove) / \(row.seedsBelow)", row.baseline == "grpo" ? "–" : own, row.kl.interval(digits: 4),
                          String(format: "%.3f (%.3f)", row.advantageTop1, row.advantageTop1Chance),
                          String(format: "%.0f", row.sampledTokens), String(format: "%.0f", row.wallSeconds), row.summary]
              })
    }

    /// A method's curve averaged over its seeds (the seeds share evaluation points).
    static func meanCurve(_ r: RLDemoResult, _ label: String, _ key: KeyPath<RLCurvePoint, Double>) -> [(x: Double, y: Double)]? {
        SeedCurves.mean(r.runs.filter { $0.method == label }.map(\.curve), x: \.completions, y: key)
    }

    static func curveTable(_ r: RLDemoResult, _ key: KeyPath<RLCurvePoint, Double>, title: String) -> Table {
        SeedCurves.table(title: title, unit: "completions", methods: r.settings.methods, baseline: "grpo") { meanCurve(r, $0, key) }
    }
}
