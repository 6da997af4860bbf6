// Several seeds of the over-optimisation harness, summarised (`tokenalign report overoptimisation`):
// per proxy, the numbers that say whether it delays over-optimisation, each a mean over seeds with a
// t-interval across seeds, and each proxy paired with the first one seed by seed (the same seed
// draws the same best-of-n pool and the same first RL rollouts, so the pairing removes that noise).
import Foundation
import Reports
import Search

public struct OveroptimisationSeedSummary: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        public var proxy: String
        /// Best-of-n: the gold gain at the largest n, the best gold gain over n, the fitted peak d*.
        public var bestOfNFinalGain: SeedEstimate
        public var bestOfNBestGain: SeedEstimate
        public var bestOfNPeak: SeedEstimate
        /// RL: the mean gold gain and KL over the last `window` steps, the best gold gain of any step.
        public var rlFinalGain: SeedEstimate
        public var rlFinalKL: SeedEstimate
        public var rlBestGain: SeedEstimate
        /// Per-seed differences from the first proxy (paired): final best-of-n and final RL gold gain.
        public var bestOfNFinalVersusFirst: SeedEstimate
        public var rlFinalVersusFirst: SeedEstimate
    }

    public var gold: String
    public var seeds: [UInt64]
    public var samples: Int
    public var rlSteps: Int
    public var window: Int
    public var rows: [Row]
    /// Per proxy, the best-of-n gold gain at each n over seeds (d is the same for every seed).
    public var bestOfNCurves: [[BestOfNSeedPoint]]

    public struct BestOfNSeedPoint: Codable, Sendable, Equatable {
        public var n: Int
        public var distance: Double
        public var goldGain: SeedEstimate
    }

    /// Pools runs that share gold, proxies, pool size and RL budget, with distinct seeds.
    public static func summarise(_ runs: [OveroptimisationResult], window: Int = 10) throws -> OveroptimisationSeedSummary {
        guard let first = runs.first else { throw OveroptimisationError("give at least one result") }
        let proxies = first.curves.map(\.proxy)
        for r in runs {
            guard r.gold == first.gold, r.curves.map(\.proxy) == proxies, r.samples == first.samples, r.rlSteps == first.rlSteps,
                  r.bestOfNPrompts == first.bestOfNPrompts else {
                throw OveroptimisationError("seed \(r.seed): its gold, proxies, pool or RL budget differ from seed \(first.seed)'s; "
                    + "only runs that differ in the seed can be pooled")
            }
        }
        guard Set(runs.map(\.seed)).count == runs.count else { throw OveroptimisationError("two results have the same seed") }
        guard window >= 1 else { throw OveroptimisationError("window must be ≥ 1") }
        func finalRL(_ c: ProxyCurves) -> (gain: Double, kl: Double) {
            let tail = c.rl.suffix(window)
            guard !tail.isEmpty else { return (.nan, .nan) }
            return (tail.map(\.goldGain).reduce(0, +) / Double(tail.count), tail.map(\.kl).reduce(0, +) / Double(tail.count))
        }
        let rows = proxies.indices.map { k -> Row in
            let curves = runs.map { $0.curves[k] }, base = runs.map { $0.curves[0] }
            let bonFinal = curves.map { $0.bestOfN.last?.goldGain ?? .nan }
            let bonBase = base.map { $0.bestOfN.last?.goldGain ?? .nan }
            let rlFinal = curves.map { finalRL($0).gain }, rlBase = base.map { finalRL($0).gain }
            return Row(proxy: proxies[k],
                       bestOfNFinalGain: SeedEstimate(bonFinal),
                       bestOfNBestGain: SeedEstimate(curves.map { $0.bestOfN.map(\.goldGain).max() ?? .nan }),
                       bestOfNPeak: SeedEstimate(curves.map { $0.bestOfNFit?.peakDistance ?? .nan }),
                       rlFinalGain: SeedEstimate(rlFinal),
                       rlFinalKL: SeedEstimate(curves.map { finalRL($0).kl }),
                       rlBestGain: SeedEstimate(curves.map { $0.rl.map(\.goldGain).max() ?? .nan }),
                       bestOfNFinalVersusFirst: SeedEstimate(zip(bonFinal, bonBase).map { $0 - $1 }),
                       rlFinalVersusFirst: SeedEstimate(zip(rlFinal, rlBase).map { $0 - $1 }))
        }
        let curves = proxies.indices.map { k in
            (runs[0].curves[k].bestOfN.indices).map { i in
                BestOfNSeedPoint(n: runs[0].curves[k].bestOfN[i].x, distance: runs[0].curves[k].bestOfN[i].distance,
                                 goldGain: SeedEstimate(runs.map { $0.curves[k].bestOfN[i].goldGain }))
            }
        }
        return OveroptimisationSeedSummary(gold: first.gold, seeds: runs.map(\.seed), samples: first.samples, rlSteps: first.rlSteps,
                                           window: window, rows: rows, bestOfNCurves: curves)
    }

    public func report() -> Report {
        var r = Report(title: "Reward-model over-optimisation over \(seeds.count) seeds: gold \(gold)")
        r.add(.paragraph("""
        Seeds \(seeds.map(String.init).joined(separator: ", ")); best-of-n pools of \(samples); \(rlSteps) RL steps. Each cell: mean over \
        seeds [95% t-interval across seeds]. Gold gain = gold − the starting policy's. "Final" is n = \(samples) for best-of-n and \
        the mean of the last \(window) steps for RL. "vs first" is the paired per-seed difference from the first proxy \
        (\(rows.first?.proxy ?? "–")); an interval above 0 means the proxy lost less gold.
        """))
        r.add(.table(Table(headers: ["proxy", "BoN final gold gain", "BoN best gold gain", "BoN fitted d*", "BoN final vs first",
                                     "RL final gold gain", "RL final KL", "RL best gold gain", "RL final vs first"],
                           rows: rows.map { w in
                               [w.proxy, w.bestOfNFinalGain.text, w.bestOfNBestGain.text, w.bestOfNPeak.text, w.bestOfNFinalVersusFirst.text,
                                w.rlFinalGain.text, w.rlFinalKL.text, w.rlBestGain.text, w.rlFinalVersusFirst.text]
                           })))
        let series = bestOfNCurves.enumerated().filter { !$0.element.isEmpty }.map { k, points in
            LineChart.Series(name: rows[k].proxy, points: points.map { ($0.distance, $0.goldGain.mean) },
                             errorBars: points.map { ($0.goldGain.low ?? $0.goldGain.mean, $0.goldGain.high ?? $0.goldGain.mean) })
        }
        if !series.isEmpty {
            r.add(.chart(LineChart(title: "best-of-n: gold gain against √KL (mean over seeds, t-interval)", xLabel: "d = √KL (nats^½)",
                                   yLabel: "gold gain", series: series)))
        }
        return r
    }
}
