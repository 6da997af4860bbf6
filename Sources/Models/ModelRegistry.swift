// Building models by `model_type`, loading Hugging Face folders strictly, and saving them back.
//
// A folder holds `config.json` and `model.safetensors` (or a sharded index, or other
// `*.safetensors`). Tokenizer files are optional: callers that pass token ids don't need them.
// Loading is strict (mlx-swift-lm's `verify: [.all]`): every checkpoint key must be used, every
// parameter set, every shape right; problems are listed by name in one error.
import Checkpoints
import Foundation
import NN
import TensorCore

public enum ModelRegistry {
    /// `model_type` values we can build.
    public static let supportedTypes = ["gpt2", "llama", "qwen2", "qwen3", "mistral", "phi3", "olmo2"]

    /// A randomly initialised model for a `config.json` dictionary's contents.
    ///
    /// Refuses (`ModelError.unsupportedSetting`, naming `path`, the field, its value and what is
    /// supported) any field that would change the computation in a way we do not implement:
    /// `ConfigurationAudit` holds the rules, docs/models.md the list.
    public static func makeModel(configurationData data: Data, path: String, seed: UInt64 = 0) throws -> any LanguageModel {
        let fields: [String: JSONValue]
        do {
            guard let top = try JSONDecoder().decode(JSONValue.self, from: data).object else {
                throw ModelError.invalidConfiguration(path: path, reason: "top level is not an object")
            }
            fields = top
        } catch let e as ModelError {
            throw e
        } catch {
            throw ModelError.invalidConfiguration(path: path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let modelType = fields["model_type"]?.string else {
            throw ModelError.invalidConfiguration(path: path, reason: "missing string field 'model_type'")
        }
        switch modelType {
        case "gpt2":
            if let refused = ConfigurationAudit.gpt2(fields) { throw refused.error(path: path) }
            let config = try decode(GPT2Configuration.self, data, path)
            if let problem = config.validationProblem() { throw ModelError.invalidConfiguration(path: path, reason: problem) }
            return GPT2LMHeadModel(config, seed: seed)
        case "llama", "qwen2", "qwen3", "mistral", "phi3", "olmo2":
            if let refused = ConfigurationAudit.llamaFamily(fields, modelType: modelType) { throw refused.error(path: path) }
            let config = try decode(LlamaConfiguration.self, data, path)
            if let problem = config.validationProblem() { throw ModelError.invalidConfiguration(path: path, reason: problem) }
            if let scaling = config.ropeScalingType, !ConfigurationAudit.ropeTypes.contains(scaling) {
                throw ModelError.unsupportedSetting(path: path, field: "rope_scaling.rope_type", value: scaling,
                                                   supported: ConfigurationAudit.ropeTypes.sorted().joined(separator: ", "))
            }
            return LlamaForCausalLM(config, seed: seed)
        default:
            throw ModelError.unsupportedArchitecture(path: path, modelType: modelType, supported: supportedTypes)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ path: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw ModelError.invalidConfiguration(path: path, reason: "field '\(field)': \(ctx.debugDescription)")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw ModelError.invalidConfiguration(path: path, reason: ctx.debugDescription)
        } catch {
            throw ModelError.invalidConfiguration(path: path, reason: "\(error)")
        }
    }

    /// Loads a Hugging Face model folder (config + safetensors weights).
    public static func load(folder: URL) throws -> any LanguageModel {
        let configURL = folder.appendingPathComponent("config.json")
        let path = configURL.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError.cannotRead(path: path, reason: "no such file")
        }
        // Every parameter is assigned strictly below (or the load fails), so skip the random values.
        let model = try ParameterInitialization.$skipsRandomValues.withValue(true) { try makeModel(configurationData: data, path: path) }
        let weights = try readWeights(folder: folder)
        try assign(weights, to: model, path: folder.path)
        return model
    }

    /// All tensors of a folder's safetensors weights (single file, sharded index, or every file;
    /// `ShardedSafeTensors` documents the lookup order).
    public static func readWeights(folder: URL) throws -> [String: Tensor] {
        do {
            return try ShardedSafeTensors(folder: folder).loadAll()
        } catch let e {
            if case .noCheckpointFound = e { throw ModelError.noWeights(path: folder.path) }
            throw ModelError.cannotRead(path: folder.path, reason: e.description)
        }
    }

    /// Strictly assigns checkpoint tensors (Hugging Face names/layouts) to a model.
    public static func assign(_ weights: [String: Tensor], to model: any LanguageModel, path: String) throws {
        let sanitized: [String: Tensor]
        switch model {
        case let g as GPT2LMHeadModel: sanitized = g.sanitize(weights)
        case let l as LlamaForCausalLM: sanitized = l.sanitize(weights)
        default: sanitized = weights
        }
        do {
            try model.load(sanitized)
        } catch let e as ParameterLoadError {
            throw ModelError.weightsMismatch(path: path, missing: e.missing, unused: e.unused,
                                             shapes: e.mismatched.map { "\($0.key): expected \($0.expected), got \($0.actual)" })
        }
    }

    /// Writes `config.json` and `model.safetensors` (F32) into `folder` (created if needed), each
    /// atomically, in the layout `transformers` loads.
    public static func save(_ model: any LanguageModel, to folder: URL, extraConfiguration: [String: Any] = [:]) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var json = try model.configurationJSON()
            for (k, v) in extraConfiguration { json[k] = v }
            let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: folder.appendingPathComponent("config.json"), options: .atomic)
            try SafeTensors.write(model.checkpointTensors(), to: folder.appendingPathComponent("model.safetensors"),
                                  metadata: ["format": "pt"])
        } catch let e as CheckpointError {
            throw ModelError.cannotWrite(path: folder.path, reason: e.description)
        } catch let e as ModelError {
            throw e
        } catch {
            throw ModelError.cannotWrite(path: folder.path, reason: error.localizedDescription)
        }
    }
}

