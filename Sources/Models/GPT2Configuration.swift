// Mirrors transformers' GPT2Config (`config.json` of `model_type: "gpt2"`). Field names are the
// JSON names in camelCase; defaults are transformers' GPT2Config defaults.
import Foundation

public struct GPT2Configuration: Codable, Sendable, Equatable {
    public var modelType: String = "gpt2"
    public var vocabSize: Int = 50257
    public var nPositions: Int = 1024
    public var nEmbd: Int = 768
    public var nLayer: Int = 12
    public var nHead: Int = 12
    /// MLP width; nil means 4·nEmbd (GPT2Config default).
    public var nInner: Int?
    public var activationFunction: String = "gelu_new"
    public var layerNormEpsilon: Float = 1e-5
    public var tieWordEmbeddings: Bool = true
    public var scaleAttnWeights: Bool = true
    public var bosTokenId: Int? = 50256
    public var eosTokenId: Int? = 50256

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", nPositions = "n_positions", nEmbd = "n_embd"
        case nLayer = "n_layer", nHead = "n_head", nInner = "n_inner", activationFunction = "activation_function"
        case layerNormEpsilon = "layer_norm_epsilon", tieWordEmbeddings = "tie_word_embeddings"
        case scaleAttnWeights = "scale_attn_weights", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
    }

    public init(vocabSize: Int = 50257, nPositions: Int = 1024, nEmbd: Int = 768, nLayer: Int = 12, nHead: Int = 12) {
        self.vocabSize = vocabSize
        self.nPositions = nPositions
        self.nEmbd = nEmbd
        self.nLayer = nLayer
        self.nHead = nHead
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "gpt2"
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? 50257
        nPositions = try c.decodeIfPresent(Int.self, forKey: .nPositions) ?? 1024
        nEmbd = try c.decodeIfPresent(Int.self, forKey: .nEmbd) ?? 768
        nLayer = try c.decodeIfPresent(Int.self, forKey: .nLayer) ?? 12
        nHead = try c.decodeIfPresent(Int.self, forKey: .nHead) ?? 12
        nInner = try c.decodeIfPresent(Int.self, forKey: .nInner)
        activationFunction = try c.decodeIfPresent(String.self, forKey: .activationFunction) ?? "gelu_new"
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
        scaleAttnWeights = try c.decodeIfPresent(Bool.self, forKey: .scaleAttnWeights) ?? true
        // An explicit null stays null; an absent key takes GPT2Config's default.
        bosTokenId = c.contains(.bosTokenId) ? try c.decodeIfPresent(Int.self, forKey: .bosTokenId) : 50256
        eosTokenId = c.contains(.eosTokenId) ? try c.decodeIfPresent(Int.self, forKey: .eosTokenId) : 50256
    }

    /// Checks the values the model relies on; returns a reason when invalid.
    func validationProblem() -> String? {
        if let problem = sizeProblem() { return problem }
        if nEmbd <= 0 || nLayer <= 0 || nHead <= 0 || vocabSize <= 0 || nPositions <= 0 { return "sizes must be positive" }
        if nEmbd % nHead != 0 { return "n_embd (\(nEmbd)) is not divisible by n_head (\(nHead))" }
        if !ConfigurationAudit.gpt2Activations.contains(activationFunction) {
            return "activation_function '\(activationFunction)' is not supported"
        }
        return nil
    }
}
