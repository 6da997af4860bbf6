// What the CreditBench part of `tokenalign demo decoding` measured (`results.json`): per seed the data
// and the three reward models, per seed × method × budget the verifier's verdict and the forward
// tokens of every held-out prompt, and the summary rows the report prints. Wall times go to
// `timings.json` (`DecodingDemoTimings`), so the same settings give the same bytes.
import Evaluation
import Foundation
import Search

/// One reward model a seed trained.
public struct CreditDecodingModel: Codable, Sendable, Equatable {
    public var name: String
    /// The scorer kind that reads it (`orm`, `prm`, `mrm`).
    public var scorer: String
    public var training: String
    /// Relative to the seed's folder.
    public var folder: String
    /// Mean training loss over the last tenth of the steps.
    public var finalLoss: Double?
}

/// One seed's data and models.
public struct CreditDecodingSeed: Codable, Sendable, Equatable {
    public var seed: UInt64
    public var demonstrations: Int
    public var injectedErrors: Int
    public var preferencePrompts: Int
    public var pairs: Int
    /// The SFT model's sampled accuracy (temperature 1) on the preference prompts.
    public var pairSampleAccuracy: Double
    public var valuePrompts: Int
    public var valueRows: Int
    /// Fraction of the value prompts' rollouts the verifier accepted.
    public var rolloutAccuracy: Double
    public var testPrompts: Int
    public var models: [CreditDecodingModel]
}

/// One method at one budget on one seed: a value per held-out prompt.
public struct CreditDecodingRun: Codable, Sendable, Equatable {
    public var method: String
    public var budget: Int
    /// The budget level (nil for greedy, which has one point shown at every level).
    public var level: Int?
    public var seed: UInt64
    /// 1 when the verifier accepts the chosen answer, per prompt.
    public var correct: [Double]
    /// Base-model (policy) and reward-model forward tokens per prompt, padding included.
    public var policyTokens: [Double]
    public var scorerTokens: [Double]
    /// n of the unbiased best-of-n estimate (pool methods), and its mean over prompts.
    public var estimateN: [Int]
    public var bestOfNAccuracy: [Double]

    init(method: String, budget: Int, level: Int?, seed: UInt64, correct: [Double], policyTokens: [Double], scorerTokens: [Double],
         estimateN: [Int] = [], bestOfNAccuracy: [Double] = []) {
        self.method = method
        self.budget = budget
        self.level = level
        self.seed = seed
        self.correct = correct
        self.policyTokens = policyTokens
        self.scorerTokens = scorerTokens
        self.estimateN = estimateN
        self.bestOfNAccuracy = bestOfNAccuracy
    }

    /// The run of `SearchRun`'s rows: the verifier's verdicts and each prompt's ledger.
    init(method: String, budget: Int, level: Int?, seed: UInt64, rows: [SearchRow], estimateN: [Int]) {
        self.init(method: method, budget: budget, level: level, seed: seed, correct: rows.map { $0.correct == true ? 1 : 0 },
                  policyTokens: rows.map { Double($0.ledger.policy.tokens) }, scorerTokens: rows.map { Double($0.ledger.scoring.tokens) },
                  estimateN: estimateN,
                  bestOfNAccuracy: estimateN.map { n in CreditDecodingSummary.mean(rows.map { $0.bestOfNAccuracy[n] ?? .nan }) })
    }

    public var accuracy: Double { CreditDecodingSummary.mean(correct) }
    public var meanPolicyTokens: Double { CreditDecodingSummary.mean(policyTokens) }
    public var meanScorerTokens: Double { CreditDecodingSummary.mean(scorerTokens) }
}

/// One point of a method's curve: the method at one budget, over every seed.
public struct CreditDecodingRow: Codable, Sendable, Equatable {
    public var method: String
    public var budget: Int
    public var level: Int?
    /// Mean accuracy over seeds with a 95% t-interval across seeds.
    public var accuracy: SeedEstimate
    /// Per seed: accuracy with a 95% bootstrap interval over prompts.
    public var seedAccuracy: [Estimate]
    /// Mean base-model and reward-model forward tokens per prompt (over prompts and seeds).
    public var policyTokens: Double
    public var scorerTokens: Double
    /// The baseline's budget nearest in total forward tokens (log scale), and the accuracy
    /// difference from it paired by seed and prompt (bootstrap over prompts); nil for the baseline.
    public var matchedBaselineBudget: Int?
    public var difference: Estimate?
    public var seedsAbove: Int?
    public var seedsBelow: Int?

    public var totalTokens: Double { policyTokens + scorerTokens }
}

/// The unbiased best-of-n curve of a pool method from its largest pool: n → accuracy over seeds.
public struct CreditDecodingEstimate: Codable, Sendable, Equatable {
    public var method: String
    public var pool: Int
    public var n: [Int]
    public var accuracy: [SeedEstimate]
}

public struct CreditDecodingResult: Codable, Sendable {
    public var settings: DecodingDemoSettings
    public var modelParameters: Int
    public var seeds: [CreditDecodingSeed]
    public var runs: [CreditDecodingRun]
    public var rows: [CreditDecodingRow]
    public var estimates: [CreditDecodingEstimate]

    init(settings: DecodingDemoSettings, modelParameters: Int, seeds: [CreditDecodingSeed], runs: [CreditDecodingRun]) {
        self.settings = settings
        self.modelParameters = modelParameters
        self.seeds = seeds
        self.runs = runs
        rows = CreditDecodingSummary.rows(runs, methods: settings.creditbench.methods, resamples: settings.data.bootstrapResamples)
        estimates = CreditDecodingSummary.estimates(runs, methods: settings.creditbench.methods)
    }
}

enum CreditDecodingSummary {
    static func mean(_ v: [Double]) -> Double {
        let f = v.filter(\.isFinite)
        return f.isEmpty ? .nan : f.reduce(0, +) / Double(f.count)
    }

    /// One row per method and budget, in the order of `methods` and of the budgets.
    static func rows(_ runs: [CreditDecodingRun], methods: [String], resamples: Int) -> [CreditDecodingRow] {
        func points(_ method: String) -> [(budget: Int, level: Int?, runs: [CreditDecodingRun])] {
            var out: [(budget: Int, level: Int?, runs: [CreditDecodingRun])] = []
            for r in runs where r.method == method {
                if let k = out.firstIndex(where: { $0.budget == r.budget }) { out[k].runs.append(r) } else { out.append((r.budget, r.level, [r])) }
            }
            return out
        }
        func cost(_ rs: [CreditDecodingRun]) -> Double { mean(rs.map { $0.meanPolicyTokens + $0.meanScorerTokens }) }
        let baseline = points(CreditDecodingMethods.baseline)
        var out: [CreditDecodingRow] = []
        for method in methods {
            for (k, p) in points(method).enumerated() {
                let prompts = p.runs.map(\.correct.count).min() ?? 0
                var row = CreditDecodingRow(
                    method: method, budget: p.budget, level: p.level, accuracy: SeedEstimate(p.runs.map(\.accuracy)),
                    seedAccuracy: p.runs.map { Bootstrap.meanOverGroups($0.correct.map { [$0] }, resamples: resamples, seed: $0.seed &+ UInt64(k)) },
                    policyTokens: mean(p.runs.map(\.meanPolicyTokens)), scorerTokens: mean(p.runs.map(\.meanScorerTokens)))
                if method != CreditDecodingMethods.baseline, let matched = nearest(cost(p.runs), in: baseline.map { ($0.budget, cost($0.runs)) }),
                   let other = baseline.first(where: { $0.budget == matched }) {
                    let bySeed = Dictionary(other.runs.map { ($0.seed, $0) }, uniquingKeysWith: { a, _ in a })
                    let pairs = p.runs.compactMap { r in bySeed[r.seed].map { (r, $0) } }
                    let diff = (0 ..< prompts).map { i in pairs.map { $0.0.correct[i] - $0.1.correct[i] } }
                    row.matchedBaselineBudget = matched
                    row.difference = Bootstrap.meanOverGroups(diff, resamples: resamples, seed: 21 &+ UInt64(k))
                    row.seedsAbove = pairs.filter { $0.0.accuracy > $0.1.accuracy }.count
                    row.seedsBelow = pairs.filter { $0.0.accuracy < $0.1.accuracy }.count
                }
                out.append(row)
            }
        }
        return out
    }

    /// The budget whose cost is nearest `cost` on a log scale (ties: the smaller budget).
    static func nearest(_ cost: Double, in candidates: [(budget: Int, cost: Double)]) -> Int? {
        func gap(_ c: Double) -> Double { abs(log(max(c, 1)) - log(max(cost, 1))) }
        return candidates.min { gap($0.cost) < gap($1.cost) || (gap($0.cost) == gap($1.cost) && $0.budget < $1.budget) }?.budget
    }

    /// For each pool method in `methods`, the estimate curve from its largest pool.
    static func estimates(_ runs: [CreditDecodingRun], methods: [String]) -> [CreditDecodingEstimate] {
        methods.compactMap { method in
            let mine = runs.filter { $0.method == method && !$0.estimateN.isEmpty }
            guard let pool = mine.map(\.budget).max() else { return nil }
            let largest = mine.filter { $0.budget == pool }
            guard let n = largest.first?.estimateN else { return nil }
            return CreditDecodingEstimate(method: method, pool: pool, n: n,
                                          accuracy: n.indices.map { k in SeedEstimate(largest.map { $0.bestOfNAccuracy[k] }) })
        }
    }
}
