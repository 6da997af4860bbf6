// The report of `tokenalign demo rl-sentiment`: the setup, the comparison table (gold reward, its
// paired difference from GRPO and from each method's baseline, KL, lexicon reward, diversity,
// fluency), learning curves and a few continuations.
import Evaluation
import Foundation
import Reports

enum RLSentimentDemoReport {
    static func make(_ r: RLSentimentDemoResult) -> Report {
        let s = r.settings
        var report = Report(title: "Online RL for controlled sentiment on SmolLM2-135M: dense token rewards against GRPO")
        let rms = r.rewardModelPairs == 0 ? "" : """
             fine-grained-rlhf's reward models (LoRA rank \(s.loraRank) on the start model, \(s.rmSteps) steps of \(s.rmBatch) pairs) were \
            trained on \(r.rewardModelPairs) best-vs-worst pairs of the start model's continuations; on \(r.rewardModelHeldOutPairs) held-out \
            pairs the Bradley–Terry RM ranks \(format(r.sequenceRMAccuracy)) of the pairs right and the token RM's squared error per token \
            against the lexicon's token rewards is \(format(r.tokenRMError)).
            """
        report.add(.paragraph("""
            Start and reference: \(s.model) (\(r.modelParameters) parameters). Every method trains LoRA (rank \(s.loraRank), α \
            \(s.loraAlpha), q/k/v/o) on \(r.trainPrompts) Shakespeare prompts for \(s.steps) rollout batches of \(s.completionsPerStep) \
            sampled continuations of at most \(s.maxNewTokens) tokens (the same budget; GRPO in groups of \(s.numGenerations), PPO one per \
            prompt), seeds \(s.seeds.map(String.init).joined(separator: ", ")). The gold reward is VADER's compound of the continuation \
            − \(s.profanityWeight)·(profane words); the lexicon reward is the sum of its per-token form (word valence × \
            \(s.tokenRewardScale) on the word's tokens, the profanity penalty). Measurements are on \(r.testPrompts) held-out prompts × \
            \(s.evalSamples) continuations (T = 1, top-k \(s.topK)), 95% bootstrap intervals over prompts pooled over seeds; Δ is paired \
            with GRPO (or the method's baseline) by seed and prompt. KL(π‖π_ref) is summed over the vocabulary per sampled token.\(rms) \
            Wall time \(String(format: "%.0f", r.wallSeconds)) s.
            """))
        report.add(.table(table(r)))
        for (title, key, y) in [("Held-out gold reward", \RLSentimentCurvePoint.reward, "reward"), ("Held-out KL(π‖π_ref) per token", \RLSentimentCurvePoint.kl, "KL"),
                                ("Held-out lexicon reward", \RLSentimentCurvePoint.lexiconReward, "lexicon reward")] {
            report.add(.chart(LineChart(title: title, xLabel: "sampled training continuations", yLabel: y, series: s.methods.compactMap { label in
                meanCurve(r, label, key).map { LineChart.Series(name: label, points: $0) }
            })))
        }
        report.add(.heading("Learning curves (mean over seeds)"))
        report.add(.table(curveTable(r, \.reward, title: "held-out reward")))
        report.add(.table(curveTable(r, \.kl, title: "held-out KL/token")))
        report.add(.heading("Continuations of the first held-out prompts (first seed)"))
        var examples = [["reference"] + r.reference.examples]
        for label in s.methods { if let run = r.runs.first(where: { $0.method == label }) { examples.append([label] + run.evaluation.examples) } }
        let width = examples.map(\.count).max() ?? 1
        report.add(.table(Table(headers: ["policy"] + (1 ..< width).map { "prompt \($0)" },
                                rows: examples.map { $0 + Array(repeating: "", count: width - $0.count) })))
        report.add(.heading("Stage times"))
        report.add(.table(Table(headers: ["stage", "seconds"], rows: r.stages.map { [$0.stage, String(format: "%.1f", $0.seconds)] })))
        return report
    }

    static func format(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "–" }

    static func table(_ r: RLSentimentDemoResult) -> Table {
        let ref = r.reference
        var rows = [["reference", ref.reward.interval(), "–", "–", ref.kl.interval(digits: 4), "–", ref.lexiconReward?.interval() ?? "–", "–",
                     String(format: "%.3f", ref.distinct1), String(format: "%.3f", ref.distinct2), String(format: "%.3f", ref.selfBLEU),
                     String(format: "%.2f", ref.referencePerplexity), "–", "–", "the start"]]
        rows += r.rows.map { row in
            let own = row.baselineDifference.map { "\(row.baseline ?? ""): \($0.interval()) (\(row.baselineSeedsAbove ?? 0) / \(row.baselineSeedsBelow ?? 0))" } ?? "–"
            return [row.method, row.reward.interval(), row.rewardDifference?.interval() ?? "–",
                    row.rewardDifference == nil ? "–" : "\(row.seedsAbove) / \(row.seedsBelow)", row.kl.interval(digits: 4),
                    row.klDifference?.interval(digits: 4) ?? "–", row.lexiconReward.interval(), own,
                    String(format: "%.3f", row.distinct1), String(format: "%.3f", row.distinct2), String(format: "%.3f", row.selfBLEU),
                    String(format: "%.2f", row.referencePerplexity), String(format: "%.0f", row.sampledTokens), String(format: "%.0f", row.wallSeconds),
                    row.summary]
        }
        return Table(headers: ["method", "gold reward", "Δ vs GRPO", "seeds above / below GRPO", "KL(π‖π_ref)/token", "KL Δ vs GRPO",
                               "lexicon reward", "reward Δ vs its baseline (seeds above / below)", "distinct-1", "distinct-2", "self-BLEU",
                               "ref. perplexity", "sampled tokens", "s per run", "what it is"], rows: rows)
    }

    /// A method's curve averaged over its seeds (the seeds share evaluation points).
    static func meanCurve(_ r: RLSentimentDemoResult, _ label: String, _ key: KeyPath<RLSentimentCurvePoint, Double>) -> [(x: Double, y: Double)]? {
        SeedCurves.mean(r.runs.filter { $0.method == label }.map(\.curve), x: \.completions, y: key)
    }

    static func curveTable(_ r: RLSentimentDemoResult, _ key: KeyPath<RLSentimentCurvePoint, Double>, title: String) -> Table {
        SeedCurves.table(title: title, unit: "continuations", methods: r.settings.methods, baseline: "grpo") { meanCurve(r, $0, key) }
    }
}
