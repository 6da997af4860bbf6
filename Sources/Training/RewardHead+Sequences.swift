// The sequence head read over token sequences of any lengths: `tokenalign eval rm` and the CLoud
// critic (CritiqueOutLoudModel) read a reward-model folder this way, where the trainer reads it.
import Autograd
import Models
import TensorCore

extension RewardHead {
    /// The head's score of each sequence at its last non-pad token (RewardStep.lastRealPositions):
    /// batches of `batchSize` sequences of similar length, right-padded with `padID` (causal
    /// attention keeps real tokens blind to the padding after them).
    public func lastTokenScores(model: any LanguageModel, sequences seqs: [[Int]], padID: Int, batchSize: Int) -> [Double] {
        let order = seqs.indices.sorted { seqs[$0].count < seqs[$1].count }
        var out = [Double](repeating: 0, count: seqs.count)
        for lo in stride(from: 0, to: order.count, by: max(1, batchSize)) {
            let chunk = Array(order[lo ..< min(lo + max(1, batchSize), order.count)])
            let L = max(1, chunk.map { seqs[$0].count }.max() ?? 1)
            var ids = [Int32](repeating: Int32(truncatingIfNeeded: padID), count: chunk.count * L)
            var readAt = [Int](repeating: 0, count: chunk.count)
            for (b, i) in chunk.enumerated() {
                for (t, v) in seqs[i].enumerated() {
                    ids[b * L + t] = Int32(truncatingIfNeeded: v)
                    if v != padID { readAt[b] = t }
                }
            }
            let s = withoutGradients { scores(model.hiddenStates(IndexTensor(shape: [chunk.count, L], data: ids), attentionMask: nil, cache: nil).value) }
            s.scalars.withUnsafeBufferPointer { v in
                for (b, i) in chunk.enumerated() { out[i] = Double(v[b * L + readAt[b]]) }
            }
        }
        return out
    }
}
