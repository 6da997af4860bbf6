// The hidden-state verifiers' features taken from the decoding that produced a sample, instead of a
// second pass of the policy over prompt ⊕ answer (ELHSR, arXiv 2505.12225; CLUE, arXiv 2510.01591).
// A searcher whose scorer reads the policy's states (`SequenceScorer.readsPolicyHiddenStates`) asks
// `SearchPolicy.sample` to record them (`LayerStateRecorder`); each `Answer` then carries its
// `HiddenStateSample`, and `HiddenStateScorer` uses it when present. Answers without one (read from
// a file, or built from a prefix whose states the call did not compute) fall back to the pass.
import Decoding
import Models

extension HiddenStateFeatures {
    /// The features of an answer of `count` tokens from what its decoding recorded: the first
    /// `count` token states, and Δh = the last of them − the start state (zeros when empty). Nil
    /// when fewer than `count` tokens were recorded.
    public static func sample(from record: LayerStateRecord, count n: Int) -> HiddenStateSample? {
        let D = record.start.count
        guard n >= 0, n <= record.count, record.tokens.count >= n * D else { return nil }
        var delta = [Float](repeating: 0, count: D)
        if n > 0 {
            let last = (n - 1) * D
            record.tokens.withUnsafeBufferPointer { x in
                record.start.withUnsafeBufferPointer { s in
                    delta.withUnsafeMutableBufferPointer { d in for j in 0 ..< D { d[j] = x[last + j] - s[j] } }
                }
            }
        }
        return HiddenStateSample(tokens: Array(record.tokens[0 ..< n * D]), count: n, delta: delta)
    }
}

extension SequenceScorer {
    /// False: the scorer reads the text or its own model, not the policy's states.
    public var readsPolicyHiddenStates: Bool { false }
}

extension Answer {
    /// The answer without its recorded features (results keep only ids and text: the features are
    /// L·C numbers per token).
    public var withoutHiddenStates: Answer { Answer(ids: ids, text: text) }
}
