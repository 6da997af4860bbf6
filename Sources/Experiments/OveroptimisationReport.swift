// The over-optimisation harness's report: per proxy, the fitted forms and where each puts the gold
// peak, the measured points, and the proxy and gold rewards against d = √KL (one chart per method).
import Evaluation
import Foundation
import Reports
import Search

extension OveroptimisationResult {
    public func report() -> Report {
        var r = Report(title: "Reward-model over-optimisation: gold \(gold)")
        r.add(.paragraph("""
        Each proxy is optimised by best-of-n (\(samples) samples for each of \(bestOfNPrompts) prompts, unbiased estimator) \
        and by \(rlSteps) online-RL steps; the gold reward is measured on the same samples. d = √KL(π ‖ π_init) in nats \
        (best-of-n: log n − (n − 1)/n; RL: the rollouts' Σ_t log π − log π_init). Gold gain = gold − the starting policy's. \
        Fits: best-of-n R = d(α − βd), RL R = d(α − β log d) (Gao et al., arXiv 2210.10760); the fitted peak d* is where \
        the gold gain stops rising. Intervals: 95% bootstrap over prompts. Seed \(seed).
        """))
        r.add(.table(summaryTable()))
        for (label, points) in [("best-of-n", \ProxyCurves.bestOfN), ("RL", \ProxyCurves.rl)] as [(String, KeyPath<ProxyCurves, [OveroptimisationPoint]>)] {
            let drawn = curves.filter { !$0[keyPath: points].isEmpty }
            guard !drawn.isEmpty else { continue }
            var series: [LineChart.Series] = []
            for (k, c) in drawn.enumerated() {
                let p = c[keyPath: points]
                series.append(.init(name: "\(c.proxy) gold gain", points: p.map { ($0.distance, $0.goldGain) },
                                    errorBars: p.map { ($0.gold.low - $0.goldShift, $0.gold.high - $0.goldShift) }, colorIndex: k))
                series.append(.init(name: "\(c.proxy) proxy", points: p.map { ($0.distance, $0.proxy.value) }, dashed: true, colorIndex: k))
            }
            r.add(.chart(LineChart(title: "\(label): proxy and gold against √KL", xLabel: "d = √KL (nats^½)", yLabel: "reward",
                                   series: series)))
            for c in drawn {
                r.add(.heading("\(label), proxy \(c.proxy)"))
                r.add(.table(pointTable(c[keyPath: points], step: label == "RL")))
            }
        }
        let notes = curves.flatMap { c in c.fitNotes.map { "\(c.proxy): \($0)" } }
        if !notes.isEmpty { r.add(.paragraph("Not fitted: " + notes.joined(separator: "; ") + ".")) }
        return r
    }

    func summaryTable() -> Table {
        func fitCells(_ f: OveroptimisationFit?) -> [String] {
            guard let f else { return ["–", "–", "–", "–"] }
            return [String(format: "%.4g", f.alpha), String(format: "%.4g", f.beta),
                    f.peakDistance.map { String(format: "%.3g", $0) } ?? "none (β ≤ 0)", String(format: "%.3g", f.rmse)]
        }
        func best(_ p: [OveroptimisationPoint]) -> String {
            guard let m = p.max(by: { $0.goldGain < $1.goldGain }) else { return "–" }
            return String(format: "%+.4f at d = %.3g", m.goldGain, m.distance)
        }
        return Table(headers: ["proxy", "BoN α", "BoN β", "BoN d*", "BoN rmse", "BoN best gold gain",
                               "RL α", "RL β", "RL d*", "RL rmse", "RL best gold gain"],
                     rows: curves.map { c in [c.proxy] + fitCells(c.bestOfNFit) + [best(c.bestOfN)] + fitCells(c.rlFit) + [best(c.rl)] })
    }

    func pointTable(_ points: [OveroptimisationPoint], step: Bool) -> Table {
        Table(headers: [step ? "step" : "n", "KL", "d", "proxy", "gold", "gold gain"],
              rows: points.map { p in
                  [String(p.x), String(format: "%.4f", p.kl), String(format: "%.4f", p.distance), p.proxy.description, p.gold.description,
                   String(format: "%+.4f", p.goldGain)]
              })
    }
}
