// The rule for `config.json`: a field that changes the computation and that we do not implement is
// an error, never silently ignored. The typed configurations decode what we honour; this audit reads
// the raw JSON for every field that would change the numbers transformers computes (or that the
// checkpoint's author expected) and refuses values we do not implement, naming the field, its value
// and what is supported. docs/models.md lists every field and its treatment.
import Foundation
import Support

/// A configuration value we refuse: `ModelError.unsupportedSetting` without the path.
struct UnsupportedField: Equatable {
    var field: String
    var value: String
    var supported: String

    func error(path: String) -> ModelError {
        .unsupportedSetting(path: path, field: field, value: value, supported: supported)
    }
}

enum ConfigurationAudit {
    /// Activations transformers' `ACT2FN` maps to SiLU (Llama/Mistral/Qwen2 MLP gate).
    static let llamaActivations: Set<String> = ["silu", "swish"]
    /// GPT-2 `activation_function` values we compute exactly as transformers' `ACT2FN` does:
    /// gelu_new, gelu_pytorch_tanh and gelu_fast are all the tanh approximation.
    static let gpt2Activations: Set<String> = ["gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu", "relu", "silu", "swish"]

    /// Fields refused for every family; `softcapping`: the family implements Gemma's soft-capping.
    static func common(_ d: [String: JSONValue], softcapping: Bool = false) -> UnsupportedField? {
        if let q = d["quantization_config"], !q.isNull {
            return UnsupportedField(field: "quantization_config", value: q.auditText,
                                    supported: "unquantised safetensors (F32, F16, BF16) folders, or GGUF files (F32, F16, BF16, Q8_0, Q4_0, Q4_1)")
        }
        // Gemma-2-style soft-capping: transformers' Llama/Mistral/Qwen2/GPT-2 classes never read these,
        // so a file carrying them was made for a model that does; computing without them would be wrong.
        for key in ["attn_logit_softcapping", "final_logit_softcapping"] where !softcapping {
            if let v = d[key], !v.isNull {
                return UnsupportedField(field: key, value: v.auditText, supported: "null (no soft-capping; only gemma2 / gemma3_text implement it)")
            }
        }
        if let v = d["is_causal"], v == .bool(false) {
            return UnsupportedField(field: "is_causal", value: "false", supported: "true (causal language models only)")
        }
        return nil
    }

    /// GELU variants Gemma's `hidden_activation` may name: the tanh approximation, or "gelu" (erf).
    static let gemmaActivations: Set<String> = ["gelu_pytorch_tanh", "gelu_new", "gelu_fast", "gelu"]

    /// Gemma 2 and Gemma 3 text (`model_type` "gemma2", "gemma3_text"), per Gemma2Config / Gemma3TextConfig.
    static func gemma(_ d: [String: JSONValue], modelType: String) -> UnsupportedField? {
        if let problem = common(d, softcapping: true) { return problem }
        if let act = d["hidden_activation"], !act.isNull, !(act.stringValue.map(gemmaActivations.contains) ?? false) {
            return UnsupportedField(field: "hidden_activation", value: act.plain,
                                    supported: gemmaActivations.sorted().map { "\"\($0)\"" }.joined(separator: ", "))
        }
        if let v = d["use_bidirectional_attention"], v == .bool(true) {
            return UnsupportedField(field: "use_bidirectional_attention", value: "true", supported: "false or null (causal attention)")
        }
        for key in ["final_logit_softcapping", "attn_logit_softcapping", "query_pre_attn_scalar"] {
            if let v = d[key], !v.isNull, !((v.doubleValue ?? 0) > 0) {
                return UnsupportedField(field: key, value: v.auditText, supported: "a positive number" + (key == "query_pre_attn_scalar" ? "" : " or null"))
            }
        }
        // RoPE: one dict (Gemma 2, legacy rope_scaling) or one per layer type (Gemma 3, transformers ≥ 5).
        var ropes: [(String, [String: JSONValue])] = []
        for key in ["rope_scaling", "rope_parameters"] {
            guard let v = d[key], !v.isNull else { continue }
            guard let o = v.objectValue else {
                return UnsupportedField(field: key, value: v.auditText, supported: "null or an object with a rope_type")
            }
            let nested = o.keys.contains("full_attention") || o.keys.contains("sliding_attention")
            if nested {
                for (type, inner) in o {
                    guard let io = inner.objectValue else {
                        return UnsupportedField(field: "\(key).\(type)", value: inner.auditText, supported: "an object with a rope_type")
                    }
                    ropes.append(("\(key).\(type)", io))
                }
            } else {
                ropes.append((key, o))
            }
        }
        for (key, o) in ropes {
            let type = o["rope_type"] ?? o["type"]
            if let type, !type.isNull, type.stringValue != "default", type.stringValue != "linear" {
                return UnsupportedField(field: "\(key).\(o["rope_type"] != nil ? "rope_type" : "type")", value: type.plain,
                                        supported: "\"default\", \"linear\" (dynamic, yarn, llama3, longrope and others are not implemented for Gemma)")
            }
            if let f = o["partial_rotary_factor"], !f.isNull, f.doubleValue != 1 {
                return UnsupportedField(field: "\(key).partial_rotary_factor", value: f.auditText, supported: "1 (RoPE over the whole head)")
            }
        }
        if let w = d["sliding_window"], !w.isNull, !(w.doubleValue.map { $0 >= 1 && $0 == $0.rounded() } ?? false) {
            return UnsupportedField(field: "sliding_window", value: w.auditText, supported: "null or a positive integer")
        }
        if let types = d["layer_types"], !types.isNull {
            guard let a = types.arrayValue, a.allSatisfy({ $0.stringValue == "full_attention" || $0.stringValue == "sliding_attention" }) else {
                return UnsupportedField(field: "layer_types", value: types.auditText,
                                        supported: "a list of \"full_attention\" / \"sliding_attention\"")
            }
            if let n = d["num_hidden_layers"]?.doubleValue, Int(n) != a.count {
                return UnsupportedField(field: "layer_types", value: types.auditText, supported: "one entry per layer (num_hidden_layers = \(Int(n)))")
            }
        }
        if let p = d["sliding_window_pattern"], !p.isNull, !(p.doubleValue.map { $0 >= 1 && $0 == $0.rounded() } ?? false) {
            return UnsupportedField(field: "sliding_window_pattern", value: p.auditText, supported: "a positive integer")
        }
        return nil
    }

    /// Llama, Mistral, Qwen2, Qwen3, Phi-3 and OLMo 2 (`model_type` "llama", "mistral", "qwen2", "qwen3", "phi3", "olmo2").
    static func llamaFamily(_ d: [String: JSONValue], modelType: String) -> UnsupportedField? {
        if let problem = common(d) { return problem }
        if let act = d["hidden_act"], !act.isNull, !(act.stringValue.map(llamaActivations.contains) ?? false) {
            return UnsupportedField(field: "hidden_act", value: act.plain, supported: "\"silu\" (or its alias \"swish\")")
        }
        // RoPE: transformers ≤ 4 writes `rope_scaling`, ≥ 5 `rope_parameters`; both carry the type.
        for key in ["rope_scaling", "rope_parameters"] {
            guard let v = d[key], !v.isNull else { continue }
            guard let o = v.objectValue else {
                return UnsupportedField(field: key, value: v.auditText, supported: "null or an object with a rope_type")
            }
            let type = o["rope_type"] ?? o["type"]
            // Phi3Config renames "su" and "yarn" to "longrope" and accepts nothing else.
            let name = type?.stringValue.map { modelType == "phi3" && ($0 == "su" || $0 == "yarn") ? "longrope" : $0 }
            let allowed = LlamaConfiguration.ropeTypes(modelType: modelType)
            if let type, !type.isNull, !(name.map(allowed.contains) ?? false) {
                return UnsupportedField(field: "\(key).\(o["rope_type"] != nil ? "rope_type" : "type")", value: type.plain,
                                        supported: modelType == "phi3" ? "\"default\", \"longrope\" (or its old names \"su\", \"yarn\"; Phi3Config accepts no other)"
                                            : "\"default\", \"linear\", \"llama3\", \"dynamic\", \"yarn\", \"longrope\" (others, such as \"proportional\", are not implemented)")
            }
            if let f = o["partial_rotary_factor"], !f.isNull, f.doubleValue != 1 {
                return UnsupportedField(field: "\(key).partial_rotary_factor", value: f.auditText, supported: "1 (RoPE over the whole head)")
            }
        }
        if let f = d["partial_rotary_factor"], !f.isNull, f.doubleValue != 1 {
            return UnsupportedField(field: "partial_rotary_factor", value: f.auditText, supported: "1 (RoPE over the whole head)")
        }
        return slidingWindow(d, modelType: modelType)
    }

    /// Sliding-window fields, per transformers' classes:
    /// - mistral: every layer uses `sliding_window` (absent: MistralConfig's default 4096; null: none);
    ///   MistralModel ignores `layer_types` (with a warning), so a `layer_types` that disagrees is refused.
    /// - qwen2: `use_sliding_window` gates `sliding_window`; windowed layers are `layer_types` entries
    ///   "sliding_attention", or when absent layers ≥ `max_window_layers`. transformers raises when a
    ///   layer is "sliding_attention" but the window is off, so we refuse that too.
    /// - llama: LlamaModel has no window; a non-null `sliding_window` (e.g. a Mistral relabelled
    ///   llama) or a sliding `layer_types` entry would be silently ignored by transformers, so refused.
    static func slidingWindow(_ d: [String: JSONValue], modelType: String) -> UnsupportedField? {
        let window = d["sliding_window"]
        if let w = window, !w.isNull, !(w.doubleValue.map { $0 >= 1 && $0 == $0.rounded() } ?? false) {
            return UnsupportedField(field: "sliding_window", value: w.auditText, supported: "null or a positive integer")
        }
        let types = d["layer_types"].flatMap { $0.isNull ? nil : $0 }
        var typeNames: [String]?
        if let types {
            guard let a = types.arrayValue, a.allSatisfy({ $0.stringValue == "full_attention" || $0.stringValue == "sliding_attention" }) else {
                return UnsupportedField(field: "layer_types", value: types.auditText,
                                        supported: "a list of \"full_attention\" / \"sliding_attention\"")
            }
            typeNames = a.compactMap(\.stringValue)
            if let n = d["num_hidden_layers"]?.doubleValue, Int(n) != a.count {
                return UnsupportedField(field: "layer_types", value: types.auditText,
                                        supported: "one entry per layer (num_hidden_layers = \(Int(n)))")
            }
        }
        switch modelType {
        case "mistral":
            // Absent means MistralConfig's default window (4096), so only an explicit null is "no window".
            let windowed = window.map { !$0.isNull } ?? true
            let expected = windowed ? "sliding_attention" : "full_attention"
            if let typeNames, typeNames.contains(where: { $0 != expected }) {
                return UnsupportedField(field: "layer_types", value: types?.auditText ?? "",
                                        supported: "for mistral, every entry \"\(expected)\" (MistralModel applies sliding_window = \(window?.auditText ?? "4096") to all layers)")
            }
        case "phi3":
            // Phi3Model windows every layer when sliding_window is set (absent or null: none) and has no layer_types.
            if let typeNames, Set(typeNames).count > 1 {
                return UnsupportedField(field: "layer_types", value: types?.auditText ?? "", supported: "absent for phi3 (one window for every layer)")
            }
        case "qwen2", "qwen3":
            let on = d["use_sliding_window"]?.boolValue ?? false
            let hasWindow = on && !(window?.isNull ?? false)
            if let typeNames, typeNames.contains("sliding_attention"), !hasWindow {
                return UnsupportedField(field: "layer_types", value: types?.auditText ?? "",
                                        supported: "\"sliding_attention\" only with use_sliding_window = true and a sliding_window")
            }
        default:
            if let w = window, !w.isNull {
                return UnsupportedField(field: "sliding_window", value: w.auditText,
                                        supported: "null for model_type \"\(modelType)\" (transformers' \(modelType) ignores it; use model_type \"mistral\" for a windowed model)")
            }
            if let typeNames, typeNames.contains("sliding_attention") {
                return UnsupportedField(field: "layer_types", value: types?.auditText ?? "",
                                        supported: "only \"full_attention\" for model_type \"\(modelType)\"")
            }
        }
        return nil
    }

    /// GPT-2 (`model_type` "gpt2"), per transformers' GPT2Attention / GPT2MLP.
    static func gpt2(_ d: [String: JSONValue]) -> UnsupportedField? {
        if let problem = common(d) { return problem }
        if let act = d["activation_function"], !act.isNull, !(act.stringValue.map(gpt2Activations.contains) ?? false) {
            return UnsupportedField(field: "activation_function", value: act.plain,
                                    supported: gpt2Activations.sorted().map { "\"\($0)\"" }.joined(separator: ", "))
        }
        if let v = d["scale_attn_weights"], v == .bool(false) {
            return UnsupportedField(field: "scale_attn_weights", value: "false", supported: "true (scores scaled by 1/√head_dim)")
        }
        if let v = d["scale_attn_by_inverse_layer_idx"], v == .bool(true) {
            return UnsupportedField(field: "scale_attn_by_inverse_layer_idx", value: "true", supported: "false")
        }
        if let v = d["add_cross_attention"], v == .bool(true) {
            return UnsupportedField(field: "add_cross_attention", value: "true", supported: "false (decoder-only GPT-2)")
        }
        return nil
    }
}
