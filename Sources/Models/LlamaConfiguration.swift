// Mirrors transformers' LlamaConfig / Qwen2Config / Qwen3Config / MistralConfig (`model_type` "llama",
// "qwen2", "qwen3", "mistral"). Defaults are transformers' LlamaConfig defaults unless noted. Qwen3
// differs from Qwen2 in an RMSNorm over each head of q and k before RoPE, `attention_bias` (default
// false) on q/k/v/o instead of a forced q/k/v bias, and `head_dim` 128 by default. Phi-3
// (`model_type` "phi3") is Llama with q/k/v and gate/up stored fused (`qkv_proj`, `gate_up_proj`; split
// on load and fused again on save), no biases, and, when `sliding_window` is set (absent: none, unlike
// Mistral), the window on every layer. OLMo 2 (`model_type` "olmo2") normalises the whole q and k
// projections and moves the block's norms after attention and the MLP. Qwen2 differs in that q/k/v
// projections always carry a bias (Qwen2Attention hard-codes it); Mistral in that every layer uses a
// sliding attention window (MistralConfig.sliding_window, default 4096) and no biases (MistralAttention
// and MistralMLP hard-code bias=False); Qwen2 may window its upper layers (`use_sliding_window`).
// Fields that change the computation and that we do not implement are refused by ConfigurationAudit.
import Foundation

public struct LlamaConfiguration: Codable, Sendable, Equatable {
    public var modelType: String = "llama"
    public var vocabSize: Int = 32000
    public var hiddenSize: Int = 4096
    public var intermediateSize: Int = 11008
    public var numHiddenLayers: Int = 32
    public var numAttentionHeads: Int = 32
    /// nil means equal to numAttentionHeads (no GQA), as in LlamaConfig.
    public var numKeyValueHeads: Int?
    /// nil means hiddenSize / numAttentionHeads.
    public var headDim: Int?
    public var hiddenAct: String = "silu"
    public var maxPositionEmbeddings: Int = 2048
    public var rmsNormEps: Float = 1e-6
    public var ropeTheta: Float = 10_000
    public var tieWordEmbeddings: Bool = false
    /// Bias on q/k/v/o (Llama's `attention_bias`); Qwen2 forces q/k/v bias on regardless.
    public var attentionBias: Bool = false
    public var mlpBias: Bool = false
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    /// Written back on save: Phi3Config defaults it to 32000, which transformers refuses as an
    /// embedding padding index for a smaller vocabulary, so phi3 writes an explicit null when absent.
    public var padTokenId: Int?
    /// The RoPE type of `rope_scaling` / `rope_parameters` ("default", "linear", "llama3", …);
    /// ConfigurationAudit refuses the types we do not implement.
    public var ropeScalingType: String?
    /// RoPE scaling we implement (linear, llama3, dynamic, yarn, longrope; RopeScaling.swift); nil for plain RoPE.
    public var ropeScaling: RopeScaling?
    /// Sliding attention window W: a query at position p attends keys p − W < j ≤ p (transformers'
    /// `sliding_window_overlay`). Mistral: `sliding_window`, on every layer (absent in the JSON means
    /// MistralConfig's default 4096, null means none). Qwen2: `sliding_window` when
    /// `use_sliding_window` (else nil, as Qwen2Config.__post_init__ does), on the layers
    /// `attentionWindow(layer:)` picks. Llama: always nil.
    public var slidingWindow: Int?
    /// Qwen2: turns `sliding_window` on (off in released checkpoints).
    public var useSlidingWindow: Bool = false
    /// Qwen2: without `layer_types`, layers with index ≥ this use the window (Qwen2Config default 28).
    public var maxWindowLayers: Int = 28
    /// Qwen2: per layer "full_attention" / "sliding_attention" (transformers ≥ 4.53 writes it).
    public var layerTypes: [String]?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads", headDim = "head_dim"
        case hiddenAct = "hidden_act", maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta", tieWordEmbeddings = "tie_word_embeddings", attentionBias = "attention_bias"
        case mlpBias = "mlp_bias", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", padTokenId = "pad_token_id", ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters", useSlidingWindow = "use_sliding_window"
        case slidingWindow = "sliding_window", maxWindowLayers = "max_window_layers", layerTypes = "layer_types"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// transformers ≥ 5 moves `rope_theta` and the scaling type into `rope_parameters`.
    /// `rope_parameters` (transformers ≥ 5) or `rope_scaling` (earlier, with `type` in old files).
    struct RopeFields: Codable {
        var ropeTheta: Float?
        var ropeType: String?
        var type: String?
        var parameters: RopeParameters
        enum CodingKeys: String, CodingKey { case ropeTheta = "rope_theta", ropeType = "rope_type", type }

        init(ropeTheta: Float?, ropeType: String?, parameters: RopeParameters) {
            self.ropeTheta = ropeTheta
            self.ropeType = ropeType
            self.parameters = parameters
        }

        /// The base and type, and the parameters from the same object.
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            ropeTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta)
            ropeType = try c.decodeIfPresent(String.self, forKey: .ropeType)
            type = try c.decodeIfPresent(String.self, forKey: .type)
            parameters = try RopeParameters(from: decoder)
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(ropeTheta, forKey: .ropeTheta)
            try c.encodeIfPresent(ropeType, forKey: .ropeType)
            try parameters.encode(to: encoder)
        }
    }

    public init(modelType: String = "llama", vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int? = nil, rmsNormEps: Float = 1e-6, ropeTheta: Float = 10_000,
                tieWordEmbeddings: Bool = false, maxPositionEmbeddings: Int = 2048, slidingWindow: Int? = nil) {
        // `slidingWindow` windows every layer (Mistral; Qwen2 with use_sliding_window and max_window_layers 0).
        self.modelType = modelType
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.tieWordEmbeddings = tieWordEmbeddings
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.slidingWindow = slidingWindow
        useSlidingWindow = modelType == "qwen2" && slidingWindow != nil
        if modelType == "qwen2" && slidingWindow != nil { maxWindowLayers = 0 }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "llama"
        let isQwen = modelType == "qwen2" || modelType == "qwen3"
        let isPhi3 = modelType == "phi3", isOlmo2 = modelType == "olmo2"
        
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? (isQwen ? 151936 : isPhi3 ? 32064 : isOlmo2 ? 50304 : 32000)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? (isPhi3 ? 3072 : 4096)
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? (isQwen ? 22016 : isPhi3 ? 8192 : 11008)
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? 32
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? 32
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads)
        // Qwen3Config's head_dim defaults to 128 (not hidden_size / heads).
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim) ?? (modelType == "qwen3" ? 128 : nil)
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "silu"
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? (isQwen ? 32768 : isPhi3 ? 4096 : 2048)
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? (isPhi3 || isOlmo2 ? 1e-5 : 1e-6)
        // transformers' convert_rope_params_to_dict: a non-empty `rope_scaling` (old files) replaces
        // `rope_parameters`, and a rope_theta inside it wins over the top-level one.
        let ropeParameters = try c.decodeIfPresent(RopeFields.self, forKey: .ropeParameters)
        let rope = try c.decodeIfPresent(RopeFields.self, forKey: .ropeScaling) ?? ropeParameters
        ropeTheta = try rope?.ropeTheta ?? c.decodeIfPresent(Float.self, forKey: .ropeTheta) ?? 10_000
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
        bosTokenId = try? c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        eosTokenId = try? c.decodeIfPresent(Int.self, forKey: .eosTokenId)
        padTokenId = try? c.decodeIfPresent(Int.self, forKey: .padTokenId)
        if let rope {
            var type = rope.ropeType ?? rope.type ?? "default"
            // Phi3Config renames the legacy "su" and "yarn" to "longrope".
            if isPhi3 && (type == "su" || type == "yarn") { type = "longrope" }
            ropeScalingType = type
            if type != "default" && Self.ropeTypes(modelType: modelType).contains(type) {
                ropeScaling = try Self.ropeScaling(type: type, rope, c, maxPositions: maxPositionEmbeddings, isPhi3: isPhi3)
            }
        }
        useSlidingWindow = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) ?? false
        maxWindowLayers = try c.decodeIfPresent(Int.self, forKey: .maxWindowLayers) ?? 28
        layerTypes = try c.decodeIfPresent([String].self, forKey: .layerTypes)
        // MistralConfig / Qwen2Config default the window to 4096 when the key is absent; an explicit
        // null means none. Qwen2 then drops it unless use_sliding_window (Qwen2Config.__post_init__).
        let window = c.contains(.slidingWindow) ? try c.decodeIfPresent(Int.self, forKey: .slidingWindow) : 4096
        switch modelType {
        case "mistral": slidingWindow = window
        case "qwen2", "qwen3": slidingWindow = useSlidingWindow ? window : nil
        default: slidingWindow = c.contains(.slidingWindow) ? window : nil
        }
    }

    /// The scaling of `rope` as transformers' standardize_rope_params completes it: a top-level
    /// original_max_position_embeddings wins (Phi3Config always has one, default 4096), else the one in
    /// the dict, else max_position_embeddings for the types that need it. A missing factor makes
    /// transformers fail (KeyError) for linear / llama3 / dynamic / yarn: 0 here makes validation
    /// refuse it; longrope derives it from the two context lengths.
    static func ropeScaling(type: String, _ rope: RopeFields, _ c: KeyedDecodingContainer<CodingKeys>, maxPositions: Int,
                            isPhi3: Bool) throws -> RopeScaling {
        var s = RopeScaling(type: type, factor: 0)
        s.parameters = rope.parameters
        var original = try c.decodeIfPresent(Int.self, forKey: .originalMaxPositionEmbeddings) ?? (isPhi3 ? 4096 : rope.parameters.originalMaxPositionEmbeddings)
        if original == nil && ["llama3", "yarn", "longrope"].contains(type) { original = maxPositions }
        s.parameters.originalMaxPositionEmbeddings = original
        if s.parameters.factor == nil, type == "longrope", let original, original > 0 { s.parameters.factor = Float(maxPositions) / Float(original) }
        return s
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(kvHeads, forKey: .numKeyValueHeads)
        try c.encode(headDimension, forKey: .headDim)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        let r = ropeScaling
        try c.encode(RopeFields(ropeTheta: ropeTheta, ropeType: r?.type ?? "default", parameters: r?.parameters ?? RopeParameters()),
                     forKey: .ropeParameters)
        // Phi3Config's own original_max_position_embeddings (default 4096) overrides the dict's on load.
        if modelType == "phi3", let original = r?.parameters.originalMaxPositionEmbeddings { try c.encode(original, forKey: .originalMaxPositionEmbeddings) }
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        if modelType != "qwen2" { try c.encode(attentionBias, forKey: .attentionBias); try c.encode(mlpBias, forKey: .mlpBias) }
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
        if let padTokenId { try c.encode(padTokenId, forKey: .padTokenId) } else if modelType == "phi3" { try c.encodeNil(forKey: .padTokenId) }
        // Written explicitly so transformers reloads the same window: an absent key would mean 4096.
        switch modelType {
        case "mistral", "phi3":
            if let slidingWindow { try c.encode(slidingWindow, forKey: .slidingWindow) } else { try c.encodeNil(forKey: .slidingWindow) }
        case "qwen2", "qwen3":
            try c.encode(useSlidingWindow, forKey: .useSlidingWindow)
            if let slidingWindow { try c.encode(slidingWindow, forKey: .slidingWindow) } else { try c.encodeNil(forKey: .slidingWindow) }
            try c.encode(maxWindowLayers, forKey: .maxWindowLayers)
            try c.encode((0 ..< numHiddenLayers).map { attentionWindow(layer: $0) == nil ? "full_attention" : "sliding_attention" },
                         forKey: .layerTypes)
        default: break
        }
    }

    /// The sliding window of decoder layer `layer`, nil for full causal attention: every layer for
    /// Mistral (MistralModel builds one sliding mask for all layers); for Qwen2 the layers whose
    /// `layer_types` entry is "sliding_attention", or without `layer_types` those with index ≥
    /// `max_window_layers` (Qwen2Config.__post_init__).
    public func attentionWindow(layer: Int) -> Int? {
        guard let slidingWindow else { return nil }
        switch modelType {
        case "mistral", "phi3": return slidingWindow
        case "qwen2", "qwen3":
            if let layerTypes, layerTypes.indices.contains(layer) { return layerTypes[layer] == "sliding_attention" ? slidingWindow : nil }
            return layer >= maxWindowLayers ? slidingWindow : nil
        default: return nil
        }
    }

    public var kvHeads: Int { numKeyValueHeads ?? numAttentionHeads }
    public var headDimension: Int { headDim ?? hiddenSize / numAttentionHeads }
    /// q/k/v projections carry a bias: Qwen2 always, Llama when `attention_bias`, Mistral never
    /// (Qwen2Attention / MistralAttention hard-code bias and ignore `attention_bias`).
    public var qkvBias: Bool {
        switch modelType {
        case "qwen2": return true
        case "mistral", "phi3": return false
        default: return attentionBias
        }
    }
    /// Where q and k are RMS-normalised before RoPE: per head (Qwen3Attention's q_norm / k_norm, weights
    /// [head_dim]) or over the whole projection (Olmo2Attention, weights [H·D] and [Hkv·D]).
    public enum QKNorm: Sendable { case none, perHead, wholeProjection }
    public var qkNorm: QKNorm {
        switch modelType {
        case "qwen3": return .perHead
        case "olmo2": return .wholeProjection
        default: return .none
        }
    }
    /// OLMo 2's block: no norm before attention; the attention output and the MLP output are
    /// normalised before they join the residual (`post_attention_layernorm`, `post_feedforward_layernorm`).
    public var normsAfterSublayers: Bool { modelType == "olmo2" }
    /// o_proj carries a bias (Llama and Qwen3 `attention_bias` only).
    public var outputBias: Bool { !["qwen2", "mistral", "phi3"].contains(modelType) && attentionBias }
    /// gate/up/down projections carry a bias (Llama `mlp_bias` only; Qwen2MLP and MistralMLP hard-code none).
    public var mlpProjectionBias: Bool { !["qwen2", "qwen3", "mistral", "phi3", "olmo2"].contains(modelType) && mlpBias }
    /// q/k/v and gate/up are stored fused in checkpoints (Phi-3's `qkv_proj`, `gate_up_proj`).
    public var fusedProjections: Bool { modelType == "phi3" }

    func validationProblem() -> String? {
        if let problem = sizeProblem() { return problem }
        if hiddenSize <= 0 || numHiddenLayers <= 0 || numAttentionHeads <= 0 || vocabSize <= 0 || intermediateSize <= 0 {
            return "sizes must be positive"
        }
        if numAttentionHeads % kvHeads != 0 { return "num_attention_heads (\(numAttentionHeads)) is not a multiple of num_key_value_heads (\(kvHeads))" }
        if headDim == nil && hiddenSize % numAttentionHeads != 0 { return "hidden_size (\(hiddenSize)) is not divisible by num_attention_heads" }
        if headDimension % 2 != 0 { return "head dimension \(headDimension) must be even for RoPE" }
        if !ConfigurationAudit.llamaActivations.contains(hiddenAct) { return "hidden_act '\(hiddenAct)' is not supported (only silu)" }
        if slidingWindow != nil && !["mistral", "qwen2", "qwen3", "phi3"].contains(modelType) {
            return "sliding_window is only implemented for mistral, qwen2, qwen3 and phi3, not \(modelType)"
        }
        if let slidingWindow, slidingWindow < 1 { return "sliding_window (\(slidingWindow)) must be positive" }
        if let problem = ropeScalingProblem() { return problem }
        if let layerTypes, layerTypes.count != numHiddenLayers {
            return "layer_types has \(layerTypes.count) entries for \(numHiddenLayers) layers"
        }
        return nil
    }
}
