// Per-token quantities of responses under frozen models: log-probabilities, entropies, KL between two
// models, and any other function of the logits row that predicts a response token. One batched,
// right-padded forward per model per batch; everything after it reads contiguous logits rows.
import Autograd
import Foundation
import TensorCore

/// A prompt and a response as token ids. The response includes its final EOS when it has one, so
/// the EOS is scored like any other token (a response that stops too early is wrong *at* the EOS).
public struct PromptResponse: Sendable, Equatable {
    public var prompt: [Int]
    public var response: [Int]
    public init(prompt: [Int], response: [Int]) {
        self.prompt = prompt
        self.response = response
    }
}

/// Per-token scoring of prompt + response rows under frozen models (Experiments scores CreditBench and
/// sentiment responses with it; `LanguageModel.scoreTokens` is the whole-sequence variant).
public enum ResponseScoring {
    /// Visits every response token of every row: `body(row, j, logits, label)` gets, for each model
    /// in `models`, the logits row [V] that predicts response token `j` of `row`.
    public static func visit(models: [any LanguageModel], rows: [PromptResponse], padID: Int, batchSize: Int = 64,
                             _ body: (_ row: Int, _ j: Int, _ logits: [UnsafePointer<Float>], _ label: Int) -> Void) {
        guard let first = models.first else { return }
        let V = first.vocabularySize
        for lo in stride(from: 0, to: rows.count, by: batchSize) {
            let chunk = rows[lo ..< min(lo + batchSize, rows.count)]
            let input = paddedInput(chunk, padID: padID)
            let L = input.shape[1]
            let logits = models.map { m in withoutGradients { m(input).value } }  // [B, L, V] each
            let pointers = logits.map { $0.unsafePointer }
            for (b, r) in chunk.enumerated() {
                for j in 0 ..< r.response.count {
                    let position = r.prompt.count + j - 1
                    let rowsAt = pointers.map { $0 + (b * L + position) * V }
                    body(lo + b, j, rowsAt, r.response[j])
                }
            }
            withExtendedLifetime(logits) {}
        }
    }

    /// Prompt + response of each row, right-padded with `padID` to one [B, L] batch. Right padding
    /// only follows real tokens, which causal attention never lets them see, so no mask is needed.
    public static func paddedInput(_ rows: ArraySlice<PromptResponse>, padID: Int) -> IndexTensor {
        let L = rows.map { $0.prompt.count + $0.response.count }.max() ?? 1
        var ids = [Int32](repeating: Int32(truncatingIfNeeded: padID), count: rows.count * L)
        for (b, r) in rows.enumerated() {
            for (t, id) in (r.prompt + r.response).enumerated() { ids[b * L + t] = Int32(truncatingIfNeeded: id) }
        }
        return IndexTensor(shape: [rows.count, L], data: ids)
    }

    /// log softmax(z)[label], the entropy of softmax(z), and log Σ exp(z), for one logits row.
    @inline(__always)
    public static func logSumExp(_ z: UnsafePointer<Float>, _ V: Int) -> Float {
        var m = -Float.infinity
        for v in 0 ..< V { m = max(m, z[v]) }
        var s: Float = 0
        for v in 0 ..< V { s += expf(z[v] - m) }
        return m + logf(s)
    }

    public static func logProb(_ z: UnsafePointer<Float>, _ V: Int, _ label: Int) -> Float { z[label] - logSumExp(z, V) }

    public static func entropy(_ z: UnsafePointer<Float>, _ V: Int) -> Float {
        let lse = logSumExp(z, V)
        var h: Float = 0
        for v in 0 ..< V {
            let lp = z[v] - lse
            h -= expf(lp) * lp
        }
        return h
    }

    /// KL(softmax(p) ‖ softmax(q)) over the vocabulary.
    public static func kl(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ V: Int) -> Float {
        let lp = logSumExp(p, V), lq = logSumExp(q, V)
        var k: Float = 0
        for v in 0 ..< V {
            let a = p[v] - lp
            k += expf(a) * (a - (q[v] - lq))
        }
        return max(k, 0)
    }

    /// Per-token values `f(logits rows, label)` for every response, as one array per row.
    public static func perToken(models: [any LanguageModel], rows: [PromptResponse], padID: Int,
                                _ f: (_ logits: [UnsafePointer<Float>], _ label: Int) -> Float) -> [[Float]] {
        var out = rows.map { [Float](repeating: 0, count: $0.response.count) }
        visit(models: models, rows: rows, padID: padID) { r, j, z, y in out[r][j] = f(z, y) }
        return out
    }
}
