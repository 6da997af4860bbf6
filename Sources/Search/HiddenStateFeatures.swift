// What the hidden-state verifiers read from the policy's own forward pass over prompt ⊕ answer:
//  - ELHSR (arXiv 2505.12225) the residual stream of every layer at every answer token, the layers
//    concatenated into one vector of L·C per token;
//  - CLUE (arXiv 2510.01591) the activation delta per layer: the state at the answer's last token
//    minus the state at the prompt's last token (the position that has read the whole prompt and no
//    answer yet; the paper's reasoning-block start), L·C numbers.
// One sample per forward pass (one row, no padding): the features and hence the scores of a sample
// do not depend on which other samples share its call, and the work is exactly p + n positions.
import Autograd
import Models
import TensorCore

/// The hidden-state features of one sample.
public struct HiddenStateSample: Sendable {
    /// n × (L·C), row-major: token t's layer-0 state, then layer 1's, … (ELHSR's h_t).
    public var tokens: [Float]
    /// Answer tokens n.
    public var count: Int
    /// L·C: h^l(last answer token) − h^l(last prompt token), layer by layer (CLUE's Δh); zeros when
    /// the answer is empty.
    public var delta: [Float]
    /// The verifier's label (1 correct, 0 not), nil when unlabelled.
    public var label: Float?

    public init(tokens: [Float], count: Int, delta: [Float], label: Float? = nil) {
        self.tokens = tokens
        self.count = count
        self.delta = delta
        self.label = label
    }
}

public enum HiddenStateFeatures {
    /// The policy as a model whose per-layer states can be read, or a clear error naming `flag`.
    public static func inspecting(_ model: (any LanguageModel)?, flag: String) throws -> any ActivationInspecting {
        guard let model else {
            throw SearchError.invalidSetting("\(flag): this scorer reads the policy's own hidden states, but no policy model was given "
                + "(use it with `tokenalign search` or `generate --best-of`)")
        }
        guard let m = model as? any ActivationInspecting else {
            throw SearchError.invalidSetting("\(flag): the policy (\(model.modelType)) does not expose its per-layer hidden states")
        }
        return m
    }

    /// One no-grad pass over prompt ⊕ answer; returns the sample's features and the positions run.
    /// Throws when the prompt is empty or prompt + answer exceed the model's positions.
    public static func sample(model: any ActivationInspecting, prompt: [Int], answer: [Int], location: String) throws
        -> (sample: HiddenStateSample, positions: Int) {
        let p = prompt.count, n = answer.count, T = p + n
        guard p > 0 else { throw SearchError.badRow("\(location): an empty prompt has no start state for the hidden-state verifiers") }
        guard T <= model.maxPositions else {
            throw SearchError.badRow("\(location): prompt + answer (\(T) tokens) exceed the policy's \(model.maxPositions) positions")
        }
        let ids = IndexTensor(shape: [1, T], data: (prompt + answer).map { Int32(truncatingIfNeeded: $0) })
        let layers = withoutGradients { model.layerHiddenStates(ids, attentionMask: nil).map(\.value.scalars) }
        let L = layers.count, C = model.hiddenSize, D = L * C
        var tokens = [Float](repeating: 0, count: n * D)
        var delta = [Float](repeating: 0, count: D)
        tokens.withUnsafeMutableBufferPointer { out in
            delta.withUnsafeMutableBufferPointer { d in
                for (l, h) in layers.enumerated() {
                    h.withUnsafeBufferPointer { src in
                        for t in 0 ..< n {
                            let from = (p + t) * C, to = t * D + l * C
                            for c in 0 ..< C { out[to + c] = src[from + c] }
                        }
                        if n > 0 {
                            let end = (T - 1) * C, start = (p - 1) * C
                            for c in 0 ..< C { d[l * C + c] = src[end + c] - src[start + c] }
                        }
                    }
                }
            }
        }
        return (HiddenStateSample(tokens: tokens, count: n, delta: delta), T)
    }
}
