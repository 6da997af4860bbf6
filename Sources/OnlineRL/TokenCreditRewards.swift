// Dense token rewards from models and from the policy's own confidence: RTO's implicit DPO reward
// and entropy minimisation's self-rewards.
import Autograd
import Foundation
import Models
import Objectives
import TensorCore
import Tokenizers
import Training

/// RTO (arXiv 2404.18922): every token gets the implicit reward of a DPO-trained model against the
/// run's reference, r_t = clip(β₁(ℓ^dpo_t − ℓ^ref_t), −c, c) (c = 0: no clip). With the sparse
/// score of a reward model (`--reward rm:DIR`) and the KL in the reward (`--kl-coef`) under PPO
/// (`tokenalign ppo`) this is the paper's token reward. The DPO model must have been trained
/// against the same reference, or the log-ratio means nothing. Defaults are the release script's:
/// β₁ = 0.05, c = 0.05.
public struct ImplicitDPOReward: RewardFunction {
    public let scale: Float
    public let clip: Float
    let dpo: any LanguageModel
    let reference: any LanguageModel
    public var name: String { "implicit-dpo" }

    /// - Parameter weights: how both frozen models store their matrices (`--rm-weights`).
    /// - Parameter tokenizer: the policy's; both models' own tokenizers, when they ship one, must
    ///   read every id as it does.
    public init(dpoPath: String, referencePath: String, scale: Float = 0.05, clip: Float = 0.05, vocabularySize: Int,
                tokenizer: Tokenizer? = nil, weights: WeightFormat = .f32) throws {
        guard scale.isFinite, clip.isFinite, clip >= 0 else { throw RewardError("implicit-dpo: scale and clip must be finite, clip ≥ 0") }
        dpo = try FrozenModel.load(dpoPath, role: "implicit-dpo's DPO model", weights: weights, policyTokenizer: tokenizer)
        reference = try FrozenModel.load(referencePath, role: "implicit-dpo's reference", weights: weights, policyTokenizer: tokenizer)
        for (m, path) in [(dpo, dpoPath), (reference, referencePath)] where m.vocabularySize != vocabularySize {
            throw RewardError("\(path): vocabulary \(m.vocabularySize) ≠ policy vocabulary \(vocabularySize)")
        }
        dpo.eval()
        reference.eval()
        self.scale = scale
        self.clip = clip
    }


    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        guard !completions.isEmpty else { return [] }
        let limit = min(dpo.maxPositions, reference.maxPositions)
        if let long = completions.first(where: { $0.prompt.ids.count + $0.ids.count > limit }) {
            throw RewardError("\(long.prompt.location): prompt + completion exceed the implicit-dpo models' \(limit) positions")
        }
        let rows = completions.map { $0.prompt.ids + $0.ids }
        let L = rows.map(\.count).max()!, n = rows.count, T = L - 1
        var ids = [Int32](repeating: 0, count: n * L), labels = [Int32](repeating: 0, count: n * T)
        var mask = [Float](repeating: 0, count: n * T)
        for (i, r) in rows.enumerated() {
            for (t, v) in r.enumerated() { ids[i * L + t] = Int32(truncatingIfNeeded: v) }
            for t in 0 ..< r.count - 1 { labels[i * T + t] = Int32(truncatingIfNeeded: r[t + 1]); mask[i * T + t] = 1 }
        }
        let input = IndexTensor(shape: [n, L], data: ids), y = IndexTensor(shape: [n, T], data: labels), m = Tensor(shape: [n, T], data: mask)
        let lp = TokenBatch.tokenLogps(logits: Forward.frozenLogits(dpo, input), labels: y, mask: m).scalars
        let lr = TokenBatch.tokenLogps(logits: Forward.frozenLogits(reference, input), labels: y, mask: m).scalars
        return completions.enumerated().map { i, c in
            let start = i * T + c.prompt.ids.count - 1
            return (0 ..< c.ids.count).map { k in
                let r = scale * (lp[start + k] - lr[start + k])
                return clip > 0 ? min(max(r, -clip), clip) : r
            }
        }
    }
}

/// Entropy minimisation as a reward (EM-RL, arXiv 2505.15134): no correctness signal, only the
/// policy's confidence on its own samples, read from the sampler. `negativeEntropy`: r_t = −H_t
/// (the token variant, Σ_t r_t = −Σ_t H_t); otherwise the sequence variant R = Σ_t ℓ_t, the
/// negative Monte-Carlo trajectory entropy, on the last token. Keep a KL term (`--kl-coef` or
/// `--beta`): with no other signal the policy can collapse.
public struct SelfCertaintyReward: RewardFunction {
    public let negativeEntropy: Bool
    public var name: String { negativeEntropy ? "neg-entropy" : "neg-trajectory-entropy" }
    public init(negativeEntropy: Bool) { self.negativeEntropy = negativeEntropy }

    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        try completions.map { c in
            let source = negativeEntropy ? c.entropies : c.logProbs
            guard source.count == c.ids.count else {
                throw RewardError("\(c.prompt.location): \(name) reads the sampler's \(negativeEntropy ? "entropies" : "log-probabilities"), which this completion lacks")
            }
            if negativeEntropy { return source.map { -$0 } }
            var r = [Float](repeating: 0, count: c.ids.count)
            if !r.isEmpty { r[r.count - 1] = source.reduce(0, +) }
            return r
        }
    }
}
