// THR's inputs (arXiv 2510.03669) from one no-grad pass of a policy: the final hidden state before
// each completion token and the probability row there. The trainer and `tokenalign advantages
// --estimator thr --model DIR` both read them through `frozenStates`.
import Autograd
import Models
import TensorCore

public enum PolicyStates {
    /// One no-grad pass of `model` over padded samples: ℓ_t [n, T], the final hidden state h_t that
    /// multiplies the unembedding [n, T, C], and the probability row softmax(logits / temperature)
    /// [n, T, V] (the distribution whose log-probs GRPO trains), at every predicted position.
    static func frozenStates(model: any LanguageModel, _ p: PaddedRollout, temperature: Float)
        -> (logps: Tensor, hidden: Tensor, probabilities: Tensor) {
        withoutGradients {
            let h = model.hiddenStates(p.ids, attentionMask: nil, cache: nil)
            let states = h.slice(axis: 1, 0 ..< p.ids.shape[1] - 1)
            var logits = model.logits(fromHidden: states)
            if temperature > 0 && temperature != 1 { logits = logits * (1 / temperature) }
            let logps = Functional.tokenLogProbs(logits: logits, labels: p.labels, mask: p.mask)
            return (logps.value, states.value, logits.softmax().value)
        }
    }

    /// h_t [B, T, C] and π(· | prefix) [B, T, V] before completion token t of each row (row i's
    /// token k at position k; 0 past its end), for completions of the given prompts: what THR
    /// reads, laid out like `tokenalign advantages`' per-position fields.
    /// - Parameters:
    ///   - prompts: each row's prompt ids, at least one token (the first completion token is
    ///     predicted from the prompt's last position).
    ///   - length: T, at least the longest completion.
    ///   - batchSize: rows per forward pass.
    public static func completionStates(model: any LanguageModel, prompts: [[Int]], completions: [[Int]], padID: Int,
                                        temperature: Float, length T: Int, batchSize: Int = 8) -> (hidden: Tensor, probabilities: Tensor) {
        precondition(prompts.count == completions.count && prompts.allSatisfy { !$0.isEmpty } && completions.allSatisfy { $0.count <= T })
        let B = prompts.count
        var hidden: [Float] = [], probabilities: [Float] = []
        var C = 0, V = 0
        for start in stride(from: 0, to: B, by: max(1, batchSize)) {
            let rows = start ..< min(B, start + max(1, batchSize))
            let samples = rows.map { i in
                RolloutSample(promptIndex: i, group: i, promptIDs: prompts[i], ids: completions[i], rolloutLogps: [], entropies: [],
                              truncated: false, text: "")
            }
            let p = PaddedRollout(samples, padID: padID, forLoss: false)
            let out = frozenStates(model: model, p, temperature: temperature)
            if hidden.isEmpty {
                C = out.hidden.shape[2]
                V = out.probabilities.shape[2]
                hidden = [Float](repeating: 0, count: B * T * C)
                probabilities = [Float](repeating: 0, count: B * T * V)
            }
            for (j, i) in rows.enumerated() {
                let h = p.completionVectors(out.hidden, row: j), q = p.completionVectors(out.probabilities, row: j)
                hidden.replaceSubrange(i * T * C ..< i * T * C + h.count, with: h)
                probabilities.replaceSubrange(i * T * V ..< i * T * V + q.count, with: q)
            }
        }
        return (Tensor(shape: [B, T, C], data: hidden), Tensor(shape: [B, T, V], data: probabilities))
    }
}
