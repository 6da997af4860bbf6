// The demo's report: what was run, the method table, the credit-localisation table, learning curves
// and token heatmaps of held-out rejected responses.
import Evaluation
import Foundation
import Reports

enum CreditDemoReport {
    static func ci(_ e: Estimate, digits: Int = 3) -> String { e.interval(digits: digits) }

    static func creditTable(_ rows: [CreditSourceResult]) -> Table {
        Table(headers: ["credit source", "AUROC", "top-1", "top-1 chance", "responses", "what it is"],
              rows: rows.map { c in
                  [c.name, ci(c.auroc), ci(c.top1), String(format: "%.3f", c.top1Chance), "\(c.responses)", c.explanation]
              })
    }

    static func make(_ r: CreditDemoResult, heatmaps: [(title: String, maps: [TokenHeatmap])],
                     injectedHeatmaps: [(title: String, maps: [TokenHeatmap])]) -> Report {
        let s = r.settings, d = r.data
        var report = Report(title: "TokenAlign CreditBench demo — task \(s.task)")
        let origin = s.sftModel.map { "was taken from \($0) (an SFT model trained as this demo trains one)" }
            ?? "was trained from scratch for \(s.sftSteps) steps on \(d.sftExamples) demonstrations, \(d.sftInjectedErrors) of them with \(CreditDemo.errorKind(s))"
        let byPrompt = (try? s.makeTask())?.holdsOutByPrompt ?? true
        let heldOut = byPrompt ? "\(d.evalPromptsOverlapping) dropped for overlapping training prompts"
            : "fresh problems; this task has so few prompts that they repeat those of training"
        let taskLine = s.task == "add" ? "\(s.minDigits)–\(s.digits)-digit addition\(s.reversed ? " (sum written least-significant digit first)" : "")" : s.task
        report.add(.paragraph("""
            Task: \(taskLine). A \(d.modelParameters)-parameter Llama-style model (\(s.layers) layers, hidden \(s.hiddenSize), \
            \(s.heads) heads / \(s.kvHeads) KV heads) with a \(d.tokenizerVocabulary)-token byte-level BPE tokenizer \(origin). \
            It then sampled \(s.samplesPerPrompt) responses for each of \(d.preferencePrompts) prompts; \(d.trainPairs) prompts had both a \
            correct and a wrong sample and gave a preference pair. Each method trained from that SFT model against it as reference for \
            \(s.preferenceSteps) steps of \(s.preferenceBatch) pairs (lr \(s.preferenceLearningRate), β = \(s.beta), α = \(s.alpha)). \
            Held out: \(d.evalPrompts) prompts (\(heldOut)), \(d.evalPairs) \
            held-out pairs. Seed \(s.seed); wall time \(String(format: "%.0f", r.wallSeconds)) s. Intervals are 95% bootstrap \
            intervals over prompts (\(s.bootstrapResamples) resamples).
            """))
        if let rate = d.plantedErrorRate {
            report.add(.paragraph(String(format: """
                Systematic regime: %.0f%% of the SFT model's samples on the %d held-out prompts that admit the bug are exactly the \
                planted wrong answer: these errors are made with high probability, so the SFT model's own confidence is no free \
                answer to where they are.
                """, rate * 100, d.plantedPrompts)))
        }

        report.add(.heading("Policies on held-out prompts"))
        report.add(.table(Table(
            headers: ["method", "greedy accuracy", "sampled accuracy", "KL(π‖π_SFT) per token", "held-out reward accuracy", "train s"],
            rows: r.policies.map { p in
                [p.name, ci(p.greedyAccuracy), ci(p.sampledAccuracy), ci(p.klToReference, digits: 4),
                 p.heldOutRewardAccuracy.map { String(format: "%.3f", $0) } ?? "–", String(format: "%.1f", p.trainSeconds)]
            })))

        report.add(.heading("Credit localisation on held-out rejected responses"))
        report.add(.paragraph("""
            \(d.rejectedResponses) \(s.resolvedLocalisationSet == "all-wrong" ? "wrong samples (one per held-out prompt that gave any)" : "rejected responses (held-out pairs)") \
            from the SFT model on held-out prompts, each with its first erroneous token e known \
            from the verifier (\(d.rejectedEndingEarly) of them fail by stopping early, so e is the EOS). AUROC: probability that the first \
            error gets a lower reward than an earlier, still-correct token (0.5 = chance; responses whose first token is the error are left \
            out). Top-1: the lowest-reward token among 0…e is e (chance shown beside it).
            """))
        report.add(.table(creditTable(r.credit)))
        report.add(.heading("Credit localisation on injected errors"))
        report.add(.paragraph("""
            The same sources on \(d.injectedResponses) held-out canonical answers corrupted by the task's error injector (swaps, \
            wrong or dropped elements…): errors the SFT model did not make itself, so "the token the SFT model found unlikely" is no \
            longer a shortcut to the answer.
            """))
        report.add(.table(creditTable(r.creditInjected)))

        report.add(.heading("Learning curves"))
        let sft = r.curves.filter { $0.metric == "loss" && ["sft", "positive", "negative"].contains($0.run) }
        if !sft.isEmpty {
            report.add(.chart(LineChart(title: "Supervised losses", xLabel: "step", yLabel: "loss", series: sft.map(series))))
        }
        let methods = Set(s.methods)
        let prefLoss = r.curves.filter { $0.metric == "loss" && methods.contains($0.run) }
        if !prefLoss.isEmpty {
            report.add(.chart(LineChart(title: "Preference losses", xLabel: "step", yLabel: "loss", series: prefLoss.map(series))))
        }
        let acc = r.curves.filter { $0.metric == "eval_rewards/accuracies" }
        if !acc.isEmpty {
            report.add(.chart(LineChart(title: "Held-out pair accuracy (implicit reward, RMs: score)", xLabel: "step",
                                        yLabel: "rewards/accuracies", series: acc.map(series))))
        }
        let margins = r.curves.filter { $0.metric == "eval_rewards/margins" && methods.contains($0.run) }
        if !margins.isEmpty {
            report.add(.chart(LineChart(title: "Held-out reward margins", xLabel: "step", yLabel: "rewards/margins", series: margins.map(series))))
        }

        report.add(.heading("Token heatmaps"))
        report.add(.paragraph("Rejected held-out responses; red = low reward (blamed), green = high; the true first error is outlined. Each source is scaled to its own largest magnitude."))
        for h in heatmaps {
            report.add(.paragraph(h.title))
            report.add(.heatmaps(h.maps))
        }

        if !injectedHeatmaps.isEmpty {
            report.add(.paragraph("Injected errors:"))
            for h in injectedHeatmaps {
                report.add(.paragraph(h.title))
                report.add(.heatmaps(h.maps))
            }
        }

        report.add(.heading("Stage times"))
        report.add(.table(Table(headers: ["stage", "seconds"], rows: r.stages.map { [$0.stage, String(format: "%.1f", $0.seconds)] })))
        return report
    }

    static func series(_ c: Curve) -> LineChart.Series {
        LineChart.Series(name: c.run, points: zip(c.steps, c.values).filter { $0.1.isFinite }.map { (x: $0.0, y: $0.1) })
    }
}
