// Dynamic entropy weighting (arXiv 2508.04349): GRPO's outcome reward reshaped by the policy's
// entropy, per token (GTPO) or per response (GRPO-S). One type, two registry entries; the shaped
// rewards of each level are in GTPOAdvantage.swift and GRPOSAdvantage.swift.
import Support
import TensorCore

/// GTPO and GRPO-S, Tan et al. 2025, arXiv 2508.04349. Both split a group into correct (R > 0)
/// and wrong responses, give the correct ones an entropy-proportional bonus and the wrong ones an
/// inverse-entropy-proportional penalty (`EntropyShares`), and normalise the shaped rewards within
/// the group. α₁ = β₁ = 1; α₂ = β₂ = `entropy_weight` (default 0.1); ε = `epsilon` (default
/// 1e-6). Entropies are the sampler's (`RolloutBatch.entropies`), constants.
public struct EntropyWeightedAdvantage: AdvantageEstimator {
    public enum Level: Sendable { case token, sequence }
    public var level: Level
    public var entropyWeight: Float
    public var epsilon: Float

    public init(level: Level, entropyWeight: Float = 0.1, epsilon: Float = 1e-6) throws {
        guard entropyWeight >= 0, epsilon >= 0 else {
            throw RLInputError.invalidSetting(key: "entropy_weight", value: "\(entropyWeight)", reason: "entropy_weight and epsilon must be ≥ 0")
        }
        self.level = level
        self.entropyWeight = entropyWeight
        self.epsilon = epsilon
    }

    /// GTPO: entropy-weighted token rewards.
    public static func gtpo(entropyWeight: Float = 0.1, epsilon: Float = 1e-6) throws -> Self {
        try Self(level: .token, entropyWeight: entropyWeight, epsilon: epsilon)
    }

    /// GRPO-S: entropy-weighted sequence rewards.
    public static func grpoS(entropyWeight: Float = 0.1, epsilon: Float = 1e-6) throws -> Self {
        try Self(level: .sequence, entropyWeight: entropyWeight, epsilon: epsilon)
    }

    public var name: String { level == .token ? "gtpo" : "grpo-s" }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let R = try batch.sequenceRewards()
        let h = try batch.required(batch.entropies, "entropies", by: name)
        let a = Tensor(shape: batch.mask.shape, data: level == .token ? tokenAdvantages(batch, R, h) : sequenceAdvantages(batch, R, h))
        return Advantages(advantages: a, returns: a)
    }

    static func entry(_ level: Level, card: MethodCard) -> AdvantageEstimatorEntry {
        AdvantageEstimatorEntry(card: card) { s in
            try EntropyWeightedAdvantage(level: level, entropyWeight: s.entropyWeight ?? 0.1, epsilon: s.epsilon ?? 1e-6)
        }
    }

    static let gtpoEntry = entry(.token, card: MethodCard(
        name: "gtpo", summary: "Entropy-weighted token rewards per group (α₁ = 1, α₂ = entropy_weight), normalised over the group's tokens; normalisation is our reading",
        arxiv: ["2508.04349"], inputs: ["sequence rewards (correct: R > 0)", "group ids", "entropies H_t"],
        defaults: ["entropy_weight": "0.1", "epsilon": "1e-6"]))

    static let grpoSEntry = entry(.sequence, card: MethodCard(
        name: "grpo-s", aliases: ["grpo_s"], summary: "GRPO on outcome rewards reshaped by each response's mean entropy (β₁ = 1, β₂ = entropy_weight)",
        arxiv: ["2508.04349"], inputs: ["sequence rewards (correct: R > 0)", "group ids", "entropies H_t"],
        defaults: ["entropy_weight": "0.1", "epsilon": "1e-6"]))
}
