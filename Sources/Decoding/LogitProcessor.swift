// Logit processors: functions applied to next-token logits before choosing a token. They are the
// seam reward-guided decoding plugs into (a guide adds its token scores here), as mlx-swift-lm's
// LogitProcessor and transformers' LogitsProcessorList. Shapes: logits [B, V], one row per sequence.
import TensorCore

/// What a processor may look at: every row's tokens so far (prompt + generated).
public struct DecodingContext {
    /// Prompt token ids per row (no padding).
    public var prompts: [[Int]]
    /// Generated token ids per row.
    public var generated: [[Int]]
    /// Index of the decoding step (0 for the first new token).
    public var step: Int

    public init(prompts: [[Int]], generated: [[Int]], step: Int) {
        self.prompts = prompts
        self.generated = generated
        self.step = step
    }
}

public protocol LogitProcessor: AnyObject {
    /// Rewrites `logits` [B, V] in place.
    func process(_ logits: inout Tensor, context: DecodingContext)
}

/// transformers' RepetitionPenaltyLogitsProcessor (Keskar et al. 2019, arXiv:1909.05858): for every
/// token already in the row (prompt or generated), divide a positive logit by `penalty`, multiply a
/// negative one.
public final class RepetitionPenalty: LogitProcessor {
    public let penalty: Float
    public init(_ penalty: Float) {
        precondition(penalty > 0, "repetition penalty must be > 0, got \(penalty)")
        self.penalty = penalty
    }

    public func process(_ logits: inout Tensor, context: DecodingContext) {
        let V = logits.shape[1], rows = logits.shape[0]
        logits.withUnsafeMutableBufferPointer { p in
            for b in 0 ..< rows {
                var seen = Set<Int>()
                for t in context.prompts[b] + context.generated[b] where t >= 0 && t < V && seen.insert(t).inserted {
                    let x = p[b * V + t]
                    p[b * V + t] = x > 0 ? x / penalty : x * penalty
                }
            }
        }
    }
}

/// Divides logits by the temperature.
public final class Temperature: LogitProcessor {
    public let value: Float
    public init(_ value: Float) {
        precondition(value > 0, "temperature must be > 0 (use greedy decoding for 0), got \(value)")
        self.value = value
    }
    public func process(_ logits: inout Tensor, context: DecodingContext) {
        if value != 1 { logits = logits.affine(scale: 1 / value) }
    }
}

/// Keeps the k largest logits of each row (ties at the k-th value are kept, as transformers does).
public final class TopK: LogitProcessor {
    public let k: Int
    public init(_ k: Int) {
        precondition(k > 0, "top-k must be > 0, got \(k)")
        self.k = k
    }
    public func process(_ logits: inout Tensor, context: DecodingContext) {
        let V = logits.shape[1], rows = logits.shape[0]
        guard k < V else { return }
        let kth = logits.topK(k).values
        logits.withUnsafeMutableBufferPointer { p in
            for b in 0 ..< rows {
                let threshold = kth[b, k - 1]
                for j in 0 ..< V where p[b * V + j] < threshold { p[b * V + j] = -.infinity }
            }
        }
    }
}

/// Nucleus sampling (Holtzman et al. 2019, arXiv:1904.09751): keeps the smallest set of most likely
/// tokens whose probability reaches `p` (always at least `minKeep`).
public final class TopP: LogitProcessor {
    public let p: Float
    public let minKeep: Int
    public init(_ p: Float, minKeep: Int = 1) {
        precondition(p > 0 && p <= 1, "top-p must be in (0, 1], got \(p)")
        self.p = p
        self.minKeep = minKeep
    }
    public func process(_ logits: inout Tensor, context: DecodingContext) {
        guard p < 1 else { return }
        let V = logits.shape[1], rows = logits.shape[0]
        let probs = logits.softmax()
        let (sortedP, order) = probs.sorted(descending: true)
        logits.withUnsafeMutableBufferPointer { out in
            for b in 0 ..< rows {
                var cum: Float = 0
                for r in 0 ..< V {
                    let j = Int(order.data[b * V + r])
                    if r >= minKeep && cum >= p { out[b * V + j] = -.infinity }
                    cum += sortedP[b, r]
                }
            }
        }
    }
}

/// Min-p sampling (Nguyen et al. 2024, arXiv:2407.01082): drops tokens whose probability is below
/// `minP` times the most likely token's.
public final class MinP: LogitProcessor {
    public let minP: Float
    public init(_ minP: Float) {
        precondition(minP >= 0 && minP <= 1, "min-p must be in [0, 1], got \(minP)")
        self.minP = minP
    }
    public func process(_ logits: inout Tensor, context: DecodingContext) {
        guard minP > 0 else { return }
        let V = logits.shape[1], rows = logits.shape[0]
        let probs = logits.softmax()
        logits.withUnsafeMutableBufferPointer { out in
            for b in 0 ..< rows {
                var top: Float = 0
                for j in 0 ..< V { top = max(top, probs[b, j]) }
                for j in 0 ..< V where probs[b, j] < minP * top { out[b * V + j] = -.infinity }
            }
        }
    }
}
