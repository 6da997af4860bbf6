// Building a model from a GGUF file (llama.cpp's format), e.g. SmolLM2-135M-Instruct.
//
// Only `general.architecture = llama` (and `qwen2`) is supported. Quantised tensors are dequantised
// to Float32 by `GGUFFile`, or kept as blocks under `--weights keep` (docs/design/quantized.md). llama.cpp's converter (convert_hf_to_gguf.py, `LlamaModel.permute`) stores
// the rows of `attn_q` / `attn_k` reordered so that its RoPE can rotate interleaved pairs (2i, 2i+1);
// loading undoes that permutation so the weights match the Hugging Face (rotate-half) layout and the
// same model code serves both sources.
//
// As for config.json, metadata that changes the computation and that we do not implement (sliding
// window, RoPE scaling, partial rotary, soft-capping, experts) is refused by name, never ignored.
import Checkpoints
import Foundation
import NN
import TensorCore

extension ModelRegistry {
    /// GGUF tensor-name stems → Hugging Face names for the llama family.
    static func huggingFaceName(ggufName name: String) -> String? {
        switch name {
        case "token_embd.weight": return "model.embed_tokens.weight"
        case "output_norm.weight": return "model.norm.weight"
        case "output.weight": return "lm_head.weight"
        default: break
        }
        let parts = name.split(separator: ".")
        guard parts.count >= 3, parts[0] == "blk", let layer = Int(parts[1]) else { return nil }
        let rest = parts[2...].joined(separator: ".")
        let p = "model.layers.\(layer)."
        let table: [String: String] = [
            "attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
            "attn_q.weight": "self_attn.q_proj.weight", "attn_k.weight": "self_attn.k_proj.weight",
            "attn_v.weight": "self_attn.v_proj.weight", "attn_output.weight": "self_attn.o_proj.weight",
            "attn_q.bias": "self_attn.q_proj.bias", "attn_k.bias": "self_attn.k_proj.bias",
            "attn_v.bias": "self_attn.v_proj.bias",
            "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight", "ffn_down.weight": "mlp.down_proj.weight",
        ]
        return table[rest].map { p + $0 }
    }

    /// The Llama configuration a GGUF's metadata describes.
    public static func llamaConfiguration(gguf: GGUFFile) throws -> LlamaConfiguration {
        let path = gguf.url.path
        guard let arch = gguf.architecture else {
            throw ModelError.invalidConfiguration(path: path, reason: "missing general.architecture")
        }
        guard arch == "llama" || arch == "qwen2" else {
            throw ModelError.unsupportedArchitecture(path: path, modelType: arch, supported: ["llama", "qwen2"])
        }
        func int(_ key: String) throws -> Int {
            guard let v = gguf.metadata["\(arch).\(key)"]?.int else {
                throw ModelError.invalidConfiguration(path: path, reason: "missing integer metadata '\(arch).\(key)'")
            }
            return v
        }
        let heads = try int("attention.head_count")
        let vocab = gguf.metadata["\(arch).vocab_size"]?.int ?? gguf.metadata["tokenizer.ggml.tokens"]?.array?.count
            ?? gguf.info("token_embd.weight")?.shape.first
        guard let vocab else { throw ModelError.invalidConfiguration(path: path, reason: "cannot determine the vocabulary size") }
        var c = LlamaConfiguration(
            modelType: arch, vocabSize: vocab, hiddenSize: try int("embedding_length"),
            intermediateSize: try int("feed_forward_length"), numHiddenLayers: try int("block_count"),
            numAttentionHeads: heads, numKeyValueHeads: gguf.metadata["\(arch).attention.head_count_kv"]?.int ?? heads,
            rmsNormEps: gguf.metadata["\(arch).attention.layer_norm_rms_epsilon"]?.float ?? 1e-5,
            ropeTheta: gguf.metadata["\(arch).rope.freq_base"]?.float ?? 10_000,
            tieWordEmbeddings: gguf.info("output.weight") == nil,
            maxPositionEmbeddings: gguf.metadata["\(arch).context_length"]?.int ?? 2048)
        if let problem = unsupportedGGUFMetadata(gguf, arch: arch) { throw problem.error(path: path) }
        // Head dimension: `attention.key_length` when written (convert_hf_to_gguf writes it for a
        // head_dim ≠ hidden/heads); older files only say it through the rotary dimension count.
        let keyLength = gguf.metadata["\(arch).attention.key_length"]?.int
        let ropeDims = gguf.metadata["\(arch).rope.dimension_count"]?.int
        if let keyLength, keyLength != c.hiddenSize / heads {
            c.headDim = keyLength
        } else if keyLength == nil, let ropeDims, ropeDims != c.hiddenSize / heads {
            c.headDim = ropeDims
        }
        if let valueLength = gguf.metadata["\(arch).attention.value_length"]?.int, valueLength != c.headDimension {
            throw UnsupportedField(field: "\(arch).attention.value_length", value: "\(valueLength)",
                                   supported: "equal to the key length \(c.headDimension)").error(path: path)
        }
        if let ropeDims, ropeDims != c.headDimension {
            throw UnsupportedField(field: "\(arch).rope.dimension_count", value: "\(ropeDims)",
                                   supported: "the head dimension \(c.headDimension) (partial rotary embeddings are not implemented)").error(path: path)
        }
        c.bosTokenId = gguf.metadata["tokenizer.ggml.bos_token_id"]?.int
        c.eosTokenId = gguf.metadata["tokenizer.ggml.eos_token_id"]?.int
        if let problem = c.validationProblem() { throw ModelError.invalidConfiguration(path: path, reason: problem) }
        return c
    }

    /// GGUF metadata (llama.cpp's key names) that changes the computation and that we do not
    /// implement. llama.cpp's llama/qwen2 graphs use none of these; a file carrying one was converted
    /// from a model that needs it.
    static func unsupportedGGUFMetadata(_ gguf: GGUFFile, arch: String) -> UnsupportedField? {
        let m = gguf.metadata
        if let w = m["\(arch).attention.sliding_window"] {
            return UnsupportedField(field: "\(arch).attention.sliding_window", value: "\(w.int.map(String.init) ?? "\(w)")",
                                    supported: "no sliding window in GGUF files (load the Hugging Face folder of a Mistral/Qwen2 windowed model instead)")
        }
        if let t = m["\(arch).rope.scaling.type"]?.string, t != "none" {
            return UnsupportedField(field: "\(arch).rope.scaling.type", value: t, supported: "\"none\" (plain RoPE)")
        }
        if let f = m["\(arch).rope.scaling.factor"]?.double, f != 1, f != 0 {
            return UnsupportedField(field: "\(arch).rope.scaling.factor", value: "\(f)", supported: "1 (plain RoPE)")
        }
        for key in ["attn_logit_softcapping", "final_logit_softcapping"] {
            if let v = m["\(arch).\(key)"]?.double, v != 0 {
                return UnsupportedField(field: "\(arch).\(key)", value: "\(v)", supported: "absent (no soft-capping)")
            }
        }
        if let n = m["\(arch).expert_count"]?.int, n > 0 {
            return UnsupportedField(field: "\(arch).expert_count", value: "\(n)", supported: "0 (dense models; mixture-of-experts is not implemented)")
        }
        // Llama 3.1's rope scaling travels as a per-frequency factor tensor.
        if gguf.info("rope_freqs.weight") != nil {
            return UnsupportedField(field: "rope_freqs.weight", value: "present",
                                    supported: "absent (Llama 3 / long-context RoPE frequency scaling is not implemented)")
        }
        return nil
    }

    /// Undoes llama.cpp's q/k row permutation: within each head, GGUF row 2i holds HF row i and GGUF row
    /// 2i+1 holds HF row D/2 + i.
    public static func unpermuteRoPERows(_ w: Tensor, heads: Int) -> Tensor {
        let rows = w.shape[0], cols = w.count / max(rows, 1)
        let D = rows / heads, half = D / 2
        let out = Tensor(uninitializedShape: w.shape)
        let src = w.unsafePointer, dst = out.unsafeMutablePointer
        for h in 0 ..< heads {
            for i in 0 ..< half {
                (dst + (h * D + i) * cols).update(from: src + (h * D + 2 * i) * cols, count: cols)
                (dst + (h * D + half + i) * cols).update(from: src + (h * D + 2 * i + 1) * cols, count: cols)
            }
        }
        return out
    }

    /// Row `r` of the Hugging Face layout is row `order[r]` of llama.cpp's permuted q/k rows
    /// (`unpermuteRoPERows` as an index map, for moving quantised rows without dequantising them).
    static func unpermutedRowOrder(rows: Int, heads: Int) -> [Int] {
        let D = rows / heads, half = D / 2
        var order = [Int](repeating: 0, count: rows)
        for h in 0 ..< heads {
            for i in 0 ..< half {
                order[h * D + i] = h * D + 2 * i
                order[h * D + half + i] = h * D + 2 * i + 1
            }
        }
        return order
    }

    /// Loads a llama-architecture GGUF as a `LlamaForCausalLM`. With `.f32` (and `.bf16`, `.q8_0`,
    /// which convert afterwards) every tensor is dequantised to Float32; with `.keep` the Q8_0, Q4_0
    /// and Q4_1 matrices stay in their blocks (`QuantizedMatrix`) and the rest loads as Float32.
    public static func load(gguf url: URL, weights format: WeightFormat = .f32) throws -> LlamaForCausalLM {
        try loadReporting(gguf: url, weights: format).model
    }

    /// `load(gguf:weights:)`, with what `.keep` kept (bf16 and q8_0 are applied by the caller).
    static func loadReporting(gguf url: URL, weights format: WeightFormat) throws -> (model: LlamaForCausalLM, report: WeightFormatReport) {
        let gguf: GGUFFile
        do { gguf = try GGUFFile(url: url) } catch { throw ModelError.cannotRead(path: url.path, reason: error.description) }
        let config = try llamaConfiguration(gguf: gguf)
        // Every parameter is assigned strictly below (or the load fails), so skip the random values.
        let model = ParameterInitialization.$skipsRandomValues.withValue(true) { LlamaForCausalLM(config) }
        let modules = Dictionary(model.namedModules().map { ($0.key, $0.module) }, uniquingKeysWith: { a, _ in a })
        var weights: [String: Tensor] = [:]
        var unknown: [String] = []
        var summary = WeightFormatReport()
        for info in gguf.tensorInfos {
            guard let name = huggingFaceName(ggufName: info.name) else { unknown.append(info.name); continue }
            // Only the llama architecture (RoPE type "norm" in llama.cpp) is stored permuted; qwen2 uses
            // the rotate-half ("neox") rotation and is stored as in Hugging Face.
            let permutedHeads: Int? = config.modelType != "llama" ? nil
                : name.hasSuffix("q_proj.weight") || name.hasSuffix("q_proj.bias") ? config.numAttentionHeads
                : name.hasSuffix("k_proj.weight") || name.hasSuffix("k_proj.bias") ? config.kvHeads : nil
            if format == .keep, info.shape.count == 2, name.hasSuffix(".weight"),
               let type = try WeightFormat.keptType(info.type, tensor: info.name, path: url.path),
               let module = modules[String(name.dropLast(".weight".count))] {
                let rows = info.shape[0], columns = info.shape[1]
                let order = permutedHeads.map { unpermutedRowOrder(rows: rows, heads: $0) }
                let q = try gguf.withRawBytes(of: info.name) { raw in
                    try QuantizedMatrix(type: type, rows: rows, columns: columns, copying: raw, rowOrder: order)
                }
                if let linear = module as? Linear {
                    linear.setQuantizedWeight(q)
                } else if let embedding = module as? Embedding {
                    embedding.setQuantizedWeight(q)
                } else {
                    throw ModelError.cannotRead(path: url.path, reason: "tensor '\(info.name)' is not a linear or embedding weight")
                }
                summary.record(q)
                weights[name] = Tensor(shape: [0, columns])
                continue
            }
            var t: Tensor
            do { t = try gguf.tensor(info.name) } catch { throw ModelError.cannotRead(path: url.path, reason: error.description) }
            if let heads = permutedHeads {
                t = unpermuteRoPERows(t.rank == 1 ? t.reshaped([t.count, 1]) : t, heads: heads).reshaped(t.shape)
            }
            weights[name] = t
        }
        if !unknown.isEmpty {
            throw ModelError.weightsMismatch(path: url.path, missing: [], unused: unknown.sorted(), shapes: [])
        }
        try assign(weights, to: model, path: url.path)
        if format == .keep && summary.quantized.isEmpty {
            summary.note = "--weights keep: \(url.lastPathComponent) stores no Q8_0/Q4_0/Q4_1 matrices, so every weight loaded as float32 (nothing was quantized; --weights q8_0 quantizes on load)"
        }
        return (model, summary)
    }
}
