// Composition on the token-reward contract (docs/design/rewards.md §1.6): adapters that turn a
// sequence reward into token rewards (TerminalReward, PlacedReward, Redistribute), shape a stream
// (PotentialShaping, KLShaped), read a model's log-probabilities as rewards (LogProbReward), or add
// several sources of any kind (Sum). They take `any TokenRewardSource` / `any SequenceRewardModel`,
// so a lexicon, a verifier and a DPO model's implicit reward compose alike.

/// R on the last response token, 0 elsewhere. Return-preserving.
public struct TerminalReward: BatchedTokenRewardSource {
    public var model: any SequenceRewardModel
    public var name: String

    public init(_ model: any SequenceRewardModel, name: String = "terminal") {
        self.model = model
        self.name = name
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 1) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        zip(episodes, model.scores(episodes)).map { e, R in
            var v = [Float](repeating: 0, count: e.response.count)
            if !v.isEmpty { v[v.count - 1] = R }
            return TokenRewards(values: v, sequenceReward: R, source: name, returnPreserving: true)
        }
    }
}

/// A sequence reward placed on the response's tokens, as a word's value is placed on its
/// subword tokens (`SubwordPlacement`): `.lastToken` (R on the last token, as `TerminalReward`),
/// `.spread` (R/T on every token) or `.everyToken` (R on every token: Σ r = T·R, a per-token
/// bonus or penalty rather than a redistribution). Return-preserving except `.everyToken`.
public struct PlacedReward: BatchedTokenRewardSource {
    public var model: any SequenceRewardModel
    public var placement: SubwordPlacement
    public var name: String

    public init(_ model: any SequenceRewardModel, placement: SubwordPlacement, name: String? = nil) {
        self.model = model
        self.placement = placement
        self.name = name ?? "sequence-\(placement.rawValue)"
    }

    /// The sequence reward of another source, placed (e.g. a lexicon's compound score spread over
    /// the continuation).
    public init(sequenceRewardOf source: any TokenRewardSource, placement: SubwordPlacement, name: String? = nil) {
        self.init(SourceSequenceReward(source), placement: placement, name: name ?? "\(source.name)-sequence-\(placement.rawValue)")
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 1) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        zip(episodes, model.scores(episodes)).map { e, R in
            TokenRewards(values: Self.place(R, tokens: e.response.count, placement), sequenceReward: R, source: name,
                         returnPreserving: placement != .everyToken)
        }
    }

    /// R placed on `tokens` tokens.
    public static func place(_ R: Float, tokens T: Int, _ placement: SubwordPlacement) -> [Float] {
        guard T > 0 else { return [] }
        switch placement {
        case .lastToken:
            var v = [Float](repeating: 0, count: T)
            v[T - 1] = R
            return v
        case .spread: return [Float](repeating: R / Float(T), count: T)
        case .everyToken: return [Float](repeating: R, count: T)
        }
    }
}

/// Redistributes R over the response: r_t = β·R·w̄_t + (1 − β)·R·1[t = T], w̄ = w / Σ w.
/// Σ_t r_t = R exactly (return-preserving). ABC (attention weights, arXiv 2402.00782), SHAP, or
/// uniform spreading (all weights 1). A response whose weights sum to 0 puts all of R on the last token.
public struct Redistribute: BatchedTokenRewardSource {
    public var model: any SequenceRewardModel
    public var weights: (Episode) -> [Float]
    public var beta: Float
    public var name: String

    /// - Parameters:
    ///   - beta: the share of R spread by the weights (ABC: script default 0.5; its IMDb runs use 0.8).
    public init(_ model: any SequenceRewardModel, beta: Float = 0.5, name: String = "redistribute",
                weights: @escaping (Episode) -> [Float]) {
        self.model = model
        self.weights = weights
        self.beta = beta
        self.name = name
    }

    /// Uniform spreading (the ABC paper's baseline).
    public static func uniform(_ model: any SequenceRewardModel, beta: Float = 1) -> Redistribute {
        Redistribute(model, beta: beta, name: "uniform") { [Float](repeating: 1, count: $0.response.count) }
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 1) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        zip(episodes, model.scores(episodes)).map { e, R in
            TokenRewards(values: Redistribute.redistribute(R, weights: weights(e), beta: beta), sequenceReward: R, source: name,
                         returnPreserving: true)
        }
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
    public var name: String

    public init(_ value: any PrefixValue, terminal: (any SequenceRewardModel)? = nil, name: String = "potential-shaping") {
        self.value = value
        self.terminal = terminal
        self.name = name
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 1 + (terminal == nil ? 0 : 1)) }

    public func tokenRewards(_ e: Episode) -> TokenRewards {
        let T = e.response.count
        var potentials = (0 ... T).map { value.value(prompt: e.prompt, prefix: Array(e.response.prefix($0))) }
        var R: Float? = nil
        if let terminal, T > 0 {
            potentials[T] = terminal.score(e)
            R = potentials[T]
        }
        let r = (0 ..< T).map { potentials[$0 + 1] - potentials[$0] }
        return TokenRewards(values: r, sequenceReward: R, source: name, returnPreserving: terminal != nil)
    }
}

/// Adds the per-token KL penalty −β_KL (log π_θ(y_t|s_t) − log π_ref(y_t|s_t)) to another source
/// (the KL-shaped PPO reward). Not return-preserving.
public struct KLShaped: BatchedTokenRewardSource {
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

    public var name: String { "\(source.name)-kl" }

    public var cost: CostHint {
        var c = source.cost
        c.forwardPassesPerEpisode += 2
        c.needsReferenceModel = true
        return c
    }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        let bases = source.tokenRewards(episodes)
        let lps = policy.tokenLogProbs(episodes), lrs = reference.tokenLogProbs(episodes)
        return (0 ..< episodes.count).map { i in
            var base = bases[i]
            let lp = lps[i], lr = lrs[i]
            precondition(lp.count == base.values.count && lr.count == base.values.count,
                         "KLShaped: \(base.values.count) rewards, \(lp.count) policy and \(lr.count) reference log-probs")
            for t in base.values.indices { base.values[t] -= coefficient * (lp[t] - lr[t]) }
            base.returnPreserving = false
            base.source = name
            return base
        }
    }
}

/// Σ_k w_k r^k_t: several reward streams of any kind added per token (FGRLHF's multi-RM rewards,
/// arXiv 2306.01693; sentiment − λ·profanity). The sequence reward is Σ_k w_k R^k when every
/// stream has one. Return-preserving only for a single stream of weight 1.
public struct Sum: TokenRewardSource {
    public var sources: [any TokenRewardSource]
    public var weights: [Float]
    public var name: String

    public init(_ sources: [any TokenRewardSource], weights: [Float]? = nil, name: String? = nil) {
        precondition(!sources.isEmpty, "Sum: no sources")
        let w = weights ?? [Float](repeating: 1, count: sources.count)
        precondition(w.count == sources.count, "Sum: \(w.count) weights for \(sources.count) sources")
        self.sources = sources
        self.weights = w
        self.name = name ?? zip(w, sources).map { $0 == 1 ? $1.name : "\($0)·\($1.name)" }.joined(separator: " + ")
    }

    public var cost: CostHint {
        let cs = sources.map(\.cost)
        return CostHint(forwardPassesPerEpisode: cs.reduce(0) { $0 + $1.forwardPassesPerEpisode },
                        forwardPassesPerDecodingStep: cs.reduce(0) { $0 + $1.forwardPassesPerDecodingStep },
                        needsReferenceModel: cs.contains { $0.needsReferenceModel })
    }

    public func tokenRewards(_ e: Episode) -> TokenRewards { combine(sources.map { $0.tokenRewards(e) }, e) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        let parts = sources.map { $0.tokenRewards(episodes) }
        return episodes.indices.map { i in combine(parts.map { $0[i] }, episodes[i]) }
    }

    func combine(_ parts: [TokenRewards], _ e: Episode) -> TokenRewards {
        let T = e.response.count
        var v = [Float](repeating: 0, count: T)
        for (p, w) in zip(parts, weights) {
            precondition(p.values.count == T, "Sum: source \(p.source) gave \(p.values.count) rewards for \(T) tokens")
            for t in 0 ..< T { v[t] += w * p.values[t] }
        }
        var sequence: Float? = 0
        for (p, w) in zip(parts, weights) { sequence = sequence.flatMap { s in p.sequenceReward.map { s + w * $0 } } }
        let ends = parts.compactMap(\.segmentEnds).flatMap { $0 }
        return TokenRewards(values: v, sequenceReward: sequence, source: name,
                            returnPreserving: parts.count == 1 && weights[0] == 1 && parts[0].returnPreserving,
                            segmentEnds: ends.isEmpty ? nil : Array(Set(ends)).sorted())
    }
}

/// A model's log-probability of each written token as its reward, r_t = log π(y_t | x, y_<t): low
/// where the model finds the response unlikely (confidence-style credit, e.g. CRew, arXiv 2510.13501).
/// Not return-preserving.
public struct LogProbReward: BatchedTokenRewardSource {
    public var model: any TokenLogProbSource
    public var name: String

    public init(_ model: any TokenLogProbSource, name: String = "log-prob") {
        self.model = model
        self.name = name
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 1) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        model.tokenLogProbs(episodes).map { TokenRewards(values: $0, source: name) }
    }
}
