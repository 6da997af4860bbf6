// Entropy minimisation on the policy's own samples: no reward, no advantage.
import Autograd
import Support
import TensorCore

/// EM-FT, Agarwal et al. 2025, arXiv 2505.15134 ("The Unreasonable Effectiveness of Entropy
/// Minimization in LLM Reasoning"): fine-tune on unlabelled samples of the policy itself by
/// minimising its token entropy, L = agg(H_t(θ)) with H_t = −Σ_v π_θ(v|s_t) log π_θ(v|s_t) over
/// the full vocabulary at each sampled position. The paper's form is the per-sequence token mean
/// averaged over sequences (`seq-mean-token-mean`, the default). Advantages and rewards are
/// ignored (any `--reward` only feeds the metrics); the trainer computes the differentiable entropy
/// when this loss is chosen. The KL-as-loss term (`kl_loss_coef`) keeps the policy near its start;
/// the entropy bonus `entropy_coeff` would fight the loss and is refused.
public struct EntropyMinimizationLoss: PolicyLoss {
    public var regularizers: PolicyRegularizers

    public init(regularizers: PolicyRegularizers = PolicyRegularizers(aggregation: .seqMeanTokenMean)) throws {
        guard regularizers.entropyCoefficient == 0 else {
            throw RLInputError.invalidSetting(key: "entropy_coeff", value: "\(regularizers.entropyCoefficient)",
                                              reason: "em-ft minimises the entropy; an entropy bonus would cancel it (use 0)")
        }
        self.regularizers = regularizers
    }

    public var name: String { "em-ft" }
    public var needsEntropy: Bool { true }

    public func policyGradient(_ x: PolicyGradientInputs, normalizer: Normalizer) throws -> (loss: Variable, metrics: [String: Float]) {
        guard let h = x.entropy else { throw RLInputError.missing(field: "a differentiable entropy", method: name) }
        return (reduce(h, mask: x.mask, regularizers.aggregation.reduction, normalizer: normalizer), [:])
    }

    static let entry = PolicyLossEntry(
        card: MethodCard(name: "em-ft", aliases: ["entropy-min"],
                         summary: "Entropy minimisation on the policy's own samples: L = agg(H_t), no reward (EM-FT)",
                         arxiv: ["2505.15134"], inputs: ["entropy H_t (differentiable, full vocabulary)"],
                         defaults: regularizerDefaults.merging(["loss_agg_mode": "seq-mean-token-mean"]) { a, _ in a }),
        make: { s in try EntropyMinimizationLoss(regularizers: s.regularizers(defaultAggregation: .seqMeanTokenMean)) })
}
