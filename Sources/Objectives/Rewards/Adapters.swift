// The standard reward adapters (docs/design/rewards.md §1.6): TerminalReward, Redistribute,
// PotentialShaping, KLShaped, Sum.

/// R on the last response token, 0 elsewhere. Return-preserving.
public struct TerminalReward: TokenRewardSource {
    public var model: any SequenceRewardModel

    public init(_ model: any SequenceRewardModel) { self.model = model }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 1) }

    public func tokenRewards(_ e: Episode) -> TokenRewards {
        var v = [Float](repeating: 0, count: e.response.count)
        if !v.isEmpty { v[v.count - 1] = model.score(e) }
        return TokenRewards(values: v, returnPreserving: true)
    }
}

/// Redistributes R over the response: r_t = β·R·w̄_t + (1 − β)·R·1[t = T], w̄ = w / Σ w.
/// Σ_t r_t = R exactly (return-preserving). ABC (attention weights, arXiv 2402.00782), SHAP, or
/// uniform spreading (all weights 1). A response whose weights sum to 0 puts all of R on the last token.
public struct Redistribute: TokenRewardSource {
    public var model: any SequenceRewardModel
    public var weights: (Episode) -> [Float]
    public var beta: Float

    /// - Parameters:
    ///   - beta: the share of R spread by the weights (ABC: script default 0.5; its IMDb runs use 0.8).
    public init(_ model: any SequenceRewardModel, beta: Float = 0.5, weights: @escaping (Episode) -> [Float]) {
        self.model = model
        self.weights = weights
        self.beta = beta
    }

    /// Uniform spreading (the ABC paper's baseline).
    public static func uniform(_ model: any SequenceRewardModel, beta: Float = 1) -> Redistribute {
        Redistribute(model, beta: beta) { [Float](repeating: 1, count: $0.response.count) }
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 1) }

    public func tokenRewards(_ e: Episode) -> TokenRewards {
        let R = model.score(e)
        return TokenRewards(values: Redistribute.redistribute(R, weights: weights(e), beta: beta), returnPreserving: true)
    }

    /// r_t = β·R·w_t/Σw + (1 − β)·R·1[t = T].
    public static func redistribute(_ R: Float, weights w: [Float], beta: Float) -> [Float] {
        let T = w.count
        guard T > 0 else { return [] }
        precondition(w.allSatisfy { $0 >= 0 }, "Redistribute: weights must be ≥ 0, got \(w)")
        let s = w.reduce(0, +)
        var r = [Float](repeating: 0, count: T)
        if s > 0 {
            for t in 0 ..< T { r[t] = beta * R * w[t] / s }
            r[T - 1] += (1 - beta) * R
        } else {
            r[T - 1] = R
        }
        return r
    }
}

/// Potential-based shaping (Ng, Harada & Russell 1999): r_t = V(x, y_≤t) − V(x, y_<t), with
/// V(x, y) := R(x, y) at the terminal state when a terminal model is given. The sum telescopes to
/// V_T − V_0 = R − V(x, ∅), i.e. R plus a function of the prompt only (docs/design/rewards.md §1.7).
public struct PotentialShaping: TokenRewardSource {
    public var value: any PrefixValue
    public var terminal: (any SequenceRewardModel)?

    public init(_ value: any PrefixValue, terminal: (any SequenceRewardModel)? = nil) {
        self.value = value
        self.terminal = terminal
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 1 + (terminal == nil ? 0 : 1)) }

    public func tokenRewards(_ e: Episode) -> TokenRewards {
        let T = e.response.count
        var potentials = (0 ... T).map { value.value(prompt: e.prompt, prefix: Array(e.response.prefix($0))) }
        if let terminal, T > 0 { potentials[T] = terminal.score(e) }
        let r = (0 ..< T).map { potentials[$0 + 1] - potentials[$0] }
        return TokenRewards(values: r, returnPreserving: terminal != nil)
    }
}

/// Adds the per-token KL penalty −β_KL (log π_θ(y_t|s_t) − log π_ref(y_t|s_t)) to another source
/// (the KL-shaped PPO reward). Not return-preserving.
public struct KLShaped: TokenRewardSource {
    public var source: any TokenRewardSource
    public var policy: any TokenLogProbSource
    public var reference: any TokenLogProbSource
    public var coefficient: Float

    public init(_ source: any TokenRewardSource, policy: any TokenLogProbSource, reference: any TokenLogProbSource, coefficient: Float) {
        self.source = source
        self.policy = policy
        self.reference = reference
        self.coefficient = coefficient
    }

    public var cost: CostHint {
        var c = source.cost
        c.forwardPassesPerEpisode += 2
        c.needsReferenceModel = true
        return c
    }

    public func tokenRewards(_ e: Episode) -> TokenRewards {
        var base = source.tokenRewards(e)
        let lp = policy.tokenLogProbs(e), lr = reference.tokenLogProbs(e)
        precondition(lp.count == base.values.count && lr.count == base.values.count,
                     "KLShaped: \(base.values.count) rewards, \(lp.count) policy and \(lr.count) reference log-probs")
        for t in base.values.indices { base.values[t] -= coefficient * (lp[t] - lr[t]) }
        base.returnPreserving = false
        return base
    }
}

/// Σ_k w_k r^k_t: several reward streams added per token (FGRLHF's multi-RM rewards,
/// arXiv 2306.01693). Return-preserving only for a single stream of weight 1.
public struct Sum: TokenRewardSource {
    public var sources: [any TokenRewardSource]
    public var weights: [Float]

    public init(_ sources: [any TokenRewardSource], weights: [Float]? = nil) {
        precondition(!sources.isEmpty, "Sum: no sources")
        let w = weights ?? [Float](repeating: 1, count: sources.count)
        precondition(w.count == sources.count, "Sum: \(w.count) weights for \(sources.count) sources")
        self.sources = sources
        self.weights = w
    }

    public var cost: CostHint {
        let cs = sources.map(\.cost)
        return CostHint(forwardPassesPerEpisode: cs.reduce(0) { $0 + $1.forwardPassesPerEpisode },
                        forwardPassesPerDecodingStep: cs.reduce(0) { $0 + $1.forwardPassesPerDecodingStep },
                        needsReferenceModel: cs.contains { $0.needsReferenceModel })
    }

    public func tokenRewards(_ e: Episode) -> TokenRewards {
        let parts = sources.map { $0.tokenRewards(e) }
        let T = e.response.count
        var v = [Float](repeating: 0, count: T)
        for (p, w) in zip(parts, weights) {
            precondition(p.values.count == T, "Sum: a source gave \(p.values.count) rewards for \(T) tokens")
            for t in 0 ..< T { v[t] += w * p.values[t] }
        }
        let ends = parts.compactMap(\.segmentEnds).flatMap { $0 }
        return TokenRewards(values: v, returnPreserving: parts.count == 1 && weights[0] == 1 && parts[0].returnPreserving,
                            segmentEnds: ends.isEmpty ? nil : Array(Set(ends)).sorted())
    }
}
