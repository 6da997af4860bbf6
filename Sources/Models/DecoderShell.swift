// The shell every RoPE decoder family's causal-LM class has around its layers: the sizes
// `LanguageModel` exposes and the KV cache sized from the configuration (the modules themselves, with
// the head that exists only when the embeddings are not tied, are DecoderCausalLM's). Written once for
// LlamaForCausalLM and GemmaForCausalLM; nothing here is on the forward path (the forward is
// DecoderStack's), so the float path is unchanged.
import NN
import TensorCore

/// What a decoder shell reads from its family's configuration.
public protocol DecoderShellConfiguration: Sendable {
    var modelType: String { get }
    var vocabSize: Int { get }
    var hiddenSize: Int { get }
    var numHiddenLayers: Int { get }
    var maxPositionEmbeddings: Int { get }
    var tieWordEmbeddings: Bool { get }
    var rmsNormEps: Float { get }
    /// Key/value heads and their dimension: the KV cache's shape.
    var kvHeads: Int { get }
    var headDimension: Int { get }
}

/// A causal LM whose `LanguageModel` sizes and KV cache come from its configuration.
public protocol DecoderShell: LanguageModel {
    associatedtype Configuration: DecoderShellConfiguration
    var config: Configuration { get }
}

extension DecoderShell {
    public var modelType: String { config.modelType }
    public var vocabularySize: Int { config.vocabSize }
    public var hiddenSize: Int { config.hiddenSize }
    public var layerCount: Int { config.numHiddenLayers }
    public var maxPositions: Int { config.maxPositionEmbeddings }

    public func makeCache(batch: Int, capacity: Int) -> KVCache {
        KVCache(layers: config.numHiddenLayers, batch: batch, capacity: capacity, kvHeads: config.kvHeads,
                headDimension: config.headDimension)
    }
}

extension LlamaConfiguration: DecoderShellConfiguration {}

extension GemmaConfiguration: DecoderShellConfiguration {
    public var kvHeads: Int { numKeyValueHeads }
    public var headDimension: Int { headDim }
}
