// The decoding demo's report: per seed, every method's reward against its forward tokens per
// generated token (the compute claim of RAD, arXiv:2310.09520, and GenARM, arXiv:2410.08193,
// against best-of-N), reward against reference perplexity, the full table, and the trained models.
import Evaluation
import Foundation
import Reports

public enum DecodingDemoReport {
    static func ci(_ e: Estimate) -> String { e.interval() }
    static func f(_ x: Double, _ digits: Int = 2) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "–" }

    /// The families drawn as one line each (points ordered by strength).
    static let families = ["sample", "rad", "args", "genarm", "best-of-n (rm)", "best-of-n (vader oracle)", "dpo"]

    /// Reward against `x` per method family, one series per family, reward CIs as bars.
    static func chart(_ runs: [DecodingRun], x: (DecodingRun) -> Double, xLabel: String, title: String) -> LineChart {
        var series: [LineChart.Series] = []
        for (c, m) in families.enumerated() {
            let mine = runs.filter { $0.method == m }.sorted { ($0.strength ?? 0) < ($1.strength ?? 0) }
            guard !mine.isEmpty else { continue }
            series.append(LineChart.Series(name: m, points: mine.map { (x: x($0), y: $0.reward.value) },
                                           errorBars: mine.map { (low: $0.reward.low, high: $0.reward.high) }, colorIndex: c))
        }
        var chart = LineChart(title: title, xLabel: xLabel, yLabel: "VADER reward", series: series)
        chart.width = 640
        return chart
    }

    /// The compute claim, checked on one seed: each guide's best strength against the best-of-N
    /// (sequence RM) with the largest N. A guide matches best-of-N when its mean reward is at least
    /// best-of-N's; it is within reach when its mean lies inside best-of-N's 95% interval.
    public static func claim(_ r: DecodingSeedResult) -> [String] {
        guard let bon = r.runs.filter({ $0.method == "best-of-n (rm)" }).max(by: { ($0.strength ?? 0) < ($1.strength ?? 0) }) else { return [] }
        var out: [String] = []
        for g in ["rad", "genarm", "args"] {
            guard let best = r.runs.filter({ $0.method == g }).max(by: { $0.reward.value < $1.reward.value }) else { continue }
            let verdict = best.reward.value >= bon.reward.value ? "Matches or beats best-of-N's mean reward"
                : best.reward.value >= bon.reward.low ? "Below best-of-N's mean but inside its 95% interval"
                : "Below best-of-N's 95% interval"
            let ratio = best.totalPerToken / max(bon.totalPerToken, 1e-12)
            out.append("\(best.label): reward \(ci(best.reward)) at \(f(best.totalPerToken, 1)) forward tokens per generated token; "
                + "\(bon.label): \(ci(bon.reward)) at \(f(bon.totalPerToken, 1)). "
                + verdict + ", at \(f(100 * ratio, 0))% of its compute.")
        }
        return out
    }

    static func make(_ r: DecodingDemoResult) -> Report {
        let s = r.settings.data, d = r.settings
        var report = Report(title: "TokenAlign decoding demo: what each guide and searcher buys for what it costs")
        report.add(.paragraph("""
            Base model \(s.model); task: continue the first four words of a Shakespeare line (\(r.trainPrompts) training, \
            \(r.testPrompts) held-out prompts) towards positive sentiment. Reward: VADER compound − \(s.profanityWeight)·(profane words); \
            lexicon reward: the sum of per-word valences × \(s.tokenRewardScale) over the output. Trained from the base, each with LoRA rank \
            \(s.loraRank) on q/k/v/o, \(s.steps) steps of \(s.batch) pairs, lr \(s.learningRate): RAD's causal RM, ARGS's sequence RM, \
            GenARM's autoregressive RM (β_r = \(d.armBeta)) and a DPO policy (β = \(d.dpoBeta)). Decoding: T = \(s.temperature), top-k \(s.topK), \
            \(s.maxNewTokens) new tokens, \(s.evalSamples) outputs per held-out prompt; RAD and ARGS rescore the top \(d.guideTopK). \
            Cost: forward positions of the base model and of the reward model per generated token (prefill with its padding included; \
            the models are the same size, so the two add up). 95% bootstrap intervals over prompts. Seeds \(d.seeds.map(String.init).joined(separator: ", ")). \
            Wall time \(f(r.timings.wallSeconds, 0)) s.
            """))
        for seed in r.seeds {
            report.add(.heading("Seed \(seed.seed)"))
            report.add(.paragraph("\(seed.pairs) training pairs, \(seed.heldOutPairs) held-out pairs."))
            let claims = claim(seed)
            if !claims.isEmpty {
                report.add(.paragraph("The compute claim (best strength of each guide against the largest best-of-N scored by the sequence RM): "
                    + claims.joined(separator: " ")))
            }
            report.add(.chart(chart(seed.runs, x: \.totalPerToken, xLabel: "forward tokens per generated token (base + reward model)",
                                    title: "Reward vs compute (seed \(seed.seed); bars: 95% CI)")))
            report.add(.chart(chart(seed.runs, x: \.referencePerplexity, xLabel: "reference perplexity",
                                    title: "Reward vs fluency (seed \(seed.seed))")))
            report.add(.table(Table(
                headers: ["method", "VADER reward", "lexicon reward", "ref. perplexity", "distinct-1", "distinct-2",
                          "base fwd/token", "RM fwd/token", "seconds"],
                rows: seed.runs.map { x in
                    [x.label, ci(x.reward), ci(x.lexiconReward), f(x.referencePerplexity), f(x.distinct1, 3), f(x.distinct2, 3),
                     f(x.basePerToken, 1), f(x.rewardPerToken, 1), r.timings.runSeconds["seed \(seed.seed): \(x.label)"].map { f($0, 1) } ?? "–"]
                })))
            report.add(.table(Table(headers: ["trained model", "training", "held-out pair accuracy", "folder"],
                                    rows: seed.models.map { [$0.name, $0.training, $0.heldOutAccuracy.map { f($0, 3) } ?? "–", $0.folder] })))
            report.add(.heading("Sample outputs (seed \(seed.seed), first held-out prompts)"))
            let width = seed.runs.map(\.examples.count).max() ?? 0
            report.add(.table(Table(headers: ["method"] + (0 ..< width).map { "prompt \($0 + 1)" },
                                    rows: seed.runs.map { [$0.label] + $0.examples.map { $0.replacingOccurrences(of: "\n", with: " ↵ ") }
                                        + Array(repeating: "", count: width - $0.examples.count) })))
        }
        SentimentDemoReport.addLearningCurves(r.curves, to: &report)
        report.add(.heading("Stage times"))
        report.add(.table(Table(headers: ["stage", "seconds"], rows: r.timings.stages.map { [$0.stage, f($0.seconds, 1)] })))
        return report
    }

    /// The plain-text summary the command prints: per seed, each method's reward and cost, then the claim.
    public static func text(_ r: DecodingDemoResult) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var out = ""
        for seed in r.seeds {
            out += "\nSeed \(seed.seed): held-out reward (95% bootstrap CI over prompts) and forward tokens per generated token\n"
            out += pad("method", 30) + pad("VADER reward", 26) + pad("base", 8) + pad("RM", 8) + "ref. ppl\n"
            for x in seed.runs {
                out += pad(x.label, 30) + pad(ci(x.reward), 26) + pad(f(x.basePerToken, 1), 8) + pad(f(x.rewardPerToken, 1), 8) + f(x.referencePerplexity) + "\n"
            }
            for line in claim(seed) { out += "  " + line + "\n" }
        }
        return out + "wall time \(f(r.timings.wallSeconds, 0)) s\n"
    }
}
