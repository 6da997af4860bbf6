// Check before allocate for Gemma 2 / 3 configurations: the same bounds, parameter count and
// memory summary as the Llama family's (ConfigurationBounds.swift), with Gemma's four norms per
// layer and Gemma 3's per-head q/k norms.
import Foundation

extension GemmaConfiguration {
    /// The first size that is out of bounds or inconsistent, naming the JSON field; `present` holds
    /// the keys the file set (nil: unknown), so a value taken from a default says so.
    func sizeProblem(present: Set<String>? = nil) -> String? {
        if let p = ModelLimits.decoderSizeProblem(vocab: vocabSize, hidden: hiddenSize, intermediate: intermediateSize, layers: numHiddenLayers,
                                                  heads: numAttentionHeads, positions: maxPositionEmbeddings, present: present) { return p }
        if let p = ModelLimits.check("head_dim", headDim, max: ModelLimits.headDimension, defaulted: present.map { !$0.contains("head_dim") } ?? false) {
            return p
        }
        if let p = ModelLimits.check("num_key_value_heads", numKeyValueHeads, max: numAttentionHeads) { return p + " (num_attention_heads)" }
        if !(rmsNormEps.isFinite && rmsNormEps > 0) { return "rms_norm_eps = \(rmsNormEps) must be positive and finite" }
        if footprint == nil { return "the parameter count overflows" }
        return nil
    }

    /// The parameter count (nil when it overflows); call after the bounds hold.
    public var footprint: ModelFootprint? {
        let H = hiddenSize, I = intermediateSize, V = vocabSize, nh = numAttentionHeads, kv = numKeyValueHeads, D = headDim
        var layer: [[Int]] = [[H, nh, D], [2, H, kv, D], [nh, D, H], [3, H, I], [4, H]]
        if attentionBias { layer += [[nh, D], [2, kv, D], [H]] }
        if hasQKNorm { layer.append([2, D]) }
        guard let perLayer = ModelFootprint.total(layer) else { return nil }
        let top: [[Int]] = [[V, H], [tieWordEmbeddings ? 0 : V, H], [H], [numHiddenLayers, perLayer]]
        return ModelFootprint.total(top).map { ModelFootprint(parameters: $0) }
    }

    /// The sizes named in a memory refusal, marking those taken from defaults.
    func sizeSummary(present: Set<String>?) -> String {
        ModelLimits.summary([("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                             ("num_hidden_layers", numHiddenLayers)], present: present)
    }
}
