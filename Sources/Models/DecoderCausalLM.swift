// The part every RoPE decoder family's causal LM has in common (Llama and the families read through
// its configuration, Gemma 2/3): `model.*` holds the token embeddings, the decoder layers and the final
// norm; `lm_head` exists only when the embeddings are not tied. Each family supplies its layer and
// norm types; the checkpoint keys (`model.embed_tokens`, `model.layers.N.…`, `model.norm`,
// `lm_head`) and the order in which weights are drawn from the seed are the same for all of them.
import Autograd
import NN
import TensorCore

/// A decoder layer of a RoPE family, built from the family's configuration.
public protocol RoPEDecoderLayer: Module {
    associatedtype Configuration: DecoderShellConfiguration
    init(_ c: Configuration, layer: Int, rng: inout RandomGenerator)
    /// x [B, T, C] through the layer; `layer` indexes the KV cache.
    func callAsFunction(_ x: Variable, positions: [Int], layer: Int, attentionMask: Tensor?, cache: KVCache?) -> Variable
}

/// The norm after the last layer (RMSNorm, Gemma's (1 + w) RMSNorm).
public protocol DecoderFinalNorm: Module {
    init(_ dimensions: Int, eps: Float)
    func callAsFunction(_ x: Variable) -> Variable
}

extension RMSNorm: DecoderFinalNorm {}

/// `model.*` of a RoPE family's causal LM.
public final class DecoderTrunk<Layer: RoPEDecoderLayer, Norm: DecoderFinalNorm>: Module {
    public var embedTokens: Embedding
    public var layers: [Layer]
    public var norm: Norm

    init(_ c: Layer.Configuration, rng: inout RandomGenerator) {
        embedTokens = Embedding(c.vocabSize, c.hiddenSize, std: 0.02, rng: &rng)
        layers = (0 ..< c.numHiddenLayers).map { Layer(c, layer: $0, rng: &rng) }
        norm = Norm(c.hiddenSize, eps: c.rmsNormEps)
        super.init()
    }
}

/// The causal LM around a trunk: its configuration, `model.*` and the untied head. The family's class
/// subclasses it and adds what differs (embedding scale, logit soft-capping, checkpoint renames).
public class DecoderCausalLM<Layer: RoPEDecoderLayer, Norm: DecoderFinalNorm>: Module {
    public let config: Layer.Configuration
    public var model: DecoderTrunk<Layer, Norm>
    /// `lm_head`, only when `tie_word_embeddings` is false (otherwise the embeddings project).
    public var lmHead: Linear?

    public init(_ config: Layer.Configuration, seed: UInt64 = 0) {
        self.config = config
        var rng = RandomGenerator(seed: seed)
        model = DecoderTrunk(config, rng: &rng)
        lmHead = config.tieWordEmbeddings ? nil : Linear(config.hiddenSize, config.vocabSize, bias: false, rng: &rng)
        super.init()
    }

    func decoderLayer(_ layer: Int, _ x: Variable, positions: [Int], attentionMask: Tensor?, cache: KVCache?) -> Variable {
        model.layers[layer](x, positions: positions, layer: layer, attentionMask: attentionMask, cache: cache)
    }

    func finalNorm(_ x: Variable) -> Variable { model.norm(x) }
}
