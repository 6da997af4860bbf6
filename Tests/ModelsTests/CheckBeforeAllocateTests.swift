import Checkpoints
import Foundation
@testable import Models
import Testing

/// Check before allocate (docs/design/hardening.md §1): sizes from config.json and GGUF metadata are
/// bounded and multiplied with overflow checks, the memory a load needs is compared with physical
/// memory, and the weight files' shapes with the configuration, all before anything is built.
@Suite struct CheckBeforeAllocateTests {
    func loadError(_ json: String, weightsFrom fixture: String? = nil) throws -> (error: ModelError?, seconds: Double, dir: URL) {
        var files = ["config.json": Data(json.utf8)]
        if let fixture {
            files["model.safetensors"] = try Data(contentsOf: fixtureRoot.appendingPathComponent("\(fixture)/model.safetensors"))
        }
        let dir = try folder(files)
        let start = Date()
        var error: ModelError?
        do { _ = try ModelRegistry.load(folder: dir) } catch let e as ModelError { error = e }
        return (error, Date().timeIntervalSince(start), dir)
    }

    /// `{"model_type": "llama"}` alone takes LlamaConfig's defaults: 6.7·10⁹ parameters. The load is
    /// refused in well under a second, naming the file, the defaulted fields and the estimate.
    @Test func llamaDefaultsAloneAreRefusedBeforeAllocating() throws {
        let r = try loadError(#"{"model_type": "llama"}"#)
        let path = r.dir.appendingPathComponent("config.json").path
        #expect(r.seconds < 0.5)
        // 32000·4096·2 + 4096 + 32·(4096·4096·4 + 3·4096·11008 + 2·4096) parameters, two Float32 copies.
        let parameters = 32000 * 4096 * 2 + 4096 + 32 * (4096 * 4096 * 4 + 3 * 4096 * 11008 + 2 * 4096)
        #expect(parameters == 6_738_415_616)
        guard case .exceedsMemory(let p, let reason)? = r.error else { Issue.record("\(String(describing: r.error))"); return }
        #expect(p == path)
        #expect(reason.hasPrefix("vocab_size 32000 (absent: default), hidden_size 4096 (absent: default), intermediate_size 11008 (absent: default), num_hidden_layers 32 (absent: default) make 6738415616 parameters; loading needs about 53.9 GB (2 Float32 copies)"), "\(reason)")
        #expect("\(r.error!)".hasPrefix("\(path): too large: "))
    }

    /// A GPT-2 config.json relabelled `llama` has none of the llama fields: the same refusal.
    @Test func gpt2ConfigRelabelledLlamaIsRefused() throws {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureRoot.appendingPathComponent("gpt2/config.json"))) as! [String: Any]
        json["model_type"] = "llama"
        let text = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        let r = try loadError(text, weightsFrom: "gpt2")
        #expect(r.seconds < 0.5)
        guard case .exceedsMemory(_, let reason)? = r.error else { Issue.record("\(String(describing: r.error))"); return }
        #expect(reason.contains("hidden_size 4096 (absent: default)"))
        // Past the memory check (as with --allow-large), the weights' names and shapes refuse it.
        let spec = try ModelRegistry.specification(configurationData: Data(text.utf8), path: "config.json").spec
        let shapes = try SafeTensorsFile(url: fixtureRoot.appendingPathComponent("gpt2/model.safetensors"))
        #expect {
            try WeightShapeCheck.check(spec, shapes: Dictionary(uniqueKeysWithValues: shapes.tensorNames.map { ($0, shapes.info($0)!.shape) }),
                                       configurationPath: "config.json", weights: { _ in "model.safetensors" })
        } throws: { error in
            "\(error)".hasPrefix("config.json: invalid configuration: does not describe its weights: the weights lack model.embed_tokens.weight, model.norm.weight, model.layers.0.self_attn.q_proj.weight, model.layers.0.self_attn.k_proj.weight and 222 more (they hold 28 tensors, e.g. transformer.h.0.attn.c_attn.bias")
        }
    }

    /// Zero, negative and huge sizes: each names the field and its bound, without dividing by zero
    /// or allocating.
    @Test func outOfBoundSizesNameTheField() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 0}"#, "num_attention_heads = 0 must be between 1 and 1024"),
            (#"{"model_type": "qwen2", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 0}"#,
             "num_key_value_heads = 0 must be between 1 and 4 (num_attention_heads)"),
            (#"{"model_type": "llama", "max_position_embeddings": -5}"#, "max_position_embeddings = -5 must be between 1 and 16777216"),
            (#"{"model_type": "llama", "num_hidden_layers": 0}"#, "num_hidden_layers = 0 must be between 1 and 1024"),
            (#"{"model_type": "llama", "head_dim": 0}"#, "head_dim = 0 must be between 1 and 4096"),
            (#"{"model_type": "llama", "rms_norm_eps": -1}"#, "rms_norm_eps = -1.0 must be positive and finite"),
            (#"{"model_type": "gpt2", "vocab_size": 9223372036854775807}"#, "vocab_size = 9223372036854775807 must be between 1 and 4194304"),
            (#"{"model_type": "gpt2", "n_inner": -4}"#, "n_inner = -4 must be between 1 and 524288"),
            (#"{"model_type": "gpt2", "n_embd": 2, "n_head": 4}"#, "n_embd (2) is smaller than n_head (4)"),
            (#"{"model_type": "llama", "vocab_size": 92233720368547758070}"#, "field 'vocab_size': 92233720368547758070 is beyond the 64-bit integer range"),
        ]
        for (json, expected) in cases {
            let r = try loadError(json)
            #expect(r.seconds < 0.5)
            guard case .invalidConfiguration(let path, let reason)? = r.error else { Issue.record("\(json): \(String(describing: r.error))"); continue }
            #expect(path.hasSuffix("config.json"))
            #expect(reason.contains(expected), "\(json): \(reason)")
        }
    }

    /// The parameter count is the sum of the tensors the model allocates (worked by hand for the
    /// fixture Llama: V 512, H 64, I 128, 2 layers, 4 heads of 16, 2 KV heads, untied).
    @Test func footprintCountsTheParametersTheModelHas() throws {
        let data = try Data(contentsOf: fixtureRoot.appendingPathComponent("llama/config.json"))
        let spec = try ModelRegistry.specification(configurationData: data, path: "config.json").spec
        // embed + head 2·512·64, final norm 64, per layer q 64·64, k,v 2·64·32, o 64·64, MLP 3·64·128, norms 2·64.
        let perLayer = 64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 128 + 2 * 64
        #expect(spec.footprint.parameters == 2 * 512 * 64 + 64 + 2 * perLayer)
        let model = spec.build(seed: 0)
        #expect(spec.footprint.parameters == model.stateDict().values.reduce(0) { $0 + $1.count })
        let gpt2 = try ModelRegistry.specification(configurationData: Data(contentsOf: fixtureRoot.appendingPathComponent("gpt2/config.json")),
                                                   path: "config.json").spec
        #expect(gpt2.footprint.parameters == gpt2.build(seed: 0).stateDict().values.reduce(0) { $0 + $1.count })
        #expect(ModelFootprint.total([[1 << 40, 1 << 30]]) == nil)
        // Every family's fixture, Gemma's four norms, q/k norms and biases included.
        for family in ["gemma2", "gemma2_variant", "gemma3", "qwen3", "phi3", "olmo2", "qwen2"] {
            let spec = try ModelRegistry.specification(configurationData: Data(contentsOf: fixtureRoot.appendingPathComponent("\(family)/config.json")),
                                                       path: "config.json").spec
            #expect(spec.footprint.parameters == spec.build(seed: 0).stateDict().values.reduce(0) { $0 + $1.count }, "\(family)")
        }
    }

    /// A config.json whose layer count or sizes disagree with the weights fails on the headers.
    @Test func configurationsThatDoNotDescribeTheirWeightsAreRefused() throws {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureRoot.appendingPathComponent("llama/config.json"))) as! [String: Any]
        json["num_hidden_layers"] = 1
        json["intermediate_size"] = 96
        let text = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        let r = try loadError(text, weightsFrom: "llama")
        guard case .invalidConfiguration(_, let reason)? = r.error else { Issue.record("\(String(describing: r.error))"); return }
        #expect(reason.contains("model.safetensors has model.layers.0.mlp.gate_proj.weight of shape [128, 64], the configuration gives [96, 64] (intermediate_size, hidden_size)"), "\(reason)")
        #expect(reason.contains("the weights hold decoder layer 1, but num_hidden_layers is 1"), "\(reason)")
    }

    /// GGUF metadata sizes are bounded under their keys, and the tensors the metadata implies are
    /// checked against the tensor infos before building.
    @Test func ggufMetadataSizesAreCheckedBeforeBuilding() throws {
        var written: [URL] = []
        defer { for url in written { try? FileManager.default.removeItem(at: url) } }
        func gguf(_ ints: [(String, UInt32)]) throws -> URL {
            func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
            func str(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }
            var bytes = Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(0)) + le(UInt64(ints.count + 1))
            bytes += str("general.architecture") + le(UInt32(8)) + str("llama")
            for (k, v) in ints { bytes += str(k) + le(UInt32(4)) + le(v) }
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("ta-\(UUID().uuidString).gguf")
            try Data(bytes).write(to: url)
            written.append(url)
            return url
        }
        let sizes: [(String, UInt32)] = [("llama.attention.head_count", 4), ("llama.embedding_length", 64), ("llama.feed_forward_length", 128),
                                         ("llama.block_count", 2), ("llama.vocab_size", 512), ("llama.context_length", 64)]
        let huge = try gguf(sizes.map { $0.0 == "llama.embedding_length" ? ($0.0, 1 << 30) : $0 })
        #expect(throws: ModelError.invalidConfiguration(path: huge.path, reason: "metadata llama.embedding_length = 1073741824 must be between 1 and 65536")) {
            try ModelRegistry.load(gguf: huge)
        }
        let zero = try gguf(sizes.map { $0.0 == "llama.attention.head_count" ? ($0.0, 0) : $0 })
        #expect(throws: ModelError.invalidConfiguration(path: zero.path, reason: "metadata llama.attention.head_count = 0 must be between 1 and 1024")) {
            try ModelRegistry.load(gguf: zero)
        }
        let noTensors = try gguf(sizes)
        do {
            _ = try ModelRegistry.load(gguf: noTensors)
            Issue.record("a GGUF without tensors loaded")
        } catch let ModelError.invalidConfiguration(path, reason) {
            #expect(path == noTensors.path)
            #expect(reason.hasPrefix("does not describe its weights: the weights lack model.embed_tokens.weight"), "\(reason)")
        }
    }
}
