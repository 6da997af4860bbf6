// The forward shared by the RoPE decoder families (Llama and its relatives, Gemma): embed the ids,
// run every decoder layer at the positions the mask implies (left padding and the cache offset
// included), then the final norm. Written once so that `hiddenStates`, the per-layer activations and
// attention inspection walk the same path for every family.
import Autograd
import TensorCore

protocol DecoderStack: LanguageModel {
    /// Token embeddings as the first layer reads them (Gemma scales them by √hidden).
    func embedInputs(_ ids: IndexTensor) -> Variable
    /// Decoder layer `layer` applied to x [B, T, C].
    func decoderLayer(_ layer: Int, _ x: Variable, positions: [Int], attentionMask: Tensor?, cache: KVCache?) -> Variable
    /// The norm after the last layer.
    func finalNorm(_ x: Variable) -> Variable
}

extension DecoderStack {
    /// Embeddings, then layers 0 ..< `upTo` (no cache), handing each layer's output to `collect`;
    /// returns the residual stream and the positions used.
    func residual(_ ids: IndexTensor, attentionMask: Tensor?, upTo: Int, collect: ((Variable) -> Void)? = nil) -> (Variable, [Int]) {
        precondition(ids.rank == 2, "\(modelType): ids must be [B, T], got \(ids.shape)")
        let positions = tokenPositions(start: 0, count: ids.shape[1], batch: ids.shape[0], attentionMask: attentionMask)
        var x = embedInputs(ids)
        for i in 0 ..< upTo {
            x = decoderLayer(i, x, positions: positions, attentionMask: attentionMask, cache: nil)
            collect?(x)
        }
        return (x, positions)
    }

    /// `LanguageModel.hiddenStates`: every layer then the final norm; with a cache, positions start at
    /// the cached length and the cache advances by T. `collect` gets each layer's output.
    func stackHiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?, collect: ((Variable) -> Void)? = nil) -> Variable {
        precondition(ids.rank == 2, "\(modelType): ids must be [B, T], got \(ids.shape)")
        let B = ids.shape[0], T = ids.shape[1]
        let positions = tokenPositions(start: cache?.length ?? 0, count: T, batch: B, attentionMask: attentionMask)
        var x = embedInputs(ids)
        for i in 0 ..< layerCount {
            x = decoderLayer(i, x, positions: positions, attentionMask: attentionMask, cache: cache)
            collect?(x)
        }
        if let cache { cache.length += T }
        return finalNorm(x)
    }

    /// Every layer's output and the final normed state, from one uncached pass.
    func stackActivations(_ ids: IndexTensor, attentionMask: Tensor?) -> LayerActivations {
        var layers: [Variable] = []
        let (x, _) = residual(ids, attentionMask: attentionMask, upTo: layerCount) { layers.append($0) }
        return LayerActivations(layers: layers, final: finalNorm(x))
    }

    /// Attention weights of decoder layer `layer` (no gradient), exact zeros outside what a query
    /// may see: `probabilities` maps the layer's input residual and positions to the kernel's
    /// probabilities [B, H, T, T], computed as that layer's forward computes them.
    func inspectAttention(_ ids: IndexTensor, layer: Int, attentionMask: Tensor?, window: Int?,
                          probabilities: (Variable, [Int]) -> Tensor) -> Tensor {
        precondition((0 ..< layerCount).contains(layer), "\(modelType): layer \(layer) of \(layerCount)")
        return withoutGradients {
            let (x, positions) = residual(ids, attentionMask: attentionMask, upTo: layer)
            return exactZeros(probabilities(x, positions), keyMask: attentionMask, window: window)
        }
    }
}
