// RoPE scaling in Llama-path GGUF files, read the way llama.cpp's converter (convert_hf_to_gguf.py)
// writes it, onto the same `RopeScaling` a config.json gives (RopeScaling.swift):
// - `{arch}.rope.scaling.type` "linear" + `.factor`: position interpolation (arXiv:2306.15595);
// - "yarn" + `.factor`, `.original_context_length` and optional `.yarn_beta_fast` / `.yarn_beta_slow`:
//   YaRN (arXiv:2309.00071) with its default amplitude 0.1·ln f + 1 and the rounded ramp bounds, which
//   is what both transformers' defaults and llama.cpp's ggml_rope_yarn compute;
// - the tensors `rope_factors_long.weight` / `rope_factors_short.weight` (Phi-3's LongRoPE,
//   arXiv:2402.13753; type absent or "longrope") with `.original_context_length` and `.attn_factor`;
// - the tensor `rope_freqs.weight`: Llama 3.1's scaling (arXiv:2407.21783) baked by the converter into
//   one divisor per frequency. It is carried as LongRoPE with equal short and long sets and amplitude 1,
//   which divides the inverse frequencies by exactly those numbers at every length.
// Keys that change llama.cpp's RoPE and that no fixture checks (yarn's attention-factor and log
// multiplier keys, ext_factor ≠ 1, the NTK alpha) are refused by name.
import Checkpoints
import Foundation

extension ModelRegistry {
    /// The per-frequency RoPE tensors the converter writes; the configuration consumes them.
    static let ggufRopeFactorTensors: Set<String> = ["rope_freqs.weight", "rope_factors_long.weight", "rope_factors_short.weight"]

    /// The scaling of a Llama-path GGUF (nil: plain RoPE), or a thrown refusal naming the key.
    static func ggufRopeScaling(_ h: GGUFHyperparameters, headDimension: Int, contextLength: Int) throws -> LlamaConfiguration.RopeScaling? {
        let gguf = h.gguf
        let typeValue = h.value("rope.scaling.type")
        if let typeValue, typeValue.string == nil { throw h.refuse("rope.scaling.type", "\(typeValue)", "a string") }
        let type = typeValue?.string ?? "none"
        let factor = h.value("rope.scaling.factor")?.double
        let tensors = ggufRopeFactorTensors.filter { gguf.info($0) != nil }.sorted()
        func float(_ key: String) -> Double? { h.value("rope.scaling.\(key)")?.double }
        func refuseUnless(_ key: String, equals expected: Double) throws {
            if let v = float(key), v != expected {
                throw h.refuse("rope.scaling.\(key)", "\(v)", "\(expected) (other values are not checked against llama.cpp)")
            }
        }
        try refuseUnless("alpha", equals: 0)
        try refuseUnless("yarn_log_multiplier", equals: 0)
        try refuseUnless("yarn_attn_factor", equals: 1)
        try refuseUnless("yarn_ext_factor", equals: 1)
        if type != "longrope" && tensors.filter({ $0 != "rope_freqs.weight" }).isEmpty { try refuseUnless("attn_factor", equals: 1) }
        func original() throws -> Int {
            guard let n = try h.optionalInt("rope.scaling.original_context_length"), n > 1 else {
                throw ModelError.invalidConfiguration(path: h.path, reason: "RoPE scaling '\(type)' needs integer metadata '\(h.arch).rope.scaling.original_context_length' above 1")
            }
            return n
        }
        func divisors(_ name: String) throws -> [Float] {
            let values: [Float]
            do { values = try gguf.tensor(name).scalars } catch { throw ModelError.cannotRead(path: h.path, reason: error.description) }
            guard values.count == headDimension / 2, values.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw UnsupportedField(field: name, value: "\(values.count) values", supported: "\(headDimension / 2) positive numbers (head dimension / 2)").error(path: h.path)
            }
            return values
        }
        switch type {
        case "none":
            if let factor, factor != 1, factor != 0 { throw h.refuse("rope.scaling.factor", "\(factor)", "1 (plain RoPE)") }
            if tensors == ["rope_freqs.weight"] {
                var s = LlamaConfiguration.RopeScaling(type: "longrope", factor: 1, originalMaxPositionEmbeddings: contextLength)
                s.parameters.shortFactor = try divisors("rope_freqs.weight")
                s.parameters.longFactor = s.parameters.shortFactor
                s.parameters.attentionFactor = 1
                return s
            }
            if tensors.isEmpty { return nil }
            fallthrough
        case "longrope":
            guard tensors == ["rope_factors_long.weight", "rope_factors_short.weight"] else {
                throw UnsupportedField(field: tensors.first ?? "\(h.arch).rope.scaling.type", value: tensors.isEmpty ? type : "present",
                                       supported: "LongRoPE's rope_factors_long.weight and rope_factors_short.weight together (and no rope_freqs.weight)").error(path: h.path)
            }
            let L0 = try original()
            var s = LlamaConfiguration.RopeScaling(type: "longrope", factor: Float(contextLength) / Float(L0), originalMaxPositionEmbeddings: L0)
            s.parameters.longFactor = try divisors("rope_factors_long.weight")
            s.parameters.shortFactor = try divisors("rope_factors_short.weight")
            s.parameters.attentionFactor = float("attn_factor").map(Float.init)
            return s
        case "linear", "yarn":
            if let name = tensors.first {
                throw UnsupportedField(field: name, value: "present", supported: "absent with rope.scaling.type \"\(type)\"").error(path: h.path)
            }
            guard let factor, factor > 0 else {
                throw ModelError.invalidConfiguration(path: h.path, reason: "RoPE scaling '\(type)' needs a positive '\(h.arch).rope.scaling.factor'")
            }
            if type == "linear" { return LlamaConfiguration.RopeScaling(type: "linear", factor: Float(factor)) }
            var s = LlamaConfiguration.RopeScaling(type: "yarn", factor: Float(factor), originalMaxPositionEmbeddings: try original())
            s.parameters.betaFast = float("yarn_beta_fast").map(Float.init)
            s.parameters.betaSlow = float("yarn_beta_slow").map(Float.init)
            return s
        default:
            throw h.refuse("rope.scaling.type", type, "\"none\", \"linear\", \"yarn\" or \"longrope\" (llama.cpp's names)")
        }
    }
}
