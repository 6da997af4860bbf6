// Mirrors transformers' Gemma2Config (`model_type` "gemma2") and Gemma3TextConfig ("gemma3_text").
// Defaults are transformers' class defaults for the model type. What sets these families apart from
// Llama (see Gemma.swift): GeGLU, RMSNorm scaled by (1 + w), four norms per block, embeddings scaled by
// √hidden, attention scaled by query_pre_attn_scalar^(−1/2) instead of head_dim^(−1/2), soft-capped
// attention and final logits (Gemma 2), a sliding-window/global layer pattern, and for Gemma 3 per-head
// q/k norms and a separate RoPE base for the sliding layers.
//
// RoPE fields come in two shapes: transformers ≥ 5 writes `rope_parameters` (Gemma 2: one dict;
// Gemma 3: one dict per layer type, "full_attention" and "sliding_attention"); older files write
// `rope_theta`, `rope_scaling` (global layers only for Gemma 3) and `rope_local_base_freq`. Both are read.
// Fields that change the computation and that we do not implement are refused by ConfigurationAudit.
import Foundation

public struct GemmaConfiguration: Codable, Sendable, Equatable {
    public var modelType: String = "gemma2"
    public var vocabSize: Int = 256_000
    public var hiddenSize: Int = 2304
    public var intermediateSize: Int = 9216
    public var numHiddenLayers: Int = 26
    public var numAttentionHeads: Int = 8
    public var numKeyValueHeads: Int = 4
    public var headDim: Int = 256
    /// `hidden_activation`: the GeGLU gate's GELU ("gelu_pytorch_tanh": tanh approximation; "gelu": erf).
    public var hiddenActivation: String = "gelu_pytorch_tanh"
    public var maxPositionEmbeddings: Int = 8192
    public var rmsNormEps: Float = 1e-6
    /// RoPE base of the full-attention (global) layers.
    public var ropeTheta: Float = 10_000
    /// RoPE base of the sliding-window (local) layers: Gemma 3's `rope_local_base_freq` (10 000);
    /// Gemma 2 uses one base for every layer.
    public var localRopeTheta: Float = 10_000
    /// Linear RoPE scaling factor (Chen et al. 2023, arXiv:2306.15595) of the global layers, nil for none.
    public var ropeLinearFactor: Float?
    /// The same for the local layers (transformers ≥ 5 lets Gemma 3 scale them separately).
    public var localRopeLinearFactor: Float?
    public var tieWordEmbeddings: Bool = true
    /// Bias on q/k/v/o (Gemma2Attention applies `attention_bias` to all four).
    public var attentionBias: Bool = false
    /// Attention scores are scaled by query_pre_attn_scalar^(−1/2).
    public var queryPreAttnScalar: Float = 256
    /// Window W of the "sliding_attention" layers (a query at p sees keys p − W < j ≤ p).
    public var slidingWindow: Int? = 4096
    /// Per layer "sliding_attention" / "full_attention" (resolved from the pattern when absent).
    public var layerTypes: [String] = []
    /// Final logits → c·tanh(logits / c) (Gemma 2: 30; Gemma 3: none).
    public var finalLogitSoftcapping: Float?
    /// Attention scores → c·tanh(scores / c) (Gemma 2: 50; Gemma 3: none).
    public var attnLogitSoftcapping: Float?
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var padTokenId: Int?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads", headDim = "head_dim"
        case hiddenActivation = "hidden_activation", maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta", ropeLocalBaseFreq = "rope_local_base_freq", ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters", tieWordEmbeddings = "tie_word_embeddings", attentionBias = "attention_bias"
        case queryPreAttnScalar = "query_pre_attn_scalar", slidingWindow = "sliding_window", layerTypes = "layer_types"
        case slidingWindowPattern = "sliding_window_pattern", finalLogitSoftcapping = "final_logit_softcapping"
        case attnLogitSoftcapping = "attn_logit_softcapping", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
        case padTokenId = "pad_token_id", useBidirectionalAttention = "use_bidirectional_attention"
    }

    public var isGemma3: Bool { modelType == "gemma3_text" }

    /// A configuration for tests and GGUF files; `layerTypes` nil means the family's pattern (Gemma 2:
    /// every other layer sliding, starting with layer 0; Gemma 3: five sliding then one global).
    public init(modelType: String, vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int, headDim: Int, slidingWindow: Int?, layerTypes: [String]? = nil) {
        self.modelType = modelType
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.headDim = headDim
        self.slidingWindow = slidingWindow
        queryPreAttnScalar = Float(headDim)
        if modelType == "gemma3_text" {
            ropeTheta = 1_000_000
            maxPositionEmbeddings = 131_072
        } else {
            finalLogitSoftcapping = 30
            attnLogitSoftcapping = 50
        }
        self.layerTypes = layerTypes ?? Self.defaultLayerTypes(modelType: modelType, layers: numHiddenLayers, pattern: nil)
    }

    /// Gemma2Config / Gemma3TextConfig `__post_init__`: layer i is sliding unless (i + 1) is a multiple
    /// of the pattern (2 for Gemma 2; `sliding_window_pattern`, default 6, for Gemma 3).
    static func defaultLayerTypes(modelType: String, layers: Int, pattern: Int?) -> [String] {
        let p = max(pattern ?? (modelType == "gemma3_text" ? 6 : 2), 1)
        return (0 ..< layers).map { ($0 + 1) % p != 0 ? "sliding_attention" : "full_attention" }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "gemma2"
        let three = modelType == "gemma3_text"
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? (three ? 262_208 : 256_000)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? 2304
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? 9216
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? 26
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? 8
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? 4
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim) ?? 256
        hiddenActivation = try c.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? "gelu_pytorch_tanh"
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? (three ? 131_072 : 8192)
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? 1e-6
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        queryPreAttnScalar = try c.decodeIfPresent(Float.self, forKey: .queryPreAttnScalar) ?? 256
        // An explicit null softcap means none; an absent key means the class default (Gemma 2: 30 / 50).
        finalLogitSoftcapping = c.contains(.finalLogitSoftcapping) ? try c.decodeIfPresent(Float.self, forKey: .finalLogitSoftcapping)
                                                                    : (three ? nil : 30)
        attnLogitSoftcapping = c.contains(.attnLogitSoftcapping) ? try c.decodeIfPresent(Float.self, forKey: .attnLogitSoftcapping)
                                                                  : (three ? nil : 50)
        slidingWindow = c.contains(.slidingWindow) ? try c.decodeIfPresent(Int.self, forKey: .slidingWindow) : 4096
        let pattern = try c.decodeIfPresent(Int.self, forKey: .slidingWindowPattern)
        layerTypes = try c.decodeIfPresent([String].self, forKey: .layerTypes)
            ?? Self.defaultLayerTypes(modelType: modelType, layers: numHiddenLayers, pattern: pattern)
        bosTokenId = try? c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        eosTokenId = try? c.decodeIfPresent(Int.self, forKey: .eosTokenId)
        padTokenId = try? c.decodeIfPresent(Int.self, forKey: .padTokenId)

        // RoPE: legacy top-level fields first, then rope_parameters (flat, or per layer type) on top.
        typealias Rope = LlamaConfiguration.RopeFields
        let topTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta)
        let legacyScaling = try? c.decodeIfPresent(Rope.self, forKey: .ropeScaling)
        ropeTheta = topTheta ?? (three ? 1_000_000 : 10_000)
        localRopeTheta = three ? (try c.decodeIfPresent(Float.self, forKey: .ropeLocalBaseFreq) ?? 10_000) : ropeTheta
        ropeLinearFactor = Self.linearFactor(legacyScaling)
        localRopeLinearFactor = three ? nil : ropeLinearFactor
        if let nested = try? c.decodeIfPresent([String: Rope].self, forKey: .ropeParameters) {
            if let full = nested["full_attention"] {
                ropeTheta = full.ropeTheta ?? ropeTheta
                ropeLinearFactor = Self.linearFactor(full)
            }
            if let local = nested["sliding_attention"] {
                localRopeTheta = local.ropeTheta ?? localRopeTheta
                localRopeLinearFactor = Self.linearFactor(local)
            }
        } else if let flat = try? c.decodeIfPresent(Rope.self, forKey: .ropeParameters) {
            ropeTheta = flat.ropeTheta ?? ropeTheta
            ropeLinearFactor = Self.linearFactor(flat)
            if !three {
                localRopeTheta = ropeTheta
                localRopeLinearFactor = ropeLinearFactor
            }
        }
    }

    /// The factor of a "linear" RoPE entry (0 when missing, so validation names it), nil otherwise.
    static func linearFactor(_ rope: LlamaConfiguration.RopeFields?) -> Float? {
        guard let rope, (rope.ropeType ?? rope.type) == "linear" else { return nil }
        return rope.parameters.factor ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encode(headDim, forKey: .headDim)
        try c.encode(hiddenActivation, forKey: .hiddenActivation)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        func rope(_ theta: Float, _ factor: Float?) -> LlamaConfiguration.RopeFields {
            var parameters = LlamaConfiguration.RopeParameters()
            parameters.factor = factor
            return LlamaConfiguration.RopeFields(ropeTheta: theta, ropeType: factor == nil ? "default" : "linear", parameters: parameters)
        }
        if isGemma3 {
            try c.encode(["full_attention": rope(ropeTheta, ropeLinearFactor), "sliding_attention": rope(localRopeTheta, localRopeLinearFactor)],
                         forKey: .ropeParameters)
        } else {
            try c.encode(rope(ropeTheta, ropeLinearFactor), forKey: .ropeParameters)
        }
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(attentionBias, forKey: .attentionBias)
        try c.encode(queryPreAttnScalar, forKey: .queryPreAttnScalar)
        // Explicit nulls: an absent key would mean the class default (a 4096 window, Gemma 2's caps).
        if let slidingWindow { try c.encode(slidingWindow, forKey: .slidingWindow) } else { try c.encodeNil(forKey: .slidingWindow) }
        try c.encode(layerTypes, forKey: .layerTypes)
        if let v = finalLogitSoftcapping { try c.encode(v, forKey: .finalLogitSoftcapping) } else { try c.encodeNil(forKey: .finalLogitSoftcapping) }
        if let v = attnLogitSoftcapping { try c.encode(v, forKey: .attnLogitSoftcapping) } else { try c.encodeNil(forKey: .attnLogitSoftcapping) }
        try c.encode(false, forKey: .useBidirectionalAttention)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
        try c.encodeIfPresent(padTokenId, forKey: .padTokenId)
    }

    /// Fields Gemma2Config / Gemma3TextConfig type as float (a saved `30` would be refused on reload).
    static let floatFields = ["final_logit_softcapping", "attn_logit_softcapping", "rms_norm_eps"]

    /// The sliding window of decoder layer `layer`, nil for a global (full-attention) layer.
    public func attentionWindow(layer: Int) -> Int? {
        layerTypes.indices.contains(layer) && layerTypes[layer] == "sliding_attention" ? slidingWindow : nil
    }

    /// RoPE base and per-frequency factors (nil: plain RoPE) of decoder layer `layer`.
    public func rope(layer: Int) -> (theta: Float, frequencyScale: [Float]?) {
        let local = attentionWindow(layer: layer) != nil
        let factor = local ? localRopeLinearFactor : ropeLinearFactor
        return (local ? localRopeTheta : ropeTheta, factor.map { [Float](repeating: 1 / $0, count: headDim / 2) })
    }

    /// Gemma 3 normalises each head of q and k (Gemma3Attention's q_norm / k_norm); Gemma 2 does not.
    public var hasQKNorm: Bool { isGemma3 }

    /// transformers' `embed_scale`: √hidden_size as a float32 scalar (the activation dtype here).
    public var embeddingScale: Float { Float(Double(hiddenSize).squareRoot()) }

    func validationProblem() -> String? {
        if hiddenSize <= 0 || numHiddenLayers <= 0 || numAttentionHeads <= 0 || vocabSize <= 0 || intermediateSize <= 0 || headDim <= 0 {
            return "sizes must be positive"
        }
        if numKeyValueHeads <= 0 || numAttentionHeads % numKeyValueHeads != 0 {
            return "num_attention_heads (\(numAttentionHeads)) is not a multiple of num_key_value_heads (\(numKeyValueHeads))"
        }
        if headDim % 2 != 0 { return "head_dim \(headDim) must be even for RoPE" }
        if !(queryPreAttnScalar > 0) { return "query_pre_attn_scalar (\(queryPreAttnScalar)) must be positive" }
        if layerTypes.count != numHiddenLayers { return "layer_types has \(layerTypes.count) entries for \(numHiddenLayers) layers" }
        if layerTypes.contains("sliding_attention") && slidingWindow == nil {
            return "layer_types has sliding_attention layers but sliding_window is null"
        }
        if let slidingWindow, slidingWindow < 1 { return "sliding_window (\(slidingWindow)) must be positive" }
        for (name, cap) in [("final_logit_softcapping", finalLogitSoftcapping), ("attn_logit_softcapping", attnLogitSoftcapping)] {
            if let cap, !(cap > 0) { return "\(name) (\(cap)) must be positive or null" }
        }
        for factor in [ropeLinearFactor, localRopeLinearFactor] {
            if let factor, !(factor > 0) { return "rope scaling 'linear' needs a positive factor" }
        }
        return nil
    }
}
