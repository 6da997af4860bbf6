// A small random batch of shifted logits, labels and a ragged mask, for the gradient checks of
// token-level losses (the same shapes every such check uses).
import TensorCore

/// Logits [4, 3, V], labels [4, 3] drawn uniformly, a fixed ragged mask, and the generator after the
/// draws (for further inputs of the same seed).
public func randomShiftedBatch(seed: UInt64, vocabulary V: Int = 5) -> (logits: Tensor, labels: IndexTensor, mask: Tensor, rng: RandomGenerator) {
    var rng = RandomGenerator(seed: seed)
    let logits = Tensor.randomNormal([4, 3, V], using: &rng)
    let labels = IndexTensor(shape: [4, 3], data: (0 ..< 12).map { _ in Int32(rng.next() % UInt64(V)) })
    let mask = Tensor(shape: [4, 3], data: [1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1])
    return (logits, labels, mask, rng)
}
