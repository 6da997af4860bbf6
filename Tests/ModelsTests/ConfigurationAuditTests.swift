// A config field that changes the computation and that we do not implement is refused with an error
// naming the file, the field and its value; fields we honour, or that provably change nothing, load.
import Checkpoints
import Foundation
import Models
import Testing

@Suite struct ConfigurationAuditTests {
    static let llama = #""model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 10, "intermediate_size": 8"#
    static let mistral = #""model_type": "mistral", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 10, "intermediate_size": 8"#
    static let qwen2 = #""model_type": "qwen2", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 10, "intermediate_size": 8"#
    static let phi3 = #""model_type": "phi3", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 10, "intermediate_size": 8"#
    static let gpt2 = #""model_type": "gpt2", "n_embd": 8, "n_head": 2, "n_layer": 1, "vocab_size": 10, "n_positions": 4"#

    struct Refusal: CustomTestStringConvertible, Sendable {
        var base: String
        var extra: String
        var field: String
        var value: String
        var testDescription: String { "\(field) = \(value)" }
    }

    static let refusals: [Refusal] = [
        Refusal(base: llama, extra: #""rope_scaling": {"rope_type": "proportional", "factor": 4.0}"#, field: "rope_scaling.rope_type", value: "proportional"),
        Refusal(base: llama, extra: #""rope_parameters": {"type": "mrope", "rope_theta": 10000.0}"#, field: "rope_parameters.type", value: "mrope"),
        // Phi3Config accepts only default and longrope ("su" and "yarn" are renamed to it).
        Refusal(base: phi3, extra: #""rope_scaling": {"type": "dynamic", "factor": 2.0}"#, field: "rope_scaling.type", value: "dynamic"),
        Refusal(base: phi3, extra: #""rope_parameters": {"rope_type": "llama3", "factor": 8.0}"#, field: "rope_parameters.rope_type", value: "llama3"),
        Refusal(base: llama, extra: #""partial_rotary_factor": 0.5"#, field: "partial_rotary_factor", value: "0.5"),
        Refusal(base: llama, extra: #""hidden_act": "gelu""#, field: "hidden_act", value: "gelu"),
        Refusal(base: llama, extra: #""attn_logit_softcapping": 50.0"#, field: "attn_logit_softcapping", value: "50"),
        Refusal(base: qwen2, extra: #""final_logit_softcapping": 30.0"#, field: "final_logit_softcapping", value: "30"),
        Refusal(base: llama, extra: #""quantization_config": {"quant_method": "gptq", "bits": 4}"#, field: "quantization_config", value: "gptq"),
        Refusal(base: llama, extra: #""sliding_window": 16"#, field: "sliding_window", value: "16"),
        Refusal(base: llama, extra: #""layer_types": ["full_attention", "sliding_attention"]"#, field: "layer_types", value: "sliding_attention"),
        Refusal(base: mistral, extra: #""sliding_window": 16, "layer_types": ["full_attention", "sliding_attention"]"#, field: "layer_types", value: "full_attention"),
        Refusal(base: mistral, extra: #""sliding_window": 0"#, field: "sliding_window", value: "0"),
        Refusal(base: qwen2, extra: #""use_sliding_window": false, "layer_types": ["full_attention", "sliding_attention"]"#, field: "layer_types", value: "sliding_attention"),
        Refusal(base: mistral, extra: #""is_causal": false"#, field: "is_causal", value: "false"),
        Refusal(base: gpt2, extra: #""activation_function": "quick_gelu""#, field: "activation_function", value: "quick_gelu"),
        Refusal(base: gpt2, extra: #""scale_attn_weights": false"#, field: "scale_attn_weights", value: "false"),
        Refusal(base: gpt2, extra: #""scale_attn_by_inverse_layer_idx": true"#, field: "scale_attn_by_inverse_layer_idx", value: "true"),
        Refusal(base: gpt2, extra: #""add_cross_attention": true"#, field: "add_cross_attention", value: "true"),
        Refusal(base: gpt2, extra: #""quantization_config": {"quant_method": "bitsandbytes"}"#, field: "quantization_config", value: "bitsandbytes"),
    ]

    /// Loads a folder holding only `config.json`: an accepted configuration stops at the missing
    /// weights, a refused one before.
    func load(_ json: String) throws -> ModelError? {
        let dir = try folder(["config.json": Data(json.utf8)])
        defer { try? FileManager.default.removeItem(at: dir) }
        do { _ = try ModelRegistry.load(folder: dir); return nil } catch let e as ModelError { return e }
    }

    @Test(arguments: refusals)
    func refusedFieldIsNamed(_ r: Refusal) throws {
        let error = try load("{\(r.base), \(r.extra)}")
        guard case .unsupportedSetting(let path, let field, let value, let supported)? = error else {
            Issue.record("\(r.field): expected unsupportedSetting, got \(String(describing: error))")
            return
        }
        #expect(path.hasSuffix("config.json"))
        #expect(field == r.field)
        #expect(value.contains(r.value), "value \(value)")
        #expect(!supported.isEmpty)
        let text = error?.description ?? ""
        #expect(text.contains("config.json") && text.contains(r.field) && text.contains("supported"), "\(text)")
    }

    /// Fields we implement, or that provably do not change the numbers, load (up to the missing
    /// weights).
    @Test(arguments: [
        "{\(mistral), \"sliding_window\": 16}",
        "{\(mistral), \"sliding_window\": null}",
        "{\(mistral), \"attention_bias\": true}",  // MistralAttention hard-codes bias=False
        "{\(qwen2), \"use_sliding_window\": true, \"sliding_window\": 8, \"max_window_layers\": 1}",
        "{\(qwen2), \"use_sliding_window\": false, \"sliding_window\": 8, \"layer_types\": [\"full_attention\", \"full_attention\"]}",
        "{\(llama), \"rope_scaling\": null, \"attn_logit_softcapping\": null, \"hidden_act\": \"swish\"}",
        "{\(llama), \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 500000.0}, \"pretraining_tp\": 2}",
        "{\(llama), \"attention_bias\": true, \"mlp_bias\": true, \"head_dim\": 32, \"tie_word_embeddings\": true}",
        "{\(gpt2), \"reorder_and_upcast_attn\": true, \"activation_function\": \"gelu_fast\"}",
        "{\(llama), \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}",
        "{\(llama), \"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": 500000.0, \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}}",
        "{\(llama), \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}}",
        "{\(qwen2), \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 32768}}",
        "{\(phi3), \"rope_scaling\": {\"type\": \"su\", \"short_factor\": [1, 1, 1, 1, 1, 1, 1, 1], \"long_factor\": [1, 2, 3, 4, 5, 6, 7, 8]}, \"original_max_position_embeddings\": 4096, \"max_position_embeddings\": 131072}",
    ])
    func honouredFieldsLoad(_ json: String) throws {
        let error = try load(json)
        guard case .noWeights? = error else {
            Issue.record("\(json): \(String(describing: error))")
            return
        }
    }

    /// Scaled RoPE without its parameters is an invalid configuration (transformers raises too).
    @Test func ropeScalingWithoutParametersIsInvalid() throws {
        for extra in [#""rope_scaling": {"type": "linear"}"#, #""rope_parameters": {"rope_type": "llama3", "factor": 8.0}"#,
                      #""rope_scaling": {"rope_type": "dynamic"}"#, #""rope_scaling": {"rope_type": "yarn"}"#,
                      #""rope_scaling": {"rope_type": "longrope", "short_factor": [1, 1], "long_factor": [1, 2, 3, 4, 5, 6, 7, 8]}"#] {
            guard case .invalidConfiguration(let path, let reason)? = try load("{\(Self.llama), \(extra)}") else {
                Issue.record("\(extra) loaded"); continue
            }
            #expect(path.hasSuffix("config.json") && reason.contains("rope"), "\(reason)")
        }
    }

    /// Mistral's window: absent means MistralConfig's default 4096, null none; Qwen2's only with
    /// use_sliding_window, on layers ≥ max_window_layers unless layer_types says otherwise.
    @Test func windowDefaultsFollowTransformers() throws {
        func config(_ json: String) throws -> LlamaConfiguration { try JSONDecoder().decode(LlamaConfiguration.self, from: Data(json.utf8)) }
        #expect(try config("{\(Self.mistral)}").slidingWindow == 4096)
        #expect(try config("{\(Self.mistral), \"sliding_window\": null}").slidingWindow == nil)
        #expect(try config("{\(Self.qwen2), \"sliding_window\": 8}").slidingWindow == nil)
        let q = try config("{\(Self.qwen2), \"use_sliding_window\": true, \"sliding_window\": 8, \"max_window_layers\": 1}")
        #expect([q.attentionWindow(layer: 0), q.attentionWindow(layer: 1)] == [nil, 8])
        let q2 = try config("{\(Self.qwen2), \"use_sliding_window\": true, \"sliding_window\": 8, \"max_window_layers\": 1, \"layer_types\": [\"sliding_attention\", \"full_attention\"]}")
        #expect([q2.attentionWindow(layer: 0), q2.attentionWindow(layer: 1)] == [8, nil])
        #expect(try config("{\(Self.llama)}").attentionWindow(layer: 0) == nil)
        // A Mistral written back keeps its window explicit (an absent key would reload as 4096).
        let noWindow = try config("{\(Self.mistral), \"sliding_window\": null}")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(noWindow)) as? [String: Any]
        #expect(json?["sliding_window"] is NSNull)
    }

    // MARK: - GGUF

    /// A GGUF file with metadata only (no tensors): a one-layer `arch` model, plus `extra` (which
    /// replaces a default of the same key).
    static func gguf(_ extra: [(String, GGUFTestValue)], arch: String = "llama") throws -> URL {
        let defaults: [(String, GGUFTestValue)] = [
            ("general.architecture", .string(arch)), ("\(arch).attention.head_count", .u32(4)),
            ("\(arch).embedding_length", .u32(64)), ("\(arch).feed_forward_length", .u32(8)), ("\(arch).block_count", .u32(1)),
            ("\(arch).vocab_size", .u32(10)),
        ]
        let entries = defaults.filter { d in !extra.contains { $0.0 == d.0 } } + extra
        var d = Data("GGUF".utf8)
        func u32(_ x: UInt32) { withUnsafeBytes(of: x.littleEndian) { d.append(contentsOf: $0) } }
        func u64(_ x: UInt64) { withUnsafeBytes(of: x.littleEndian) { d.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); d.append(contentsOf: Array(s.utf8)) }
        u32(3); u64(0); u64(UInt64(entries.count))
        for (key, value) in entries {
            str(key)
            switch value {
            case .u32(let x): u32(4); u32(x)
            case .f32(let x): u32(6); withUnsafeBytes(of: x.bitPattern.littleEndian) { d.append(contentsOf: $0) }
            case .string(let s): u32(8); str(s)
            }
        }
        while d.count % 32 != 0 { d.append(0) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ta-audit-\(UUID().uuidString).gguf")
        try d.write(to: url)
        return url
    }

    enum GGUFTestValue { case u32(UInt32), f32(Float), string(String) }

    @Test func ggufMetadataWeDoNotImplementIsRefused() throws {
        let plain = try Self.gguf([])
        defer { try? FileManager.default.removeItem(at: plain) }
        let c = try ModelRegistry.llamaConfiguration(gguf: try GGUFFile(url: plain))
        #expect(c.hiddenSize == 64 && c.slidingWindow == nil)

        let cases: [[(String, GGUFTestValue)]] = [
            [("llama.attention.sliding_window", .u32(4096))],
            [("llama.rope.scaling.type", .string("dynamic"))],
            [("llama.rope.scaling.factor", .f32(4))],
            [("llama.attn_logit_softcapping", .f32(50))],
            [("llama.final_logit_softcapping", .f32(30))],
            [("llama.expert_count", .u32(8))],
            [("llama.rope.dimension_count", .u32(8)), ("llama.attention.key_length", .u32(16))],  // partial rotary
            [("llama.attention.value_length", .u32(8))],
        ]
        for entries in cases {
            let key = entries[0].0
            let url = try Self.gguf(entries)
            defer { try? FileManager.default.removeItem(at: url) }
            do {
                _ = try ModelRegistry.llamaConfiguration(gguf: try GGUFFile(url: url))
                Issue.record("\(key) was not refused")
            } catch let ModelError.unsupportedSetting(path, field, _, _) {
                #expect(path == url.path)
                #expect(field == key)
            }
        }
    }
}
