// Building a model from a GGUF file (llama.cpp's format), e.g. SmolLM2-135M-Instruct.
//
// Supported `general.architecture` values: llama, qwen2, qwen3, phi3, olmo2 (LlamaForCausalLM) and
// gemma2, gemma3 (GemmaForCausalLM, text only). Quantised tensors are dequantised to Float32 by
// `GGUFFile`, or kept as blocks under `--weights keep` (docs/design/quantized.md). Tensor names and layouts follow llama.cpp's converter (convert_hf_to_gguf.py with
// gguf-py's tensor map), undone here so the same model code serves both sources:
// - llama: rows of `attn_q` / `attn_k` are reordered (`LlamaModel.permute`) so that llama.cpp's RoPE
//   can rotate interleaved pairs (2i, 2i+1); loading undoes the permutation (Hugging Face rotates
//   halves). The other architectures use llama.cpp's "neox" rotation and are stored unpermuted.
// - phi3: `attn_qkv` holds q, k, v stacked; `ffn_up` holds gate then up (there is no `ffn_gate`):
//   Phi-3's own fused `qkv_proj` / `gate_up_proj`, split by LlamaForCausalLM.sanitize.
// - qwen3 / olmo2: `attn_q_norm` / `attn_k_norm` (per head for Qwen3, whole projection for OLMo 2);
//   OLMo 2 has `post_attention_norm` / `post_ffw_norm` and no pre-norms.
// - gemma2 / gemma3: `attn_norm`, `post_attention_norm`, `ffn_norm` (the pre-feed-forward norm) and
//   `post_ffw_norm`; the converter stores every Gemma norm weight as 1 + w (the scale Gemma's RMSNorm
//   applies), so loading subtracts 1 to get back transformers' w.
// GGUFConfiguration.swift reads the metadata and refuses what we do not implement.
import Checkpoints
import Foundation
import NN
import TensorCore

extension ModelRegistry {
    /// GGUF tensor name → Hugging Face name for architecture `arch`, nil for a name we do not know.
    static func huggingFaceName(ggufName name: String, arch: String = "llama") -> String? {
        switch name {
        case "token_embd.weight": return "model.embed_tokens.weight"
        case "output_norm.weight": return "model.norm.weight"
        case "output.weight": return "lm_head.weight"
        default: break
        }
        let parts = name.split(separator: ".")
        guard parts.count >= 3, parts[0] == "blk", let layer = Int(parts[1]) else { return nil }
        let rest = parts[2...].joined(separator: ".")
        var table: [String: String] = [
            "attn_q.weight": "self_attn.q_proj.weight", "attn_k.weight": "self_attn.k_proj.weight",
            "attn_v.weight": "self_attn.v_proj.weight", "attn_output.weight": "self_attn.o_proj.weight",
            "attn_q.bias": "self_attn.q_proj.bias", "attn_k.bias": "self_attn.k_proj.bias",
            "attn_v.bias": "self_attn.v_proj.bias", "attn_output.bias": "self_attn.o_proj.bias",
            "attn_q_norm.weight": "self_attn.q_norm.weight", "attn_k_norm.weight": "self_attn.k_norm.weight",
            "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight", "ffn_down.weight": "mlp.down_proj.weight",
            "attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
        ]
        switch arch {
        case "phi3":
            table["attn_qkv.weight"] = "self_attn.qkv_proj.weight"
            table["ffn_up.weight"] = "mlp.gate_up_proj.weight"
        case "olmo2":
            table["ffn_norm.weight"] = nil
            table["post_attention_norm.weight"] = "post_attention_layernorm.weight"
            table["post_ffw_norm.weight"] = "post_feedforward_layernorm.weight"
        case "gemma2", "gemma3":
            table["ffn_norm.weight"] = "pre_feedforward_layernorm.weight"
            table["post_attention_norm.weight"] = "post_attention_layernorm.weight"
            table["post_ffw_norm.weight"] = "post_feedforward_layernorm.weight"
        default: break
        }
        return table[rest].map { "model.layers.\(layer)." + $0 }
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

    /// The configuration of a GGUF file, checked before anything is allocated: metadata sizes
    /// bounded (`GGUFHyperparameters.int`), the memory for the model and the dequantised tensors
    /// estimated, and every tensor the metadata implies compared with the tensor infos (whose byte
    /// ranges `GGUFFile` has already checked against the file's length).
    public static func checkedSpecification(gguf: GGUFFile) throws -> ModelSpec {
        guard let arch = gguf.architecture else {
            throw ModelError.invalidConfiguration(path: gguf.url.path, reason: "missing general.architecture")
        }
        let spec: ModelSpec
        if ggufGemmaArchitectures.contains(arch) {
            spec = .gemma(try gemmaConfiguration(gguf: gguf))
        } else if ggufLlamaArchitectures.contains(arch) {
            spec = .llama(try llamaConfiguration(gguf: gguf))
        } else {
            throw ModelError.unsupportedArchitecture(path: gguf.url.path, modelType: arch, supported: ggufLlamaArchitectures + ggufGemmaArchitectures)
        }
        try spec.checkMemory(copies: 2, path: gguf.url.path, present: nil)
        var shapes: [String: [Int]] = [:]
        for info in gguf.tensorInfos { if let name = huggingFaceName(ggufName: info.name, arch: arch) { shapes[name] = info.shape } }
        try WeightShapeCheck.check(spec, shapes: shapes, configurationPath: gguf.url.path, weights: { _ in gguf.url.lastPathComponent })
        return spec
    }

    /// The Llama-family configuration of a GGUF file, checked as `checkedSpecification` checks it.
    public static func checkedConfiguration(gguf: GGUFFile) throws -> LlamaConfiguration {
        guard case .llama(let c) = try checkedSpecification(gguf: gguf) else {
            throw ModelError.unsupportedArchitecture(path: gguf.url.path, modelType: gguf.architecture ?? "?", supported: ggufLlamaArchitectures)
        }
        return c
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

    /// Loads a GGUF model: a `LlamaForCausalLM` for llama, qwen2, qwen3, phi3 and olmo2, a
    /// `GemmaForCausalLM` for gemma2 and gemma3. With `.f32` (and `.bf16`, `.q8_0`, which convert
    /// afterwards) every tensor is dequantised to Float32; with `.keep` the Q8_0, Q4_0 and Q4_1
    /// matrices stay in their blocks (`QuantizedMatrix`) and the rest loads as Float32.
    public static func load(gguf url: URL, weights format: WeightFormat = .f32) throws -> any LanguageModel {
        try loadReporting(gguf: url, weights: format).model
    }

    /// `load(gguf:weights:)`, with what `.keep` kept (bf16 and q8_0 are applied by the caller).
    static func loadReporting(gguf url: URL, weights format: WeightFormat) throws -> (model: any LanguageModel, report: WeightFormatReport) {
        let gguf: GGUFFile
        do { gguf = try GGUFFile(url: url) } catch { throw ModelError.cannotRead(path: url.path, reason: error.description) }
        guard let arch = gguf.architecture else {
            throw ModelError.invalidConfiguration(path: url.path, reason: "missing general.architecture")
        }
        let spec = try checkedSpecification(gguf: gguf)
        var heads = 0, kvHeads = 0
        if case .llama(let config) = spec { (heads, kvHeads) = (config.numAttentionHeads, config.kvHeads) }
        // Every parameter is assigned strictly below (or the load fails), so skip the random values.
        let model = ParameterInitialization.$skipsRandomValues.withValue(true) { spec.build(seed: 0) }
        let isGemma = model is GemmaForCausalLM
        let modules = Dictionary(model.namedModules().map { ($0.key, $0.module) }, uniquingKeysWith: { a, _ in a })
        var weights: [String: Tensor] = [:]
        var unknown: [String] = []
        var summary = WeightFormatReport()
        for info in gguf.tensorInfos {
            // RoPE factor tensors are part of the Llama-path configuration (GGUFRopeScaling.swift).
            if !isGemma && ggufRopeFactorTensors.contains(info.name) { continue }
            guard let name = huggingFaceName(ggufName: info.name, arch: arch) else { unknown.append(info.name); continue }
            // Only the llama architecture (RoPE type "norm" in llama.cpp) is stored permuted; the others
            // use the rotate-half ("neox") rotation and are stored as in Hugging Face.
            let permutedHeads: Int? = arch != "llama" ? nil
                : name.hasSuffix("q_proj.weight") || name.hasSuffix("q_proj.bias") ? heads
                : name.hasSuffix("k_proj.weight") || name.hasSuffix("k_proj.bias") ? kvHeads : nil
            if format == .keep, info.shape.count == 2, name.hasSuffix(".weight"),
               let type = try WeightFormat.keptType(info.type, tensor: info.name, path: url.path),
               let module = modules[String(name.dropLast(".weight".count))], module is Linear || module is Embedding {
                let rows = info.shape[0], columns = info.shape[1]
                let order = permutedHeads.map { unpermutedRowOrder(rows: rows, heads: $0) }
                let q = try gguf.withRawBytes(of: info.name) { raw in
                    try QuantizedMatrix(type: type, rows: rows, columns: columns, copying: raw, rowOrder: order)
                }
                if let linear = module as? Linear { linear.setQuantizedWeight(q, name: name) } else if let embedding = module as? Embedding { embedding.setQuantizedWeight(q, name: name) }
                summary.record(q)
                weights[name] = Tensor(shape: [0, columns])
                continue
            }
            var t: Tensor
            do { t = try gguf.tensor(info.name) } catch { throw ModelError.cannotRead(path: url.path, reason: error.description) }
            if let h = permutedHeads {
                t = unpermuteRoPERows(t.rank == 1 ? t.reshaped([t.count, 1]) : t, heads: h).reshaped(t.shape)
            } else if isGemma && name.hasSuffix("norm.weight") {
                t = t + Float(-1)
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
