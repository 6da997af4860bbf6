// Mirrors transformers' LlamaConfig / Qwen2Config (`model_type` "llama", "qwen2", "mistral").
// Defaults are transformers' LlamaConfig defaults unless noted. Qwen2 differs only in that q/k/v
// projections always carry a bias (Qwen2Attention hard-codes it).
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
    /// Only `null` (plain RoPE) is supported; other scalings are rejected with a clear error.
    public var ropeScalingType: String?
    /// Qwen2's sliding-window attention (off in released checkpoints); rejected when on.
    public var useSlidingWindow: Bool = false

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads", headDim = "head_dim"
        case hiddenAct = "hidden_act", maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta", tieWordEmbeddings = "tie_word_embeddings", attentionBias = "attention_bias"
        case mlpBias = "mlp_bias", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters", useSlidingWindow = "use_sliding_window"
    }

    /// transformers ≥ 5 moves `rope_theta` and the scaling type into `rope_parameters`.
    struct RopeParameters: Codable { var ropeTheta: Float?; var ropeType: String?
        enum CodingKeys: String, CodingKey { case ropeTheta = "rope_theta", ropeType = "rope_type" } }

    struct RopeScaling: Codable { var type: String?; var ropeType: String?
        enum CodingKeys: String, CodingKey { case type, ropeType = "rope_type" } }

    public init(modelType: String = "llama", vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int? = nil, rmsNormEps: Float = 1e-6, ropeTheta: Float = 10_000,
                tieWordEmbeddings: Bool = false, maxPositionEmbeddings: Int = 2048) {
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
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "llama"
        let isQwen2 = modelType == "qwen2"
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? (isQwen2 ? 151936 : 32000)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? 4096
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? (isQwen2 ? 22016 : 11008)
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? 32
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? 32
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads)
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim)
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "silu"
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? (isQwen2 ? 32768 : 2048)
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? 1e-6
        let ropeParameters = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
        ropeTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta) ?? ropeParameters?.ropeTheta ?? 10_000
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
        bosTokenId = try? c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        eosTokenId = try? c.decodeIfPresent(Int.self, forKey: .eosTokenId)
        if let scaling = try c.decodeIfPresent(RopeScaling.self, forKey: .ropeScaling) {
            ropeScalingType = scaling.ropeType ?? scaling.type ?? "unknown"
        } else if let t = ropeParameters?.ropeType {
            ropeScalingType = t
        }
        useSlidingWindow = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) ?? false
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
        try c.encode(RopeParameters(ropeTheta: ropeTheta, ropeType: "default"), forKey: .ropeParameters)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        if modelType != "qwen2" { try c.encode(attentionBias, forKey: .attentionBias); try c.encode(mlpBias, forKey: .mlpBias) }
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
    }

    public var kvHeads: Int { numKeyValueHeads ?? numAttentionHeads }
    public var headDimension: Int { headDim ?? hiddenSize / numAttentionHeads }
    /// q/k/v projections carry a bias (Qwen2 always; Llama when attention_bias).
    public var qkvBias: Bool { modelType == "qwen2" || attentionBias }
    /// o_proj carries a bias (Llama attention_bias only).
    public var outputBias: Bool { modelType != "qwen2" && attentionBias }

    func validationProblem() -> String? {
        if hiddenSize <= 0 || numHiddenLayers <= 0 || numAttentionHeads <= 0 || vocabSize <= 0 || intermediateSize <= 0 {
            return "sizes must be positive"
        }
        if numAttentionHeads % kvHeads != 0 { return "num_attention_heads (\(numAttentionHeads)) is not a multiple of num_key_value_heads (\(kvHeads))" }
        if headDim == nil && hiddenSize % numAttentionHeads != 0 { return "hidden_size (\(hiddenSize)) is not divisible by num_attention_heads" }
        if headDimension % 2 != 0 { return "head dimension \(headDimension) must be even for RoPE" }
        if useSlidingWindow { return "use_sliding_window = true is not supported" }
        if hiddenAct != "silu" { return "hidden_act '\(hiddenAct)' is not supported (only silu)" }
        return nil
    }
}
