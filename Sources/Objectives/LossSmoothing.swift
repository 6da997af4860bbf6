// Loss smoothing: token-level (smoothed targets over the vocabulary) and sequence-level (RAML,
// reward-weighted likelihood over candidate sequences).
import Autograd
import TensorCore

/// Token-level loss smoothing, Elbayad et al. 2018, "Token-level and sequence-level loss smoothing
/// for RNN language models", arXiv 1805.05062, §3.2: the one-hot target at step t is replaced by
/// q_t(v) ∝ exp(r(y_t, v)/τ), r a token similarity (e.g. cosine similarity of embeddings, with
/// r(y, y) largest), and L_t = −Σ_v q_t(v) log p_t(v). Combined with maximum likelihood as
/// L = α·NLL + (1 − α)·L_smooth (α = `mleWeight`). Uniform label smoothing is the special case of a
/// constant off-diagonal similarity (`target: .uniform(epsilon:)`: q = (1−ε)·onehot + ε/V).
/// Needs `policyLogits` and `labels`. Default reduction `tokenMean`.
public struct TokenLevelLossSmoothing: Objective {
    public enum Target {
        /// q_t = softmax(S[y_t, :] / τ) for a [V, V] similarity matrix S.
        case similarity(Tensor, temperature: Float)
        /// q_t = (1 − ε) onehot(y_t) + ε / V.
        case uniform(epsilon: Float)
    }

    public var target: Target
    public var mleWeight: Float
    public var reduction: Reduction

    public init(target: Target, mleWeight: Float = 0, reduction: Reduction = .tokenMean) {
        if case .similarity(let s, let tau) = target {
            precondition(s.rank == 2 && s.shape[0] == s.shape[1] && tau > 0, "TokenLevelLossSmoothing: similarity \(s.shape), τ \(tau)")
        }
        self.target = target
        self.mleWeight = mleWeight
        self.reduction = reduction
    }

    public var name: String { "token_smoothing" }

    /// The smoothed target distributions q_t, [B, T, V].
    public func targetDistribution(labels: IndexTensor, vocabularySize V: Int) -> Tensor {
        switch target {
        case .similarity(let s, let tau):
            precondition(s.shape[0] == V, "TokenLevelLossSmoothing: similarity \(s.shape) for vocabulary \(V)")
            return (Tensor.embedding(s, ids: labels) * (1 / tau)).softmax()
        case .uniform(let eps):
            let onehot = Tensor.scatterLast(Tensor(shape: labels.shape, repeating: 1), index: labels, shape: labels.shape + [V])
            return onehot * (1 - eps) + eps / Float(V)
        }
    }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let z = batch.requirePolicyLogits("TokenLevelLossSmoothing")
        guard let labels = batch.labels else { preconditionFailure("TokenLevelLossSmoothing: TokenBatch.labels is required") }
        let V = z.shape[2]
        let q = targetDistribution(labels: labels, vocabularySize: V)
        let m3 = Masking.expanded(batch.mask)
        let logp = Masking.zeroed(z, mask: m3).logSoftmax()
        let smooth = -(logp * q).sum(axis: -1)  // [B, T]
        let perToken = mleWeight == 0 ? smooth : smooth * (1 - mleWeight) - batch.policyLogps * mleWeight
        var loss = reduce(perToken, mask: batch.mask, reduction, normalizer: normalizer)
        if reduction.isPerSequence { loss = meanOverItems(loss, count: normalizer.sequences) }
        let tokens = batch.mask.sum().scalar
        let nll = -Masking.rowSum(batch.policyLogps.value, mask: batch.mask).sum().scalar / Swift.max(tokens, 1)
        return ObjectiveOutput(loss: loss, metrics: ["nll": nll, "smoothed_ce": maskedMean(smooth.value, mask: batch.mask)])
    }
}

/// Sequence-level loss smoothing: Reward Augmented Maximum Likelihood, Norouzi et al. 2016,
/// arXiv 1609.00150. The target is the exponentiated payoff distribution q(y | y*) ∝ exp(r(y, y*)/τ);
/// with K candidates y_k per group (one group per source, `structure: .groups`) and their rewards
/// r_k (`sequenceRewards`, e.g. negative edit distance to the reference):
///
/// - `.exponentiatedPayoff` (default): w_k = softmax_k(r_k/τ − log q̃(y_k)) within the group, the
///   self-normalised importance weights of candidates drawn from a proposal q̃
///   (`sequenceValues[.proposalLogps]`; uniform when absent, as with Elbayad et al.'s
///   Hamming-distance sampling);
/// - `.uniform`: w_k = 1/K, for candidates sampled from q itself (Norouzi's stratified sampling).
///
/// L = −(1/G) Σ_g Σ_{k∈g} w_k log π(y_k), log π(y) = Σ_t m ℓ (or the per-token mean with
/// `lengthNormalized`). G = `Normalizer.items` (optimizer batch) or the local number of groups.
/// With one candidate per group (the reference) it is sequence-level maximum likelihood.
public struct SequenceLevelLossSmoothing: Objective {
    public enum Weighting: String, Sendable { case exponentiatedPayoff, uniform }

    public var temperature: Float
    public var weighting: Weighting
    public var lengthNormalized: Bool

    public init(temperature: Float, weighting: Weighting = .exponentiatedPayoff, lengthNormalized: Bool = false) {
        precondition(temperature > 0, "SequenceLevelLossSmoothing: temperature must be > 0, got \(temperature)")
        self.temperature = temperature
        self.weighting = weighting
        self.lengthNormalized = lengthNormalized
    }

    public var name: String { "raml" }

    /// Candidate weights w_k ([B]), summing to 1 within each group.
    public func weights(groups: [Int], rewards: Tensor?, proposalLogps: Tensor?) -> Tensor {
        let B = groups.count
        var logits = [Float](repeating: 0, count: B)
        if weighting == .exponentiatedPayoff {
            guard let rewards else { preconditionFailure("SequenceLevelLossSmoothing: needs sequenceRewards") }
            let r = rewards.scalars, q = proposalLogps?.scalars
            for i in 0 ..< B { logits[i] = r[i] / temperature - (q?[i] ?? 0) }
        }
        var w = [Float](repeating: 0, count: B)
        for g in Set(groups) {
            let idx = groups.indices.filter { groups[$0] == g }
            let p = Tensor(idx.map { logits[$0] }).softmax().scalars
            for (k, i) in idx.enumerated() { w[i] = p[k] }
        }
        return Tensor(w)
    }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        guard case .groups(let groups) = batch.structure else {
            preconditionFailure("SequenceLevelLossSmoothing: needs .groups structure, got \(batch.structure)")
        }
        let w = weights(groups: groups, rewards: batch.sequenceRewards, proposalLogps: batch.sequenceValues[.proposalLogps])
        var seq = batch.sequenceLogps
        if lengthNormalized { seq = seq / Masking.clampedLengths(batch.mask) }
        let G = normalizer.items ?? Float(Set(groups).count)
        let loss = -(seq * w).sum() / G
        var entropy: Float = 0
        for x in w.scalars where x > 0 { entropy -= x * Scalar.log(x) }
        return ObjectiveOutput(loss: loss, metrics: ["weights/entropy": entropy / Float(Set(groups).count)])
    }
}
