// The sentiment experiment's report: the reward-vs-KL frontier (TDPO paper, Fig. 2), the table of
// every method and β, sample continuations, and lexicon-vs-implicit token heatmaps.
import Evaluation
import Foundation
import Reports

public enum SentimentDemoReport {
    static func ci(_ e: Estimate?, digits: Int = 3) -> String { e?.interval(digits: digits) ?? "–" }

    /// The reward-vs-KL frontier of one or more runs (e.g. seeds): per method a line from the
    /// reference (KL 0) through its β points, with the reward's bootstrap CI as error bars. Runs
    /// after the first are dashed, in their method's colour, and named "method (label)".
    public static func frontier(_ runs: [SentimentDemoResult], labels: [String]? = nil) -> LineChart {
        var series: [LineChart.Series] = []
        let methods = runs.flatMap(\.settings.methods).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for (k, r) in runs.enumerated() {
            let ref = r.runs.first { $0.method == "reference" }
            for (c, m) in methods.enumerated() {
                var pts = r.runs.filter { $0.method == m }.map { (x: $0.kl.value, y: $0.reward.value, bar: (low: $0.reward.low, high: $0.reward.high)) }
                guard !pts.isEmpty else { continue }
                if let ref { pts.append((x: 0, y: ref.reward.value, bar: (low: ref.reward.low, high: ref.reward.high))) }
                pts = pts.filter { $0.x.isFinite && $0.y.isFinite }.sorted { $0.x < $1.x }
                let name = runs.count > 1 ? "\(m) (\(labels?[k] ?? "seed \(r.settings.seed)"))" : m
                series.append(LineChart.Series(name: name, points: pts.map { (x: $0.x, y: $0.y) }, errorBars: pts.map(\.bar),
                                               dashed: k > 0, colorIndex: c))
            }
        }
        var chart = LineChart(title: "Held-out reward vs KL per token (one point per β; bars: 95% CI)",
                              xLabel: "KL per token", yLabel: "reward", series: series)
        if runs.count > 1 { chart.width = 700; chart.height = 200 + 16 * series.count }
        return chart
    }

    /// A "Learning curves" section with every run's training loss (nothing without loss curves).
    static func addLearningCurves(_ curves: [Curve], to report: inout Report) {
        let losses = curves.filter { $0.metric == "loss" }
        guard !losses.isEmpty else { return }
        report.add(.heading("Learning curves"))
        report.add(.chart(LineChart(title: "Training loss", xLabel: "step", yLabel: "loss",
                                    series: losses.map { LineChart.Series(name: $0.run, points: zip($0.steps, $0.values).filter { $0.1.isFinite }.map { (x: $0.0, y: $0.1) }) })))
    }

    static func make(_ r: SentimentDemoResult, heatmaps: [(title: String, maps: [TokenHeatmap])]) -> Report {
        let s = r.settings
        var report = Report(title: "TokenAlign controlled-sentiment demo")
        report.add(.paragraph("""
            Policy and reference: \(s.model). Reward: VADER compound of the continuation (Hutto & Gilbert 2014) \
            − \(s.profanityWeight)·(profane words, better-profanity list); per-token rewards: each word's valence × \(s.tokenRewardScale) on \
            its last token. Prompts: the first 4 words of Shakespeare lines, \(r.trainPrompts) training and \(r.testPrompts) held-out. \
            \(s.samplesPerPrompt) continuations per training prompt (T = \(s.temperature), top-k \(s.topK), \(s.maxNewTokens) tokens); \
            best vs worst with a score gap ≥ \(s.minimumMargin) gave \(r.pairs) training pairs and \(r.heldOutPairs) held-out pairs. \
            Every method: LoRA rank \(s.loraRank) on q/k/v/o, \(s.steps) steps of \(s.batch) pairs, lr \(s.learningRate), α = \(s.alpha); \
            β ∈ \(s.betas). Evaluation: \(s.evalSamples) samples per held-out prompt; 95% bootstrap intervals over prompts. \
            Seed \(s.seed); wall time \(String(format: "%.0f", r.wallSeconds)) s. The preference labels are synthetic (a lexicon scores them).
            """))
        if let m = r.mergedModel { report.add(.paragraph("Merged DPO model (LoRA folded in): \(m).")) }

        report.add(.heading("Reward vs KL"))
        report.add(.chart(frontier([r])))
        report.add(.table(Table(
            headers: ["method", "β", "reward", "KL/token", "distinct-1", "distinct-2", "self-BLEU", "ref. perplexity",
                      "ρ(implicit, lexicon) all tokens", "ρ lexicon tokens", "held-out pair acc.", "train s"],
            rows: r.runs.map { x in
                [x.method, x.beta.map { String(format: "%g", $0) } ?? "–", ci(x.reward), ci(x.kl, digits: 4),
                 String(format: "%.3f", x.distinct1), String(format: "%.3f", x.distinct2), String(format: "%.3f", x.selfBLEU),
                 String(format: "%.2f", x.referencePerplexity), ci(x.rankCorrelation), ci(x.rankCorrelationLexiconTokens),
                 x.heldOutRewardAccuracy.map { String(format: "%.3f", $0) } ?? "–", String(format: "%.0f", x.trainSeconds)]
            })))
        report.add(.paragraph("""
            ρ: Spearman rank correlation, pooled over the tokens of the reference's held-out samples, between the lexicon's per-token \
            reward (the known truth) and the policy's implicit token reward β·log π/π_ref: how well does each method's implicit reward \
            recover per-word valence? “lexicon tokens” restricts to tokens that carry a lexicon word.
            """))
        if let a = r.raterAgreement {
            report.add(.paragraph("""
                The human ceiling: the same ρ for a single human rating per word in place of an implicit reward. Each of VADER's ten                 raters' ratings rescores the reference's held-out samples under the same rules, and is ranked against the ten-rater mean                 (which includes that rater's vote) and against the mean of the other nine. Mean [min, max] over the ten raters:
                """))
            report.add(.table(Table(
                headers: ["one rater against", "ρ all tokens", "ρ lexicon tokens"],
                rows: [["the ten-rater mean (the truth above)", RaterAgreement.summary(a.allTokens), RaterAgreement.summary(a.lexiconTokens)],
                       ["the other nine raters' mean", RaterAgreement.summary(a.allTokensLeaveOneOut), RaterAgreement.summary(a.lexiconTokensLeaveOneOut)]])))
        }

        report.add(.heading("Sample continuations (first held-out prompts)"))
        var rows: [[String]] = []
        for x in r.runs {
            rows.append([x.method + (x.beta.map { String(format: " β=%g", $0) } ?? "")] + x.examples.map { $0.replacingOccurrences(of: "\n", with: " ↵ ") })
        }
        let width = rows.map(\.count).max() ?? 1
        report.add(.table(Table(headers: ["method"] + (1 ..< width).map { "prompt \($0)" },
                                rows: rows.map { $0 + Array(repeating: "", count: width - $0.count) })))

        report.add(.heading("Token heatmaps: lexicon truth vs implicit rewards"))
        for h in heatmaps {
            report.add(.paragraph(h.title))
            report.add(.heatmaps(h.maps))
        }
        addLearningCurves(r.curves, to: &report)
        report.add(.heading("Stage times"))
        report.add(.table(Table(headers: ["stage", "seconds"], rows: r.stages.map { [$0.stage, String(format: "%.1f", $0.seconds)] })))
        return report
    }
}
