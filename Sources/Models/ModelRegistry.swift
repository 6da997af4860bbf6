// Building models by `model_type`, loading Hugging Face folders strictly, and saving them back.
//
// A folder holds `config.json` and `model.safetensors` (or a sharded index, or other
// `*.safetensors`). Tokenizer files are optional: callers that pass token ids don't need them.
// Loading is strict (mlx-swift-lm's `verify: [.all]`): every checkpoint key must be used, every
// parameter set, every shape right; problems are listed by name in one error.
import Checkpoints
import Foundation
import Support
import NN
import TensorCore

public enum ModelRegistry {
    /// `model_type` values we can build.
    public static let supportedTypes = ["gpt2", "llama", "qwen2", "qwen3", "mistral", "phi3", "olmo2", "gemma2", "gemma3_text"]

    /// A randomly initialised model for a `config.json` dictionary's contents.
    ///
    /// Refuses (`ModelError.unsupportedSetting`, naming `path`, the field, its value and what is
    /// supported) any field that would change the computation in a way we do not implement:
    /// `ConfigurationAudit` holds the rules, docs/models.md the list.
    public static func makeModel(configurationData data: Data, path: String, seed: UInt64 = 0) throws -> any LanguageModel {
        let (spec, present) = try specification(configurationData: data, path: path)
        try spec.checkMemory(copies: 1, path: path, present: present)
        return spec.build(seed: seed)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ path: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw ModelError.invalidConfiguration(path: path, reason: "field '\(field)': \(ctx.debugDescription)")
        } catch let DecodingError.dataCorrupted(ctx) {
            // e.g. an integer beyond Int64: valid JSON, a value we cannot hold; name the field.
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw ModelError.invalidConfiguration(path: path, reason: (field.isEmpty ? "" : "field '\(field)': ") + ctx.debugDescription)
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
        // Check before allocate: sizes, memory (the model and the loaded tensors), then the weight
        // files' headers against the configuration; only then build and read.
        let (spec, present) = try specification(configurationData: data, path: path)
        try spec.checkMemory(copies: 2, path: path, present: present)
        let checkpoint: ShardedSafeTensors
        do {
            checkpoint = try ShardedSafeTensors(folder: folder)
        } catch let e {
            if case .noCheckpointFound = e { throw ModelError.noWeights(path: folder.path) }
            throw ModelError.cannotRead(path: folder.path, reason: e.description)
        }
        let shapes = Dictionary(checkpoint.tensorNames.compactMap { n in checkpoint.info(n).map { (n, $0.shape) } },
                                uniquingKeysWith: { a, _ in a })
        try WeightShapeCheck.check(spec, shapes: shapes, configurationPath: path,
                                   weights: { checkpoint.shard(containing: $0)?.url.lastPathComponent ?? "the weights" })
        // Every parameter is assigned strictly below (or the load fails), so skip the random values.
        let model = ParameterInitialization.$skipsRandomValues.withValue(true) { spec.build(seed: 0) }
        let weights: [String: Tensor]
        do { weights = try checkpoint.loadAll() } catch let e { throw ModelError.cannotRead(path: folder.path, reason: e.description) }
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
        case let g as GemmaForCausalLM: sanitized = g.sanitize(weights)
        default: sanitized = weights
        }
        do {
            try model.load(sanitized)
        } catch let e as ParameterLoadError {
            throw ModelError.weightsMismatch(path: path, missing: e.missing, unused: e.unused,
                                             shapes: e.mismatched.map { "\($0.key): expected \($0.expected), got \($0.actual)" })
        }
    }

    /// The files a model export writes (`save`, `PretrainedModel.save`): an existing folder holding
    /// anything else is not replaced.
    public static let exportFiles: Set<String> = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]

    /// Writes `config.json` and `model.safetensors` (F32) as the folder `folder`, in the layout
    /// `transformers` loads, atomically (`AtomicFolder`): a reader sees the previous folder or the
    /// new one, whatever happens during the write.
    public static func save(_ model: any LanguageModel, to folder: URL, extraConfiguration: [String: Any] = [:]) throws {
        try checkSavable(model, to: folder)
        try exporting(to: folder) { tmp in try writeFiles(model, into: tmp, extraConfiguration: extraConfiguration) }
    }

    /// Runs `body` on the temporary folder of an atomic export to `folder`; errors become
    /// `ModelError.cannotWrite` naming `folder` and, in the reason, the file that failed.
    public static func exporting(to folder: URL, _ body: (URL) throws -> Void) throws {
        do {
            try AtomicFolder.write(folder, replaceable: exportFiles) { tmp in
                FolderWriteHook.begin("export-write-begin \(folder.lastPathComponent)")
                try body(tmp)
            }
        } catch let e as CheckpointError {
            throw ModelError.cannotWrite(path: folder.path, reason: e.description)
        } catch let e as ModelError {
            throw e
        } catch {
            throw ModelError.cannotWrite(path: folder.path, reason: error.localizedDescription)
        }
    }

    /// `config.json` and `model.safetensors` into `folder` (an export's temporary folder).
    public static func writeFiles(_ model: any LanguageModel, into folder: URL, extraConfiguration: [String: Any] = [:]) throws {
        var json = try model.configurationJSON()
        for (k, v) in extraConfiguration { json[k] = v }
        let data = try configurationText(json, floatKeys: model is GemmaForCausalLM ? GemmaConfiguration.floatFields : [])
        try data.write(to: folder.appendingPathComponent("config.json"))
        FolderWriteHook.pause()
        try SafeTensors.write(model.checkpointTensors(), to: folder.appendingPathComponent("model.safetensors"), metadata: ["format": "pt"])
        FolderWriteHook.pause()
    }
}

