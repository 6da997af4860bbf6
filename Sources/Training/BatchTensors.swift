// Collated batches as tensors, and model forwards in the TokenBatch convention
// (docs/design/objectives.md §0.2: logits[:, :-1] scored against ids[:, 1:]).
// Legend: B rows, L input length, T = L − 1, V vocabulary.
import Autograd
import Datasets
import Models
import Objectives
import TensorCore

/// A collated batch as tensors.
public struct BatchTensors {
    /// [B, L].
    public var ids: IndexTensor
    /// [B, T] predicted tokens.
    public var labels: IndexTensor
    /// [B, T] loss mask.
    public var mask: Tensor
    /// [B, T] token rewards, when annotated.
    public var tokenRewards: Tensor?
    /// [B, T] token labels, when annotated.
    public var tokenLabels: Tensor?
    /// The pairs' Bradley–Terry margins and tie flags ([P] each, when the rows have them), as the
    /// reward losses read them (`TokenBatch.sequenceValues[.margin]`, `[.tie]`).
    public var pairValues: [SequenceValueKey: Tensor]
    public var collated: CollatedBatch

    public init(_ c: CollatedBatch) {
        let B = c.rows, L = c.inputLength, T = L - 1
        ids = IndexTensor(shape: [B, L], data: c.inputIDs.map { Int32(truncatingIfNeeded: $0) })
        labels = IndexTensor(shape: [B, T], data: c.labels.map { Int32(truncatingIfNeeded: $0) })
        mask = Tensor(shape: [B, T], data: c.lossMask)
        tokenRewards = c.tokenRewards.map { Tensor(shape: [B, T], data: $0) }
        tokenLabels = c.tokenLabels.map { Tensor(shape: [B, T], data: $0) }
        pairValues = [:]
        if let m = c.pairMargins { pairValues[.margin] = Tensor(shape: [m.count], data: m) }
        if let t = c.pairTies { pairValues[.tie] = Tensor(shape: [t.count], data: t) }
        collated = c
    }
}

public enum Forward {
    /// Shifted logits [B, T, V] of a causal LM (right padding needs no attention mask: padding
    /// only follows real tokens, which causal attention never lets them see).
    public static func shiftedLogits(_ model: any LanguageModel, _ ids: IndexTensor) -> Variable {
        let logits = model(ids)  // [B, L, V]
        return logits.slice(axis: 1, 0 ..< ids.shape[1] - 1)
    }

    /// A frozen model's shifted logits (no graph).
    public static func frozenLogits(_ model: any LanguageModel, _ ids: IndexTensor) -> Tensor {
        withoutGradients { shiftedLogits(model, ids).value }
    }
}
