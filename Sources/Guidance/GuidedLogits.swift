// The decoder seam for guides: a `LogitProcessor` (run after the repetition penalty, before the
// sampler's warpers) that combines the base logits with every guide's scores,
//   z′(v) = z(v) + Σ_i w_i · g_i(v)   for v in the candidate set, −∞ outside it,
// where the candidate set is the base model's top-k when some active guide scores candidates (RAD,
// ARGS, PAD), else the whole vocabulary; a guide's −∞ removes a token. A guide of weight 0 is not run
// at all, so the decoder then draws exactly the base model's tokens (docs/design/decoding.md §1).
import Decoding
import TensorCore

public final class GuidedLogits: LogitProcessor {
    /// The guides and their weights, in the order given.
    public let terms: [(guide: any Guide, weight: Float)]
    /// k of the candidate set (`--guide-top-k`).
    public let topK: Int
    let maxNewTokens: Int
    let padTokenID: Int
    private let active: [(guide: any Guide, weight: Float)]
    private var scratch: [Float] = []

    /// - Throws: `GuideError` when a candidate guide is active and k < 1.
    public init(terms: [(guide: any Guide, weight: Float)], topK: Int, maxNewTokens: Int, padTokenID: Int) throws {
        self.terms = terms
        self.topK = topK
        self.maxNewTokens = maxNewTokens
        self.padTokenID = padTokenID
        active = terms.filter { $0.weight != 0 }
        if let bad = terms.first(where: { !$0.weight.isFinite }) {
            throw GuideError("guide \(bad.guide.name): weight \(bad.weight) is not a finite number")
        }
        if usesCandidates && topK < 1 { throw GuideError("--guide-top-k must be ≥ 1, got \(topK)") }
    }

    /// True when the combination is restricted to the base model's top-k.
    public var usesCandidates: Bool { active.contains { $0.guide.scoresCandidates } }

    /// Checks a batch against the vocabulary and every guide's model before decoding starts.
    /// - Throws: `GuideError` when k exceeds the vocabulary or a guide's model is too short.
    public func check(vocabularySize V: Int, longestPrompt: Int) throws {
        if usesCandidates && topK > V {
            throw GuideError("--guide-top-k \(topK) is larger than the vocabulary (\(V) tokens)")
        }
        for (g, _) in active { try g.check(capacity: longestPrompt + maxNewTokens) }
    }

    /// Forward tokens the active guides have spent so far (their own models).
    public var guideForwardTokens: Int { active.reduce(0) { $0 + $1.guide.forwardTokens } }

    public func process(_ logits: inout Tensor, context: DecodingContext) {
        guard !active.isEmpty else { return }
        let B = logits.shape[0], V = logits.shape[1]
        if context.step == 0 {
            let capacity = (context.prompts.map(\.count).max() ?? 0) + maxNewTokens
            for (g, _) in active { g.begin(prompts: context.prompts, padTokenID: padTokenID, capacity: capacity) }
        } else {
            // A row still running has one generated token per finished step; a finished row gets padding.
            let accepted = (0 ..< B).map { b in
                context.generated[b].count == context.step ? context.generated[b][context.step - 1] : padTokenID
            }
            for (g, _) in active { g.accept(accepted) }
        }
        let candidates: [[Int]]? = usesCandidates
            ? (0 ..< B).map { GuidedLogits.topCandidates(logits.unsafePointer + $0 * V, count: V, k: topK) } : nil
        let out = Tensor(shape: logits.shape, copying: logits.unsafePointer)
        let z = out.unsafeMutablePointer
        if scratch.count != B * V { scratch = [Float](repeating: 0, count: B * V) }
        scratch.withUnsafeMutableBufferPointer { buffer in
            let g = buffer.baseAddress!
            for (guide, w) in active {
                guide.scores(base: logits, candidates: candidates, into: g)
                if guide.scoresCandidates, let candidates {
                    for b in 0 ..< B { for v in candidates[b] { z[b * V + v] = GuidedLogits.add(z[b * V + v], w, g[b * V + v]) } }
                } else {
                    for i in 0 ..< B * V { z[i] = GuidedLogits.add(z[i], w, g[i]) }
                }
            }
            if let candidates {
                // Everything outside the candidate set is excluded: keep the candidates' values, fill −∞.
                for b in 0 ..< B {
                    for v in candidates[b] { g[v] = z[b * V + v] }
                    let row = z + b * V
                    row.update(repeating: -.infinity, count: V)
                    for v in candidates[b] { row[v] = g[v] }
                }
            }
        }
        logits = out
    }

    /// z + w·g, with g = −∞ excluding the token whatever the sign of w.
    @inline(__always) static func add(_ z: Float, _ w: Float, _ g: Float) -> Float {
        g == -.infinity ? -.infinity : z + w * g
    }

    /// The indices of the k largest entries of a row, largest first; ties keep the lower index
    /// first (as `Tensor.topK`). One pass with an insertion buffer: O(V) when most entries fall
    /// below the current k-th value.
    static func topCandidates(_ row: UnsafePointer<Float>, count V: Int, k: Int) -> [Int] {
        precondition(k >= 1 && k <= V, "top-\(k) of \(V) tokens")
        var idx = [Int](repeating: 0, count: k), val = [Float](repeating: -.infinity, count: k)
        var filled = 0
        for v in 0 ..< V {
            let x = row[v]
            if filled == k && !(x > val[k - 1]) { continue }
            var j = filled < k ? filled : k - 1
            if filled < k { filled += 1 }
            while j > 0 && val[j - 1] < x {
                val[j] = val[j - 1]
                idx[j] = idx[j - 1]
                j -= 1
            }
            val[j] = x
            idx[j] = v
        }
        return idx
    }
}
