// Check before allocate for Gemma 2 / 3 configurations: the same bounds, parameter count and
// memory summary as the Llama family's (ConfigurationBounds.swift), with Gemma's four norms per
// layer and Gemma 3's per-head q/k norms.
import Foundation

extension GemmaConfiguration {
    /// The first size that is out of bounds or inconsistent, naming the JSON field; `present` holds
    /// the keys the file set (nil: unknown), so a value taken from a default says so.
    func sizeProblem(present: Set<String>? = nil) -> String? {
        func d(_ key: String) -> Bool { present.map { !$0.contains(key) } ?? false }
        let checks: [(String, Int, Int)] = [
            ("vocab_size", vocabSize, ModelLimits.vocabulary), ("hidden_size", hiddenSize, ModelLimits.hidden),
            ("intermediate_size", intermediateSize, ModelLimits.intermediate),
            ("num_hidden_layers", numHiddenLayers, ModelLimits.layers),
            ("num_attention_heads", numAttentionHeads, ModelLimits.heads),
            ("head_dim", headDim, ModelLimits.headDimension),
            ("max_position_embeddings", maxPositionEmbeddings, ModelLimits.positions),
        ]
        for (field, value, max) in checks {
            if let p = ModelLimits.check(field, value, max: max, defaulted: d(field)) { return p }
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
