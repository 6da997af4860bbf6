// The implicit DPO token reward (r → Q*) and RTO's dense token reward
// (docs/design/rewards.md §1.2, §1.3).
import Autograd
import Rewards
import TensorCore

/// Read-outs of a DPO-trained model's implicit token reward. Rafailov et al. 2024, "From r to Q*:
/// Your Language Model is Secretly a Q-Function", arXiv 2404.12358: β log π*/π_ref = Q* − V*, so
/// r̂_t = β(ℓ^dpo_t − ℓ^ref_t) is the true token reward shaped by the potential V*, and its sum is
/// R(x, y) − V*(x). r̂ is identified only up to a state potential: compare prefixes of the *same*
/// prompt, never raw values across prompts.
public enum ImplicitReward {
    /// r̂_t = β(ℓ^dpo_t − ℓ^ref_t), 0 at masked positions. Shapes: [B, T].
    public static func tokenRewards(dpoLogps: Tensor, referenceLogps: Tensor, mask: Tensor, beta: Float) -> Tensor {
        Masking.zeroed((dpoLogps - referenceLogps) * beta, mask: mask)
    }

    /// Prefix implicit returns R̂_{≤t} = Σ_{k≤t} m_k r̂_k (Q-like; ranks partial continuations of one
    /// prompt). Shapes: [B, T].
    public static func prefixReturns(_ tokenRewards: Tensor, mask: Tensor) -> Tensor {
        Masking.zeroed(tokenRewards, mask: mask).cumulativeSum(axis: 1)
    }

    /// Σ_t m r̂_t per row: [B].
    public static func sequenceRewards(_ tokenRewards: Tensor, mask: Tensor) -> Tensor {
        Masking.rowSum(tokenRewards, mask: mask)
    }
}

/// The implicit DPO reward as a `TokenRewardSource` (two forward passes: DPO model and reference),
/// r̂_t = β(log π_dpo(y_t) − log π_ref(y_t)). Its sum equals R − V*(x), so it is return-preserving
/// in the sense of docs/design/rewards.md §1.7. Given several episodes, both models are read in one
/// batched call each (`TokenLogProbSource.tokenLogProbs(_:)` over the list).
public struct ImplicitDPOReward: BatchedTokenRewardSource {
    public var dpo: any TokenLogProbSource
    public var reference: any TokenLogProbSource
    public var beta: Float
    public var name: String

    public init(dpo: any TokenLogProbSource, reference: any TokenLogProbSource, beta: Float, name: String = "implicit-dpo") {
        self.dpo = dpo
        self.reference = reference
        self.beta = beta
        self.name = name
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 2, needsReferenceModel: true) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        let all = dpo.tokenLogProbs(episodes), refs = reference.tokenLogProbs(episodes)
        precondition(all.count == episodes.count && refs.count == episodes.count,
                     "ImplicitDPOReward: \(all.count) / \(refs.count) log-prob rows for \(episodes.count) episodes")
        return zip(episodes, zip(all, refs)).map { e, ar in
            let (a, r) = ar
            precondition(a.count == e.response.count && r.count == e.response.count,
                         "ImplicitDPOReward: \(a.count) / \(r.count) log-probs for \(e.response.count) tokens")
            return TokenRewards(values: zip(a, r).map { beta * ($0 - $1) }, source: name, returnPreserving: true)
        }
    }
}

/// RTO's token reward ("DPO Meets PPO: Reinforced Token Optimization", Zhong et al. 2024,
/// arXiv 2404.18922; `zkshan2002/RTO:openrlhf/trainer/ppo_utils/experience_maker.py`,
/// `openrlhf/models/utils.py`):
/// r_t = clip(s·(ℓ^dpo_t − ℓ^ref_t), −c, c) − β_KL(ℓ^old_t − ℓ^ref_t) + 1[t = last valid]·clamp(R̃, −10, 10).
/// Release-script defaults: s = `dpo_reward_scale` 0.05, c = `dpo_reward_clip` 0.05 (c = 0 means no
/// clip, the CLI default), β_KL = `init_kl_coef` 0.01. The KL term is k1 on the detached ℓ^old.
public enum RTOReward {
    /// - Parameters: logps [B, T]; `sequenceRewards` R̃ [B] (already normalised); mask [B, T].
    /// - Returns: r_t, [B, T], 0 at masked positions.
    public static func tokenRewards(dpoLogps: Tensor, referenceLogps: Tensor, oldLogps: Tensor, sequenceRewards: Tensor,
                                    mask: Tensor, scale: Float = 0.05, clip: Float = 0.05, klCoefficient: Float = 0.01,
                                    rewardClamp: Float = 10) -> Tensor {
        var dense = (dpoLogps - referenceLogps) * scale
        if clip > 0 { dense = dense.clamped(min: -clip, max: clip) }
        let kl = (oldLogps - referenceLogps) * klCoefficient
        let B = mask.shape[0]
        let terminal = sequenceRewards.clamped(min: -rewardClamp, max: rewardClamp).reshaped([B, 1]) * lastValidOneHot(mask)
        return Masking.zeroed(dense - kl + terminal, mask: mask)
    }
}
