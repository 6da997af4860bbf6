// ABC as an online-RL reward: the sequence reward model's score spread over the completion by the
// same model's last-layer attention (Chan et al., "Dense Reward for Free in RLHF", arXiv 2402.00782).
//
// r_t = β·R·α_t + (1 − β)·R·1[t = T], with R the RM's score at the last token and α_t its
// head-averaged last-layer attention from that scoring position to completion token t, normalised to
// sum to 1 (`AttentionCredit.weights`). Σ_t r_t = R, so the return — and the optimal policy — is
// the sparse RM's; what changes is where the signal lands, which the paper claims speeds RL up.
// β defaults to 0.5, the authors' script default (their released IMDb runs use 0.8).
import Autograd
import Foundation
import Models
import Objectives
import TensorCore
import Tokenizers

public struct AttentionCreditRLReward: RewardFunction {
    public let beta: Float
    let rm: RewardModelReward
    public var name: String { "abc" }

    /// - Parameter folder: a sequence reward-model folder from `tokenalign reward`.
    public init(folder: String, beta: Float, vocabularySize: Int, tokenizer: Tokenizer? = nil, weights: WeightFormat = .f32) throws {
        guard beta.isFinite, (0 ... 1).contains(beta) else { throw RewardError("--reward abc: BETA must be in [0, 1], got \(beta)") }
        rm = try RewardModelReward(folder: folder, tokenLevel: false, vocabularySize: vocabularySize, tokenizer: tokenizer, weights: weights)
        guard rm.backbone is any ActivationInspecting else {
            throw RewardError("\(folder): this reward model's architecture cannot report attention, which ABC reads")
        }
        self.beta = beta
    }

    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        let sparse = try rm.tokenRewards(completions)  // R on the last token
        guard let input = try rm.paddedInput(completions), let inspect = rm.backbone as? any ActivationInspecting else {
            return sparse
        }
        let attention = withoutGradients {
            inspect.attentionProbabilities(input, layer: rm.backbone.layerCount - 1, attentionMask: nil)  // [B, H, L, L]
        }
        let H = attention.shape[1], L = attention.shape[2]
        return completions.enumerated().map { b, c in
            let n = c.ids.count
            guard n > 0, let R = sparse[b].last else { return [] }
            let p = c.prompt.ids.count
            let alpha = AttentionCredit.weights(attention: attention.rows(b ..< b + 1).reshaped([H, L, L]),
                                                scoringPosition: rm.appendsEOS(c) ? p + n : p + n - 1, response: p ..< p + n)
            var r = alpha.map { beta * R * $0 }
            r[n - 1] += (1 - beta) * R
            return r
        }
    }
}
