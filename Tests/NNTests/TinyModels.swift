import Autograd
import NN
import TensorCore

/// A tiny GPT-style language model for engine tests: token + learned position embeddings,
/// pre-LN blocks, final LN, head tied to the token embedding.
final class TinyLM: Module {
    var wte: Embedding
    var wpe: Embedding
    var h: [TransformerBlock]
    var lnF: LayerNorm

    init(vocabulary V: Int, dimensions C: Int, heads H: Int, layers L: Int, context T: Int, rng: inout RandomGenerator) {
        wte = Embedding(V, C, std: 0.1, rng: &rng)
        wpe = Embedding(T, C, std: 0.1, rng: &rng)
        h = (0 ..< L).map { _ in TransformerBlock(dimensions: C, heads: H, rng: &rng) }
        lnF = LayerNorm(C)
        super.init()
    }

    /// logits [B, T, V] for ids [B, T].
    func callAsFunction(_ ids: IndexTensor) -> Variable {
        let T = ids.shape[1]
        var x = wte(ids) + wpe(IndexTensor(Array(0 ..< T)))
        for block in h { x = block(x) }
        return lnF(x).matmul(wte.weight, transposeOther: true)
    }
}

/// Two-layer perceptron.
final class TinyMLP: Module {
    var fc1: Linear
    var fc2: Linear
    init(_ i: Int, _ hidden: Int, _ o: Int, rng: inout RandomGenerator) {
        fc1 = Linear(i, hidden, rng: &rng)
        fc2 = Linear(hidden, o, rng: &rng)
        super.init()
    }
    func callAsFunction(_ x: Variable) -> Variable { fc2(fc1(x).tanh()) }
}
