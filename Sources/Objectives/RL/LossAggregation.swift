// verl's `loss_agg_mode` names for the named reductions of `Reduction.swift`.

/// How per-token policy losses become one scalar, by verl's names
/// (`volcengine/verl:verl/trainer/ppo/core_algos.py`, `agg_loss`). Each maps to a `Reduction`, so a
/// global `Normalizer` (the optimizer batch's token and sequence counts) makes the micro-batch
/// losses sum to the optimizer-batch loss under gradient accumulation.
///
/// N counts every row of the (optimizer) batch, fully masked rows included, as TRL's GRPO mean
/// over rows does; verl 0.9.1's seq-mean modes count only the rows with at least one trained
/// token. The two agree unless a row is entirely masked.
public enum LossAggregation: Equatable, Sendable, CustomStringConvertible {
    /// Σ m L / Σ m over the optimizer batch (DAPO, arXiv 2503.14476; verl's default).
    case tokenMean
    /// (1/N) Σ_i Σ_t m L (verl's REINFORCE default).
    case seqMeanTokenSum
    /// (1/N) Σ_i (1/n_i) Σ_t m L (the original GRPO, arXiv 2402.03300; GSPO).
    case seqMeanTokenMean
    /// Σ m L / (N · L_norm) with a fixed L_norm such as the maximum number of new tokens (Dr. GRPO,
    /// arXiv 2503.20783; TRL `loss_type="dr_grpo"`; verl 0.9.1's mode of this name, whose older
    /// releases divided by L_norm only). verl defaults L_norm to the padded micro-batch length; here
    /// L_norm is required.
    case seqMeanTokenSumNorm(Float)

    /// - Parameter lengthNormalizer: L_norm, required by `seq-mean-token-sum-norm`.
    public init(name: String, lengthNormalizer: Float? = nil) throws {
        switch name {
        case "token-mean": self = .tokenMean
        case "seq-mean-token-sum": self = .seqMeanTokenSum
        case "seq-mean-token-mean": self = .seqMeanTokenMean
        case "seq-mean-token-sum-norm":
            guard let l = lengthNormalizer, l > 0 else {
                throw RLInputError.invalidSetting(key: "loss_scale_factor", value: lengthNormalizer.map { "\($0)" } ?? "none",
                                                  reason: "seq-mean-token-sum-norm needs a positive constant (e.g. the maximum number of new tokens)")
            }
            self = .seqMeanTokenSumNorm(l)
        default:
            throw RLInputError.invalidSetting(key: "loss_agg_mode", value: name, reason: "expected one of \(Self.names.joined(separator: ", "))")
        }
    }

    public static let names = ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"]

    public var name: String {
        switch self {
        case .tokenMean: "token-mean"
        case .seqMeanTokenSum: "seq-mean-token-sum"
        case .seqMeanTokenMean: "seq-mean-token-mean"
        case .seqMeanTokenSumNorm: "seq-mean-token-sum-norm"
        }
    }

    public var description: String {
        if case .seqMeanTokenSumNorm(let l) = self { return "\(name)(\(l))" }
        return name
    }

    /// The named reduction it is.
    public var reduction: Reduction {
        switch self {
        case .tokenMean: .tokenMean
        case .seqMeanTokenSum: .seqMeanTokenSum
        case .seqMeanTokenMean: .seqMeanTokenMean
        case .seqMeanTokenSumNorm(let l): .constNorm(l)
        }
    }
}
