// Per-token scoring: log p(ids[i+1] | ids[...i]) and the entropy of each predictive distribution.
// This is how users inspect credit (`tokenalign score`), and the quantity every objective starts from.
import Autograd
import TensorCore

public struct TokenScores: Sendable, Equatable {
    /// logprobs[i] = log p(ids[i+1] | ids[0...i]), i = 0 ..< n−1.
    public var logprobs: [Float]
    /// entropies[i] = H(p(· | ids[0...i])) in nats, aligned with `logprobs`.
    public var entropies: [Float]
}

extension LanguageModel {
    /// Scores each sequence (batched by right-padding; under causal attention padding after a
    /// sequence cannot change its earlier positions). Runs without recording gradients.
    public func scoreTokens(_ sequences: [[Int]], batchSize: Int = 8) -> [TokenScores] {
        var out: [TokenScores] = []
        out.reserveCapacity(sequences.count)
        var start = 0
        while start < sequences.count {
            let chunk = Array(sequences[start ..< min(sequences.count, start + batchSize)])
            start += chunk.count
            let T = chunk.map(\.count).max() ?? 0
            guard T >= 2 else {
                out += chunk.map { _ in TokenScores(logprobs: [], entropies: []) }
                continue
            }
            var ids = [Int32](), labels = [Int32](), mask = [Float]()
            for s in chunk {
                ids += s.map { Int32($0) } + [Int32](repeating: 0, count: T - s.count)
                for i in 0 ..< T - 1 {
                    let valid = i + 1 < s.count
                    labels.append(valid ? Int32(s[i + 1]) : 0)
                    mask.append(valid ? 1 : 0)
                }
            }
            let B = chunk.count
            let (lp, ent): (Tensor, Tensor) = withoutGradients {
                let logits = self(IndexTensor(shape: [B, T], data: ids)).value.slice(axis: 1, 0 ..< T - 1)  // [B, T-1, V]
                let logp = Functional.tokenLogProbs(logits: Variable(logits), labels: IndexTensor(shape: [B, T - 1], data: labels),
                                                    mask: Tensor(shape: [B, T - 1], data: mask)).value
                let ls = logits.logSoftmax()
                let entropy = -(ls.exp() * ls).sum(axis: -1)  // [B, T-1]
                return (logp, entropy)
            }
            for (b, s) in chunk.enumerated() {
                let n = max(s.count - 1, 0)
                let row = (0 ..< n).map { lp[b, $0] }
                let e = (0 ..< n).map { ent[b, $0] }
                out.append(TokenScores(logprobs: row, entropies: e))
            }
        }
        return out
    }
}
