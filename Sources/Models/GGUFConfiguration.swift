// The model configuration a GGUF file's metadata describes, per `general.architecture`, read as
// llama.cpp reads it (its key names, its defaults, and the hyperparameters it hard-codes rather than
// storing: Gemma's layer pattern, Gemma 3's local RoPE base, Gemma's attention scale).
//
// As for config.json, metadata that changes the computation and that we do not implement (RoPE
// scaling keys GGUFRopeScaling.swift does not map, partial rotary, experts, a sliding window where
// the architecture has none) is refused by name, never ignored.
import Checkpoints
import Foundation

extension ModelRegistry {
    /// Architectures loaded through the Llama code path, and through the Gemma one.
    static let ggufLlamaArchitectures = ["llama", "qwen2", "qwen3", "phi3", "olmo2"]
    static let ggufGemmaArchitectures = ["gemma2", "gemma3"]

    /// Reads `{arch}.key` metadata, with errors naming the file and the key.
    struct GGUFHyperparameters {
        let gguf: GGUFFile
        let arch: String
        var path: String { gguf.url.path }

        func value(_ key: String) -> GGUFValue? { gguf.metadata["\(arch).\(key)"] }

        func int(_ key: String) throws -> Int {
            guard let v = value(key)?.int else {
                throw ModelError.invalidConfiguration(path: path, reason: "missing integer metadata '\(arch).\(key)'")
            }
            return try bounded(key, v)
        }

        /// An optional integer, bounded like `int`.
        func optionalInt(_ key: String) throws -> Int? {
            try value(key)?.int.map { try bounded(key, $0) }
        }

        /// Sizes from metadata are bounded under their own key names before any arithmetic (check
        /// before allocate: a zero head count divides by zero, a huge vocabulary wraps an allocation).
        func bounded(_ key: String, _ v: Int) throws -> Int {
            let limits = ["attention.head_count": ModelLimits.heads, "attention.head_count_kv": ModelLimits.heads,
                          "embedding_length": ModelLimits.hidden, "feed_forward_length": ModelLimits.intermediate,
                          "block_count": ModelLimits.layers, "context_length": ModelLimits.positions,
                          "vocab_size": ModelLimits.vocabulary, "attention.key_length": ModelLimits.headDimension,
                          "attention.value_length": ModelLimits.headDimension, "rope.dimension_count": ModelLimits.headDimension,
                          "attention.sliding_window": ModelLimits.positions]
            if let max = limits[key], let problem = ModelLimits.check("\(arch).\(key)", v, max: max) {
                throw ModelError.invalidConfiguration(path: path, reason: "metadata " + problem)
            }
            return v
        }

        /// Vocabulary size: `{arch}.vocab_size`, else the tokenizer's token count, else token_embd's rows.
        func vocabularySize() throws -> Int {
            guard let v = try optionalInt("vocab_size") ?? gguf.metadata["tokenizer.ggml.tokens"]?.array?.count
                ?? gguf.info("token_embd.weight")?.shape.first else {
                throw ModelError.invalidConfiguration(path: path, reason: "cannot determine the vocabulary size")
            }
            return try bounded("vocab_size", v)
        }

        func refuse(_ key: String, _ value: String, _ supported: String) -> ModelError {
            UnsupportedField(field: "\(arch).\(key)", value: value, supported: supported).error(path: path)
        }
    }

    /// The Llama-family configuration (llama, qwen2, qwen3, phi3, olmo2) a GGUF's metadata describes.
    public static func llamaConfiguration(gguf: GGUFFile) throws -> LlamaConfiguration {
        let path = gguf.url.path
        guard let arch = gguf.architecture else {
            throw ModelError.invalidConfiguration(path: path, reason: "missing general.architecture")
        }
        guard ggufLlamaArchitectures.contains(arch) else {
            throw ModelError.unsupportedArchitecture(path: path, modelType: arch, supported: ggufLlamaArchitectures)
        }
        let h = GGUFHyperparameters(gguf: gguf, arch: arch)
        let heads = try h.int("attention.head_count")
        if let problem = unsupportedGGUFMetadata(gguf, arch: arch) { throw problem.error(path: path) }
        // Phi-3 windows every layer (convert_hf_to_gguf writes its sliding_window); the others have none.
        let window = arch == "phi3" ? (try h.optionalInt("attention.sliding_window")) : nil
        var c = LlamaConfiguration(
            modelType: arch, vocabSize: try h.vocabularySize(), hiddenSize: try h.int("embedding_length"),
            intermediateSize: try h.int("feed_forward_length"), numHiddenLayers: try h.int("block_count"),
            numAttentionHeads: heads, numKeyValueHeads: (try h.optionalInt("attention.head_count_kv")) ?? heads,
            rmsNormEps: h.value("attention.layer_norm_rms_epsilon")?.float ?? 1e-5,
            ropeTheta: h.value("rope.freq_base")?.float ?? 10_000,
            tieWordEmbeddings: gguf.info("output.weight") == nil,
            maxPositionEmbeddings: (try h.optionalInt("context_length")) ?? 2048, slidingWindow: window)
        // Head dimension: `attention.key_length` when written (convert_hf_to_gguf writes it for a
        // head_dim ≠ hidden/heads); older files only say it through the rotary dimension count.
        let keyLength = (try h.optionalInt("attention.key_length"))
        let ropeDims = (try h.optionalInt("rope.dimension_count"))
        if let keyLength, keyLength != c.hiddenSize / heads {
            c.headDim = keyLength
        } else if keyLength == nil, let ropeDims, ropeDims != c.hiddenSize / heads {
            c.headDim = ropeDims
        }
        if let valueLength = (try h.optionalInt("attention.value_length")), valueLength != c.headDimension {
            throw h.refuse("attention.value_length", "\(valueLength)", "equal to the key length \(c.headDimension)")
        }
        if let ropeDims, ropeDims != c.headDimension {
            throw h.refuse("rope.dimension_count", "\(ropeDims)",
                           "the head dimension \(c.headDimension) (partial rotary embeddings are not implemented)")
        }
        c.ropeScaling = try ggufRopeScaling(h, headDimension: c.headDimension, contextLength: c.maxPositionEmbeddings)
        c.ropeScalingType = c.ropeScaling?.type
        // Qwen3 (like Llama) carries q/k/v/o biases only when the checkpoint had them.
        c.attentionBias = gguf.info("blk.0.attn_q.bias") != nil
        c.bosTokenId = gguf.metadata["tokenizer.ggml.bos_token_id"]?.int
        c.eosTokenId = gguf.metadata["tokenizer.ggml.eos_token_id"]?.int
        if let problem = c.validationProblem() { throw ModelError.invalidConfiguration(path: path, reason: problem) }
        return c
    }

    /// The Gemma 2 / Gemma 3 configuration a GGUF's metadata describes, with llama.cpp's hard-coded
    /// hyperparameters: layer pattern 2 (Gemma 2) or 6 (Gemma 3; a `{arch}.attention.sliding_window_pattern`
    /// count or per-layer list overrides it), local RoPE base 10 000 on Gemma 3's sliding layers
    /// (`rope.freq_base_swa` overrides it), attention scale 1/√head_dim except for the 27B models
    /// (46 or 62 layers), which use 1/√(hidden/heads), and soft-capping 50 / 30 for Gemma 2 when absent.
    public static func gemmaConfiguration(gguf: GGUFFile) throws -> GemmaConfiguration {
        let path = gguf.url.path
        guard let arch = gguf.architecture, ggufGemmaArchitectures.contains(arch) else {
            throw ModelError.unsupportedArchitecture(path: path, modelType: gguf.architecture ?? "(none)", supported: ggufGemmaArchitectures)
        }
        let h = GGUFHyperparameters(gguf: gguf, arch: arch)
        let three = arch == "gemma3"
        let heads = try h.int("attention.head_count"), layers = try h.int("block_count"), hidden = try h.int("embedding_length")
        let headDim = (try h.optionalInt("attention.key_length")) ?? 256
        let window = (try h.optionalInt("attention.sliding_window"))
        var c = GemmaConfiguration(modelType: three ? "gemma3_text" : "gemma2", vocabSize: try h.vocabularySize(), hiddenSize: hidden,
                                   intermediateSize: try h.int("feed_forward_length"), numHiddenLayers: layers, numAttentionHeads: heads,
                                   numKeyValueHeads: (try h.optionalInt("attention.head_count_kv")) ?? heads, headDim: headDim,
                                   slidingWindow: window)
        if let valueLength = (try h.optionalInt("attention.value_length")), valueLength != headDim {
            throw h.refuse("attention.value_length", "\(valueLength)", "equal to the key length \(headDim)")
        }
        if let ropeDims = (try h.optionalInt("rope.dimension_count")), ropeDims != headDim {
            throw h.refuse("rope.dimension_count", "\(ropeDims)", "the head dimension \(headDim) (partial rotary embeddings are not implemented)")
        }
        if let n = h.value("expert_count")?.int, n > 0 {
            throw h.refuse("expert_count", "\(n)", "0 (dense models; mixture-of-experts is not implemented)")
        }
        c.rmsNormEps = h.value("attention.layer_norm_rms_epsilon")?.float ?? 1e-6
        c.maxPositionEmbeddings = (try h.optionalInt("context_length")) ?? c.maxPositionEmbeddings
        c.tieWordEmbeddings = gguf.info("output.weight") == nil
        c.ropeTheta = h.value("rope.freq_base")?.float ?? (three ? 1_000_000 : 10_000)
        c.localRopeTheta = three ? (h.value("rope.freq_base_swa")?.float ?? 10_000) : c.ropeTheta
        let is27B = layers == (three ? 62 : 46)
        c.queryPreAttnScalar = Float(is27B ? hidden / heads : headDim)
        // Soft-capping: Gemma 2 defaults to llama.cpp's 50 / 30; Gemma 3 has no attention capping.
        if let attn = h.value("attn_logit_softcapping")?.float {
            if three && attn != 0 { throw h.refuse("attn_logit_softcapping", "\(attn)", "absent (Gemma 3 has no attention soft-capping)") }
            c.attnLogitSoftcapping = attn > 0 ? attn : nil
        }
        if let final = h.value("final_logit_softcapping")?.float { c.finalLogitSoftcapping = final > 0 ? final : nil }
        // Layer pattern: a window without a pattern key follows llama.cpp's per-architecture default.
        if window == nil {
            if !three { throw ModelError.invalidConfiguration(path: path, reason: "missing integer metadata '\(arch).attention.sliding_window'") }
            c.layerTypes = Array(repeating: "full_attention", count: layers)
        } else if let pattern = h.value("attention.sliding_window_pattern") {
            if let perLayer = pattern.boolArray, perLayer.count == layers {
                c.layerTypes = perLayer.map { $0 ? "sliding_attention" : "full_attention" }
            } else if let n = pattern.int, n >= 1 {
                c.layerTypes = (0 ..< layers).map { $0 % n < n - 1 ? "sliding_attention" : "full_attention" }
            } else {
                throw h.refuse("attention.sliding_window_pattern", "\(pattern)", "a positive count or one boolean per layer")
            }
        }
        // RoPE scaling: linear on Gemma 3's global layers (the 4B+ models); nothing else is implemented.
        if let type = h.value("rope.scaling.type")?.string, type != "none" {
            guard type == "linear", three, let factor = h.value("rope.scaling.factor")?.float, factor > 0 else {
                throw h.refuse("rope.scaling.type", type, three ? "\"none\" or \"linear\" with a positive rope.scaling.factor" : "\"none\" (plain RoPE)")
            }
            c.ropeLinearFactor = factor
        }
        if gguf.info("rope_freqs.weight") != nil {
            throw UnsupportedField(field: "rope_freqs.weight", value: "present", supported: "absent (per-frequency RoPE factors are not implemented)").error(path: path)
        }
        c.bosTokenId = gguf.metadata["tokenizer.ggml.bos_token_id"]?.int
        c.eosTokenId = gguf.metadata["tokenizer.ggml.eos_token_id"]?.int
        c.padTokenId = gguf.metadata["tokenizer.ggml.padding_token_id"]?.int
        if let problem = c.validationProblem() { throw ModelError.invalidConfiguration(path: path, reason: problem) }
        return c
    }

    /// Llama-family GGUF metadata (llama.cpp's key names) that changes the computation and that we do
    /// not implement. A file carrying one was converted from a model that needs it.
    static func unsupportedGGUFMetadata(_ gguf: GGUFFile, arch: String) -> UnsupportedField? {
        let m = gguf.metadata
        if arch != "phi3", let w = m["\(arch).attention.sliding_window"] {
            return UnsupportedField(field: "\(arch).attention.sliding_window", value: "\(w.int.map(String.init) ?? "\(w)")",
                                    supported: "no sliding window in \(arch) GGUF files (load the Hugging Face folder of a windowed model instead)")
        }
        for key in ["attn_logit_softcapping", "final_logit_softcapping"] {
            if let v = m["\(arch).\(key)"]?.double, v != 0 {
                return UnsupportedField(field: "\(arch).\(key)", value: "\(v)", supported: "absent (no soft-capping)")
            }
        }
        if let n = m["\(arch).expert_count"]?.int, n > 0 {
            return UnsupportedField(field: "\(arch).expert_count", value: "\(n)", supported: "0 (dense models; mixture-of-experts is not implemented)")
        }
        return nil
    }
}
