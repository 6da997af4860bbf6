// The report of the CreditBench part of `tokenalign demo decoding`: accuracy against forward tokens
// per method (a figure, log scale), one table per budget level with each method compared with
// best-of-N under the outcome RM at the nearest cost, the unbiased best-of-n curves, and the data
// and reward models of every seed.
import Evaluation
import Foundation
import Reports

public enum CreditDecodingReport {
    static func f(_ x: Double, _ digits: Int = 0) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "–" }

    /// What each budget level sets, in words.
    static func levelText(_ s: CreditDecodingSettings, _ k: Int) -> String {
        "N = \(s.samples[k]), beam K = \(s.beamWidths[k]), MCTS iterations = \(s.iterations[k]), Saffron budget = \(s.saffronBudgets[k])"
    }

    /// Accuracy against log₂ of total forward tokens per prompt, one series per method, t-intervals
    /// across seeds as bars.
    static func chart(_ r: CreditDecodingResult) -> LineChart {
        let series = r.settings.creditbench.methods.enumerated().compactMap { c, m -> LineChart.Series? in
            let mine = r.rows.filter { $0.method == m }.sorted { $0.totalTokens < $1.totalTokens }
            guard !mine.isEmpty else { return nil }
            return LineChart.Series(name: m, points: mine.map { (x: log2(max($0.totalTokens, 1)), y: $0.accuracy.mean) },
                                    errorBars: mine.map { (low: $0.accuracy.low ?? $0.accuracy.mean, high: $0.accuracy.high ?? $0.accuracy.mean) },
                                    dashed: m.hasSuffix("@verifier"), colorIndex: c)
        }
        var chart = LineChart(title: "\(r.settings.creditbench.task): accuracy against forward tokens (mean over seeds, t-interval)",
                              xLabel: "log₂ forward tokens per prompt (base + reward model)", yLabel: "accuracy", series: series)
        chart.width = 640
        return chart
    }

    /// The rows of one budget level (greedy, which has one budget, in every level).
    static func levelTable(_ r: CreditDecodingResult, level: Int) -> Table {
        let rows = r.rows.filter { $0.level == nil || $0.level == level }.map { row -> [String] in
            let diff = row.difference.map { d in
                "\(d.interval()) vs N = \(row.matchedBaselineBudget.map(String.init) ?? "–") (\(row.seedsAbove ?? 0)↑ \(row.seedsBelow ?? 0)↓)"
            } ?? "(baseline)"
            return [row.method, "\(row.budget)", row.accuracy.text, row.seedAccuracy.map { $0.interval() }.joined(separator: "; "),
                    f(row.policyTokens), f(row.scorerTokens), diff]
        }
        return Table(headers: ["method", "budget", "accuracy [t-interval over seeds]", "per seed [bootstrap over prompts]",
                               "base tokens / prompt", "RM tokens / prompt", "− \(CreditDecodingMethods.baseline) at nearest cost (seeds above, below)"],
                     rows: rows)
    }

    public static func make(_ r: CreditDecodingResult, wallSeconds: Double) -> Report {
        let s = r.settings.creditbench
        var report = Report(title: "TokenAlign decoding demo, CreditBench part: accuracy against forward tokens on \(s.task)")
        report.add(.paragraph("""
            Per seed (\(r.settings.seeds.map(String.init).joined(separator: ", "))): a tiny Llama (\(r.modelParameters) parameters, \
            \(s.layers) layers, d = \(s.hiddenSize)) trained from scratch for \(s.sftSteps) steps on \(s.sftExamples) demonstrations, \
            \(f(100 * s.errorRate))% with an injected error; from it, with one budget each (\(s.rmSteps) steps of \(s.rmBatch), lr \(s.rmLearningRate)), \
            an outcome RM (Bradley–Terry on its own correct and wrong samples of \(s.preferencePrompts) prompts), a TVM value model \
            (the PRM of beam search and MCTS; \(s.rollouts) verified rollouts of each of \(s.valuePrompts) separate prompts) and a \
            multifurcation RM for Saffron (the verifier's prefix labels of the same rollouts). Every method searches the same \
            \(s.testPrompts) held-out prompts (disjoint from all training prompts) at temperature \(s.temperature), at most \(s.maxNewTokens) \
            new tokens, stopping at a newline; beam and MCTS expand \(s.expansions) sampled steps (delimiter "\(s.stepDelimiter)"), early \
            rejection scores after τ = \(s.tau) tokens and keeps \(s.keep), Saffron's children are the top-p \(s.saffronTopP) tokens. \
            Forward tokens count every position a model computed, padding included, per prompt, base model and reward model \
            separately (the verifier runs no model). Accuracy: the verifier's verdict on the chosen answer. Wall time \(f(wallSeconds)) s.
            """))
        report.add(.chart(chart(r)))
        for k in 0 ..< s.levels {
            report.add(.heading("Budget level \(k + 1): \(levelText(s, k))"))
            report.add(.table(levelTable(r, level: k)))
        }
        if r.settings.seeds.count < 2 {
            report.add(.paragraph("One seed: no interval across seeds (the t-interval needs at least two)."))
        }
        if !r.estimates.isEmpty {
            report.add(.heading("Unbiased best-of-n from the largest pool"))
            report.add(.paragraph("E[accuracy of the best of n of the pool's N samples by the method's scores], over all n-subsets (ties averaged), mean over prompts, then over seeds [t-interval]. With the verifier as scorer this is the oracle's best-of-n (pass@n)."))
            let ns = r.estimates.map(\.n).max { $0.count < $1.count } ?? []
            report.add(.table(Table(headers: ["method", "pool N"] + ns.map { "n = \($0)" },
                                    rows: r.estimates.map { e in [e.method, "\(e.pool)"] + ns.map { n in e.n.firstIndex(of: n).map { e.accuracy[$0].text } ?? "–" } })))
        }
        report.add(.heading("Data and reward models per seed"))
        report.add(.table(Table(headers: ["seed", "demonstrations (injected errors)", "pairs", "SFT sample accuracy", "value rows", "rollout accuracy",
                                          "final loss (ORM, TVM, MRM)"],
                                rows: r.seeds.map { d in
                                    ["\(d.seed)", "\(d.demonstrations) (\(d.injectedErrors))", "\(d.pairs)", f(d.pairSampleAccuracy, 3), "\(d.valueRows)",
                                     f(d.rolloutAccuracy, 3), d.models.map { $0.finalLoss.map { f($0, 3) } ?? "–" }.joined(separator: ", ")]
                                })))
        return report
    }

    /// The terminal summary: the largest budget level's table.
    public static func text(_ r: CreditDecodingResult) -> String {
        let level = max(0, r.settings.creditbench.levels - 1)
        return "CreditBench \(r.settings.creditbench.task), budget level \(level + 1) (\(levelText(r.settings.creditbench, level))):\n"
            + levelTable(r, level: level).markdown()
    }
}
