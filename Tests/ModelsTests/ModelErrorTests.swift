import Checkpoints
import Foundation
import Models
import TensorCore
import Testing

/// Writes `files` into a fresh temporary folder.
func folder(_ files: [String: Data]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-model-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (name, data) in files { try data.write(to: dir.appendingPathComponent(name)) }
    return dir
}

@Suite struct ModelErrorTests {
    func configError(_ json: String) throws -> ModelError? {
        let dir = try folder(["config.json": Data(json.utf8)])
        defer { try? FileManager.default.removeItem(at: dir) }
        do { _ = try ModelRegistry.load(folder: dir); return nil } catch let e as ModelError { return e }
    }

    @Test func malformedConfigurationsGiveTypedErrors() throws {
        guard case .invalidConfiguration(let p, _)? = try configError("{not json") else { Issue.record("bad JSON"); return }
        #expect(p.hasSuffix("config.json"))
        guard case .invalidConfiguration(_, let r)? = try configError(#"{"vocab_size": 10}"#) else { Issue.record("no model_type"); return }
        #expect(r.contains("model_type"))
        guard case .unsupportedArchitecture(_, let t, let s)? = try configError(#"{"model_type": "mamba"}"#) else { Issue.record("unknown type"); return }
        #expect(t == "mamba" && s.contains("llama"))
        guard case .invalidConfiguration(_, let r2)? = try configError(#"{"model_type": "llama", "hidden_size": "big"}"#) else {
            Issue.record("wrong type"); return
        }
        #expect(r2.contains("hidden_size"))
        guard case .invalidConfiguration(_, let r3)? = try configError(#"{"model_type": "gpt2", "n_embd": 10, "n_head": 4}"#) else {
            Issue.record("indivisible"); return
        }
        #expect(r3.contains("n_head"))
        guard case .invalidConfiguration(_, let r4)? = try configError(
            #"{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 3}"#) else {
            Issue.record("bad GQA"); return
        }
        #expect(r4.contains("num_key_value_heads"))
        guard case .unsupportedSetting(_, let f, let v, _)? = try configError(
            #"{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "rope_scaling": {"rope_type": "proportional"}}"#) else {
            Issue.record("rope scaling"); return
        }
        #expect(f.contains("rope") && v == "proportional")
    }

    @Test func missingWeightsAreReported() throws {
        let dir = try folder(["config.json": Data(#"{"model_type": "gpt2", "n_embd": 8, "n_head": 2, "n_layer": 1, "vocab_size": 10, "n_positions": 4}"#.utf8)])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelError.noWeights(path: dir.path)) { try ModelRegistry.load(folder: dir) }
    }

    /// A missing projection and a wrong shape are found from the file's header, before the model
    /// is built, naming config.json, the weight file and the configuration fields.
    @Test func weightMismatchesAreListedByName() throws {
        let src = fixtureRoot.appendingPathComponent("llama")
        var weights = try SafeTensorsFile(url: src.appendingPathComponent("model.safetensors")).loadAll()
        weights["model.layers.1.mlp.up_proj.weight"] = nil
        weights["model.layers.0.self_attn.q_proj.weight"] = Tensor(shape: [64, 63])
        let dir = try folder(["config.json": try Data(contentsOf: src.appendingPathComponent("config.json"))])
        defer { try? FileManager.default.removeItem(at: dir) }
        try SafeTensors.write(weights, to: dir.appendingPathComponent("model.safetensors"))
        do {
            _ = try ModelRegistry.load(folder: dir)
            Issue.record("should have thrown")
        } catch let ModelError.invalidConfiguration(path, reason) {
            #expect(path == dir.appendingPathComponent("config.json").path)
            #expect(reason.contains("the weights lack model.layers.1.mlp.up_proj.weight"), "\(reason)")
            #expect(reason.contains("model.safetensors has model.layers.0.self_attn.q_proj.weight of shape [64, 63], the configuration gives [64, 64] (num_attention_heads × head_dim, hidden_size)"), "\(reason)")
        }
    }

    /// Tensors the model has no parameter for are listed by the strict assignment after building.
    @Test func unusedWeightsAreListedByName() throws {
        let src = fixtureRoot.appendingPathComponent("llama")
        var weights = try SafeTensorsFile(url: src.appendingPathComponent("model.safetensors")).loadAll()
        weights["model.extra.weight"] = Tensor(shape: [2])
        let dir = try folder(["config.json": try Data(contentsOf: src.appendingPathComponent("config.json"))])
        defer { try? FileManager.default.removeItem(at: dir) }
        try SafeTensors.write(weights, to: dir.appendingPathComponent("model.safetensors"))
        #expect(throws: ModelError.weightsMismatch(path: dir.path, missing: [], unused: ["model.extra.weight"], shapes: [])) {
            try ModelRegistry.load(folder: dir)
        }
    }

    @Test func corruptWeightsFileNamesTheFile() throws {
        let src = fixtureRoot.appendingPathComponent("gpt2")
        let dir = try folder(["config.json": try Data(contentsOf: src.appendingPathComponent("config.json")),
                              "model.safetensors": Data([1, 2, 3])])
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try ModelRegistry.load(folder: dir)
            Issue.record("should have thrown")
        } catch let e as ModelError {
            #expect(e.description.contains("model.safetensors"))
        }
    }
}
