// The objectives under test, by the case names of `generate_objectives.py`, with the same
// hyperparameters as the numpy reference.
import Objectives
import TensorCore

enum Catalogue {
    static let beta: Float = 0.3

    /// What a case differentiates: the policy logits, or the head scores.
    static func gradientInput(_ name: String) -> String {
        if name.hasPrefix("bt_rm") || name.hasPrefix("token_rm_bce") || name.hasPrefix("token_rm_mse")
            || name == "token_rm_pref_head_sum" { return "scores" }
        return "policy_logits"
    }

    static func objective(_ name: String, similarity: Tensor? = nil) -> any Objective {
        let b = beta
        switch name {
        case "dpo_sigmoid": return DPO(.sigmoid, beta: b)
        case "dpo_hinge": return DPO(.hinge, beta: b)
        case "dpo_ipo": return DPO(.ipo, beta: b)
        case "dpo_ipo_sums": return DPO(.ipo, beta: b, ipoLengthNormalized: false)
        case "dpo_exo_pair": return DPO(.exoPair, beta: b, labelSmoothing: 0.05)
        case "dpo_nca_pair": return DPO(.ncaPair, beta: b)
        case "dpo_robust": return DPO(.robust, beta: b, labelSmoothing: 0.1)
        case "dpo_bco_pair": return DPO(.bcoPair, beta: b)
        case "dpo_sppo_hard": return DPO(.sppoHard, beta: b)
        case "dpo_aot": return DPO(.aot, beta: b, labelSmoothing: 0.1)
        case "dpo_aot_unpaired": return DPO(.aotUnpaired, beta: b, labelSmoothing: 0.1)
        case "dpo_apo_zero": return DPO(.apoZero, beta: b)
        case "dpo_apo_down": return DPO(.apoDown, beta: b)
        case "dpo_discopop": return DPO(.discopop, beta: b)
        case "dpo_sigmoid_norm": return DPO(.sigmoidNorm, beta: b)
        case "dpo_conservative": return DPO(.conservative, beta: b, labelSmoothing: 0.1)
        case "dpo_mix_mpo":
            return DPO(losses: [.init(.sigmoid, weight: 0.8), .init(.bcoPair, weight: 0.2), .init(.sft, weight: 1)], beta: b)
        case "sft_tokenMean": return SFT(reduction: .tokenMean)
        case "sft_seqMeanTokenMean": return SFT(reduction: .seqMeanTokenMean)
        case "sft_seqMeanTokenSum": return SFT(reduction: .seqMeanTokenSum)
        case "sft_constNorm8": return SFT(reduction: .constNorm(8))
        case "simpo": return SimPO()
        case "simpo_smoothed_sft": return SimPO(beta: 2.5, gammaBetaRatio: 0.55, labelSmoothing: 0.1, sftWeight: 0.5)
        case "simpo_hinge": return SimPO(beta: 0.5, gammaBetaRatio: 0.3, lossType: .hinge)
        case "kto": return KTO(beta: b)
        case "kto_weighted": return KTO(beta: b, desirableWeight: 1.5, undesirableWeight: 0.7)
        case "kto_apo_zero_unpaired": return KTO(lossType: .apoZeroUnpaired, beta: b)
        case "bt_rm": return BradleyTerryRM()
        case "bt_rm_centered": return BradleyTerryRM(centerCoefficient: 0.01)
        case "token_rm_bce": return TokenRewardModelLoss(kind: .binaryCrossEntropy)
        case "token_rm_mse": return TokenRewardModelLoss(kind: .squaredError)
        case "token_rm_pref_head_sum": return TokenRewardModelPreferenceLoss(source: .head, aggregation: .sum)
        case "token_rm_pref_implicit_mean": return TokenRewardModelPreferenceLoss(source: .implicit(beta: 0.2), aggregation: .mean)
        case "tdpo1": return TDPO(.tdpo1, beta: b)
        case "tdpo2": return TDPO(.tdpo2, beta: b, alpha: 0.5)
        case "tgdpo": return TGDPO(beta: b, alpha: 0.5)
        case "sparsepo", "sparsepo_reward_mask_grad": return SparsePO(beta: b, rewardL1: 0.01, klL1: 0.02)
        case "cdpo_critical_paper": return CriticalTokenDPO(beta: b)
        case "cdpo_critical_paper_both": return CriticalTokenDPO(beta: b, labelSmoothing: 0.1, onlyNegative: false)
        case "cdpo_critical_code": return CriticalTokenDPO(beta: b, form: .referenceCode)
        case "treg": return TREG()
        case "rrpo": return RRPO(beta: b, alpha: 0.05)
        case "aligndistil_theorem1": return AlignDistil(mode: .theorem1, beta: 0.1, beta2: 0.5)
        case "aligndistil_theorem1Contrast": return AlignDistil(mode: .theorem1Contrast, beta: 0.1, beta2: 0.5)
        case "aligndistil_theorem1Adaptive": return AlignDistil(mode: .theorem1Adaptive, beta: 0.1, beta2: 0.4)
        case "aligndistil_alignDistil": return AlignDistil(mode: .alignDistil, beta: 0.1, beta2: 10)
        case "aligndistil_seqsum_tau":
            return AlignDistil(mode: .alignDistil, beta: 0.1, beta2: 10, temperature: 0.8, reduction: .seqMeanTokenSum)
        case "token_smoothing_similarity":
            return TokenLevelLossSmoothing(target: .similarity(similarity!, temperature: 0.5), mleWeight: 0.3)
        case "token_smoothing_uniform": return TokenLevelLossSmoothing(target: .uniform(epsilon: 0.1))
        case "raml_payoff": return SequenceLevelLossSmoothing(temperature: 0.5)
        case "raml_uniform_lengthnorm": return SequenceLevelLossSmoothing(temperature: 0.5, weighting: .uniform, lengthNormalized: true)
        default: preconditionFailure("Catalogue: unknown objective case \(name)")
        }
    }

    /// Every objective case, for gradient checks and the masked-position invariants.
    static let all: [String] = [
        "dpo_sigmoid", "dpo_hinge", "dpo_ipo", "dpo_ipo_sums", "dpo_exo_pair", "dpo_nca_pair", "dpo_robust",
        "dpo_bco_pair", "dpo_sppo_hard", "dpo_aot", "dpo_aot_unpaired", "dpo_apo_zero", "dpo_apo_down",
        "dpo_discopop", "dpo_sigmoid_norm", "dpo_conservative", "dpo_mix_mpo",
        "sft_tokenMean", "sft_seqMeanTokenMean", "sft_seqMeanTokenSum", "sft_constNorm8",
        "simpo", "simpo_smoothed_sft", "simpo_hinge", "kto", "kto_weighted", "kto_apo_zero_unpaired",
        "bt_rm", "bt_rm_centered", "token_rm_bce", "token_rm_mse", "token_rm_pref_head_sum", "token_rm_pref_implicit_mean",
        "tdpo1", "tdpo2", "tgdpo", "sparsepo", "cdpo_critical_paper", "cdpo_critical_paper_both", "cdpo_critical_code",
        "treg", "rrpo", "aligndistil_theorem1", "aligndistil_theorem1Contrast", "aligndistil_theorem1Adaptive",
        "aligndistil_alignDistil", "aligndistil_seqsum_tau", "token_smoothing_similarity", "token_smoothing_uniform",
        "raml_payoff", "raml_uniform_lengthnorm",
    ]

    /// A symmetric similarity matrix for random-batch checks of token-level smoothing.
    static func randomSimilarity(V: Int, seed: UInt64) -> Tensor {
        var g = RandomGenerator(seed: seed)
        let a = Tensor.randomNormal([V, V], using: &g)
        var s = (a + a.transposed()) * 0.5
        for i in 0 ..< V { s[i, i] += 2 }
        return s
    }
}
