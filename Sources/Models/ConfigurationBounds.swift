// The size checks and parameter counts of the two configuration families (ModelFootprint.swift
// says why). Checked before `validationProblem`'s divisions, so a zero head count is an error, not
// a SIGFPE.
import Foundation

extension LlamaConfiguration {
    /// The first size that is out of bounds or inconsistent, naming the JSON field; `present` holds
    /// the keys the file set (nil: unknown), so a value taken from a default says so.
    func sizeProblem(present: Set<String>? = nil) -> String? {
        if let p = ModelLimits.decoderSizeProblem(vocab: vocabSize, hidden: hiddenSize, intermediate: intermediateSize, layers: numHiddenLayers,
                                                  heads: numAttentionHeads, positions: maxPositionEmbeddings, present: present) { return p }
        if let kv = numKeyValueHeads, let p = ModelLimits.check("num_key_value_heads", kv, max: numAttentionHeads) {
            return p + " (num_attention_heads)"
        }
        if let headDim, let p = ModelLimits.check("head_dim", headDim, max: ModelLimits.headDimension) { return p }
        if headDim == nil && hiddenSize < numAttentionHeads {
            return "hidden_size (\(hiddenSize)) is smaller than num_attention_heads (\(numAttentionHeads))"
        }
        if !(rmsNormEps.isFinite && rmsNormEps > 0) { return "rms_norm_eps = \(rmsNormEps) must be positive and finite" }
        if !(ropeTheta.isFinite && ropeTheta > 0) { return "rope_theta = \(ropeTheta) must be positive and finite" }
        if footprint == nil { return "the parameter count overflows" }
        return nil
    }

    /// The parameter count (nil when it overflows); call after the bounds hold.
    public var footprint: ModelFootprint? {
        let H = hiddenSize, I = intermediateSize, V = vocabSize, nh = numAttentionHeads, kv = kvHeads, D = headDimension
        var layer: [[Int]] = [[H, nh, D], [2, H, kv, D], [nh, D, H], [3, H, I], [2, H]]
        if qkvBias { layer += [[nh, D], [2, kv, D]] }
        if outputBias { layer.append([H]) }
        if mlpProjectionBias { layer += [[2, I], [H]] }
        switch qkNorm {
        case .perHead: layer.append([2, D])
        case .wholeProjection: layer += [[nh, D], [kv, D]]
        case .none: break
        }
        guard let perLayer = ModelFootprint.total(layer) else { return nil }
        let top: [[Int]] = [[V, H], [tieWordEmbeddings ? 0 : V, H], [H], [numHiddenLayers, perLayer]]
        return ModelFootprint.total(top).map { ModelFootprint(parameters: $0) }
    }
}

extension GPT2Configuration {
    /// As `LlamaConfiguration.sizeProblem`.
    func sizeProblem(present: Set<String>? = nil) -> String? {
        func d(_ key: String) -> Bool { present.map { !$0.contains(key) } ?? false }
        let checks: [(String, Int, Int)] = [
            ("vocab_size", vocabSize, ModelLimits.vocabulary), ("n_embd", nEmbd, ModelLimits.hidden),
            ("n_layer", nLayer, ModelLimits.layers), ("n_head", nHead, ModelLimits.heads),
            ("n_positions", nPositions, ModelLimits.positions),
        ]
        for (field, value, max) in checks {
            if let p = ModelLimits.check(field, value, max: max, defaulted: d(field)) { return p }
        }
        if let nInner, let p = ModelLimits.check("n_inner", nInner, max: ModelLimits.intermediate) { return p }
        if nEmbd < nHead { return "n_embd (\(nEmbd)) is smaller than n_head (\(nHead))" }
        if !(layerNormEpsilon.isFinite && layerNormEpsilon >= 0) {
            return "layer_norm_epsilon = \(layerNormEpsilon) must be non-negative and finite"
        }
        if footprint == nil { return "the parameter count overflows" }
        return nil
    }

    /// The parameter count (nil when it overflows); call after the bounds hold.
    public var footprint: ModelFootprint? {
        let E = nEmbd, I = nInner ?? 4 * nEmbd, V = vocabSize
        let layer: [[Int]] = [[E, 3, E], [3, E], [E, E], [E], [E, I], [I], [I, E], [E], [4, E]]
        guard let perLayer = ModelFootprint.total(layer) else { return nil }
        let top: [[Int]] = [[V, E], [tieWordEmbeddings ? 0 : V, E], [nPositions, E], [2, E], [nLayer, perLayer]]
        return ModelFootprint.total(top).map { ModelFootprint(parameters: $0) }
    }

    /// The sizes named in a memory refusal, marking those taken from defaults.
    func sizeSummary(present: Set<String>?) -> String {
        ModelLimits.summary([("vocab_size", vocabSize), ("n_embd", nEmbd), ("n_layer", nLayer), ("n_positions", nPositions)], present: present)
    }
}

extension LlamaConfiguration {
    /// The sizes named in a memory refusal, marking those taken from defaults.
    func sizeSummary(present: Set<String>?) -> String {
        ModelLimits.summary([("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                             ("num_hidden_layers", numHiddenLayers)], present: present)
    }
}

extension ModelLimits {
    /// The first out-of-bounds size of a Llama-layout decoder (Llama family, Gemma), naming the
    /// config.json field and whether its value was a default.
    static func decoderSizeProblem(vocab: Int, hidden: Int, intermediate: Int, layers: Int, heads: Int, positions: Int,
                                   present: Set<String>?) -> String? {
        let checks: [(String, Int, Int)] = [
            ("vocab_size", vocab, vocabulary), ("hidden_size", hidden, Self.hidden), ("intermediate_size", intermediate, Self.intermediate),
            ("num_hidden_layers", layers, Self.layers), ("num_attention_heads", heads, Self.heads),
            ("max_position_embeddings", positions, Self.positions),
        ]
        for (field, value, max) in checks {
            if let p = check(field, value, max: max, defaulted: present.map { !$0.contains(field) } ?? false) { return p }
        }
        return nil
    }
}
