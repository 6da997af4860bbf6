// The named reductions (docs/design/objectives.md §0.3) and the global normaliser for gradient accumulation.
//
// For per-token losses L_{i,t} over N sequences of the *optimizer* batch (all micro-batches of one
// accumulation window), with n_i = Σ_t m_{i,t} and S_i = Σ_t m_{i,t} L_{i,t}:
//   seqSum            S_i                         (per sequence)
//   seqMean           S_i / n_i                   (per sequence)
//   tokenMean         Σ_{i,t} m L / Σ_{i,t} m     (global)
//   seqMeanTokenMean  (1/N) Σ_i S_i / n_i
//   seqMeanTokenSum   (1/N) Σ_i S_i
//   constNorm(L)      Σ_{i,t} m L / (N · L)
// Averaging per micro-batch and then averaging the micro-batches is *not* tokenMean over the whole
// optimizer batch. Pass a `Normalizer` holding the optimizer batch's counts: then each micro-batch's
// loss is its share of the full-batch loss, and the micro-batch losses (and gradients) sum to the
// full-batch ones (TRL's `num_items_in_batch`).
import Autograd
import TensorCore

/// A named reduction (docs/design/objectives.md §0.3).
public enum Reduction: Equatable, Sendable, CustomStringConvertible {
    /// S_i = Σ_t m L per sequence ([B]).
    case seqSum
    /// S_i / n_i per sequence ([B]).
    case seqMean
    /// Σ m L / Σ m over the optimizer batch.
    case tokenMean
    /// (1/N) Σ_i S_i / n_i.
    case seqMeanTokenMean
    /// (1/N) Σ_i S_i.
    case seqMeanTokenSum
    /// Σ m L / (N · lNorm), lNorm a fixed constant such as the maximum number of new tokens.
    case constNorm(Float)

    /// True for the two per-sequence reductions, which return [B] instead of a scalar.
    public var isPerSequence: Bool { self == .seqSum || self == .seqMean }

    public var description: String {
        switch self {
        case .seqSum: "seqSum"
        case .seqMean: "seqMean"
        case .tokenMean: "tokenMean"
        case .seqMeanTokenMean: "seqMeanTokenMean"
        case .seqMeanTokenSum: "seqMeanTokenSum"
        case .constNorm(let l): "constNorm(\(l))"
        }
    }
}

/// Counts of the whole optimizer batch (all micro-batches and ranks). A nil field means "this
/// micro-batch's own count", which is right only without gradient accumulation.
public struct Normalizer: Equatable, Sendable {
    /// Σ m over the optimizer batch (the tokens the objective averages over).
    public var tokens: Float?
    /// N, the number of sequences in the optimizer batch.
    public var sequences: Float?
    /// The number of loss items in the optimizer batch: preference pairs (DPO family, reward
    /// models), rows (KTO), groups (sequence-level loss smoothing).
    public var items: Float?
    /// Σ m over the *chosen* rows of a `.pairs` optimizer batch (the NLL terms of DPO mixing and SimPO).
    public var chosenTokens: Float?
    /// Σ m over the rows with a positive outcome (total reward > 0) of an online-RL optimizer batch:
    /// OREAL's behaviour-cloning normaliser N⁺; its negative term divides by `tokens` − this.
    public var positiveTokens: Float?

    public init(tokens: Float? = nil, sequences: Float? = nil, items: Float? = nil, chosenTokens: Float? = nil,
                positiveTokens: Float? = nil) {
        self.tokens = tokens
        self.sequences = sequences
        self.items = items
        self.chosenTokens = chosenTokens
        self.positiveTokens = positiveTokens
    }

    /// Use each micro-batch's own counts.
    public static let local = Normalizer()

    /// The counts of an optimizer batch made of these micro-batch masks ([B_k, T_k] each).
    /// `items` (= pairs) and `chosenTokens` assume TRL's layout (chosen rows first, then rejected rows).
    public static func global(masks: [Tensor]) -> Normalizer {
        let tokens = masks.reduce(Float(0)) { $0 + $1.sum().scalar }
        let rows = masks.reduce(0) { $0 + $1.shape[0] }
        let chosen = masks.reduce(Float(0)) { $0 + $1.rows(0 ..< $1.shape[0] / 2).sum().scalar }
        return Normalizer(tokens: tokens, sequences: Float(rows), items: Float(rows / 2), chosenTokens: chosen)
    }
}

/// Reduces per-token values with one of the named reductions.
/// - Parameters:
///   - perToken: L, [B, T].
///   - mask: m, [B, T]. Masked entries are never read (their value cannot change the result).
///   - reduction: the named reduction.
///   - normalizer: optimizer-batch counts for the global reductions.
/// - Returns: [B] for `seqSum`/`seqMean`, a scalar otherwise.
public func reduce(_ perToken: Variable, mask: Tensor, _ reduction: Reduction, normalizer: Normalizer = .local) -> Variable {
    precondition(perToken.shape == mask.shape, "reduce: values \(perToken.shape) vs mask \(mask.shape)")
    let rowSums = Masking.rowSum(perToken, mask: mask)  // S_i: [B]
    let n = Float(mask.shape[0])
    switch reduction {
    case .seqSum:
        return rowSums
    case .seqMean:
        return rowSums / Masking.clampedLengths(mask)
    case .tokenMean:
        let total = normalizer.tokens ?? mask.sum().scalar
        return rowSums.sum() / Swift.max(total, 1)
    case .seqMeanTokenMean:
        return (rowSums / Masking.clampedLengths(mask)).sum() / (normalizer.sequences ?? n)
    case .seqMeanTokenSum:
        return rowSums.sum() / (normalizer.sequences ?? n)
    case .constNorm(let lNorm):
        precondition(lNorm > 0, "reduce: constNorm needs a positive constant, got \(lNorm)")
        return rowSums.sum() / ((normalizer.sequences ?? n) * lNorm)
    }
}

/// Mean of per-item losses over the optimizer batch: Σ_items l / count (count defaults to the
/// local number of items).
func meanOverItems(_ perItem: Variable, count: Float?) -> Variable {
    perItem.sum() / (count ?? Float(perItem.count))
}
