// Reward-model ensembles: several reward models' scores of one response reduced to one reward.
// Eisenstein et al., "Helping or Herding?" (arXiv 2312.09244) compare the mean, the median and the
// uncertainty penalty mean − λ·std; Coste et al., "Reward Model Ensembles Help Mitigate
// Overoptimization" (arXiv 2310.02743) add worst-case optimisation (the minimum) and
// uncertainty-weighted optimisation, mean − λ·variance. Std and variance are over the members
// (divided by k, the spread of this ensemble rather than an estimate for a population). With
// identical members every mode gives the member's reward; with λ = 0 both penalised modes are the
// mean.

/// How members' rewards combine.
public enum EnsembleAggregation: Equatable, Sendable {
    case mean
    case median
    case min
    /// mean − λ·std (arXiv 2312.09244).
    case meanMinusStd(lambda: Float)
    /// mean − λ·variance, "uncertainty-weighted optimisation" (arXiv 2310.02743).
    case uncertaintyWeighted(lambda: Float)
    /// The sum: with log-sigmoid-centred members, the log-probability of beating every member's
    /// reference at once — a soft AND (arXiv 2402.00742).
    case sum

    /// The combined reward of k ≥ 1 member rewards. Sums in Double.
    public func aggregate(_ values: [Float]) -> Float {
        precondition(!values.isEmpty, "EnsembleAggregation.aggregate: no member rewards")
        let k = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / k
        switch self {
        case .mean:
            return Float(mean)
        case .median:
            let s = values.sorted()
            let m = s.count / 2
            return s.count % 2 == 1 ? s[m] : Float((Double(s[m - 1]) + Double(s[m])) / 2)
        case .min:
            return values.min()!
        case .meanMinusStd(let lambda):
            return Float(mean - Double(lambda) * Self.variance(values, mean: mean).squareRoot())
        case .uncertaintyWeighted(let lambda):
            return Float(mean - Double(lambda) * Self.variance(values, mean: mean))
        case .sum:
            return Float(values.reduce(0.0) { $0 + Double($1) })
        }
    }

    static func variance(_ values: [Float], mean: Double) -> Double {
        values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
    }

    /// The spelling used on the command line: mean, median, min, mean-std=λ, uwo=λ.
    public var name: String {
        switch self {
        case .mean: "mean"
        case .median: "median"
        case .min: "min"
        case .meanMinusStd(let l): "mean-std=\(l)"
        case .uncertaintyWeighted(let l): "uwo=\(l)"
        case .sum: "sum"
        }
    }
}

/// Several token-reward sources combined token by token (and their sequence rewards, when every
/// member has one) by an `EnsembleAggregation`. Members must agree on the number of tokens.
public struct EnsembleReward: BatchedTokenRewardSource {
    public var members: [any TokenRewardSource]
    public var aggregation: EnsembleAggregation
    public var name: String

    public init(_ members: [any TokenRewardSource], aggregation: EnsembleAggregation, name: String? = nil) {
        precondition(!members.isEmpty, "EnsembleReward needs at least one member")
        self.members = members
        self.aggregation = aggregation
        self.name = name ?? "ensemble-\(aggregation.name)"
    }

    public var cost: CostHint {
        CostHint(forwardPassesPerEpisode: members.reduce(0) { $0 + $1.cost.forwardPassesPerEpisode },
                 needsReferenceModel: members.contains { $0.cost.needsReferenceModel })
    }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        let perMember = members.map { $0.tokenRewards(episodes) }
        return episodes.indices.map { i in
            let rows = perMember.map { $0[i] }
            let T = episodes[i].response.count
            precondition(rows.allSatisfy { $0.values.count == T }, "EnsembleReward: members disagree on the token count of episode \(i)")
            var column = [Float](repeating: 0, count: rows.count)
            var values = [Float](repeating: 0, count: T)
            for t in 0 ..< T {
                for (k, r) in rows.enumerated() { column[k] = r.values[t] }
                values[t] = aggregation.aggregate(column)
            }
            let sequences = rows.compactMap(\.sequenceReward)
            let sequence = sequences.count == rows.count ? aggregation.aggregate(sequences) : nil
            return TokenRewards(values: values, sequenceReward: sequence, source: name)
        }
    }
}
