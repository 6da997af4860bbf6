// One entry point for "a model the user pointed at": a Hugging Face folder or a `.gguf` file,
// with its tokenizer when the source has one.
import Checkpoints
import Foundation
import Support
import Tokenizers

public struct PretrainedModel {
    public var model: any LanguageModel
    /// nil for a folder without tokenizer files (callers that pass token ids don't need one).
    public var tokenizer: Tokenizer?
    /// Where it was loaded from.
    public var source: URL
    /// How the matrices are stored (`--weights`); empty for float32.
    public var weightReport = WeightFormatReport()

    public init(model: any LanguageModel, tokenizer: Tokenizer?, source: URL) {
        self.model = model
        self.tokenizer = tokenizer
        self.source = source
    }

    /// Loads `path`: a `.gguf` file (tokenizer from its metadata) or a folder (`config.json` +
    /// safetensors, tokenizer files if present), its matrices stored as `weights` says
    /// (`WeightFormat`; float32 by default).
    public static func load(path: String, weights: WeightFormat = .f32) throws -> PretrainedModel {
        var loaded = try loadFloatOrKept(path: path, weights: weights)
        loaded.weightReport = try weights.convert(loaded.model, loadedFrom: loaded.source, fileReport: loaded.weightReport)
        return loaded
    }

    private static func loadFloatOrKept(path: String, weights: WeightFormat) throws -> PretrainedModel {
        let url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw ModelError.cannotRead(path: url.path, reason: "no such file or folder")
        }
        if isDir.boolValue {
            let model = try ModelRegistry.load(folder: url)
            let hasTokenizer = ["tokenizer.json", "vocab.json"].contains {
                FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path)
            }
            let tokenizer = hasTokenizer ? try Tokenizer(directory: url) : nil
            return PretrainedModel(model: model, tokenizer: tokenizer, source: url)
        }
        guard url.pathExtension.lowercased() == "gguf" else {
            throw ModelError.cannotRead(path: url.path, reason: "expected a model folder or a .gguf file")
        }
        let (model, report) = try ModelRegistry.loadReporting(gguf: url, weights: weights == .keep ? .keep : .f32)
        let gguf: GGUFFile
        do { gguf = try GGUFFile(url: url) } catch { throw ModelError.cannotRead(path: url.path, reason: error.description) }
        let tokenizer = try Tokenizer(gguf: try ggufTokenizerMetadata(gguf), file: url.lastPathComponent)
        var loaded = PretrainedModel(model: model, tokenizer: tokenizer, source: url)
        loaded.weightReport = report
        return loaded
    }

    /// The `tokenizer.ggml.*` metadata of a GGUF file.
    public static func ggufTokenizerMetadata(_ gguf: GGUFFile) throws -> GGUFTokenizerMetadata {
        let m = gguf.metadata
        guard let tokens = m["tokenizer.ggml.tokens"]?.stringArray else {
            throw ModelError.invalidConfiguration(path: gguf.url.path, reason: "missing string array 'tokenizer.ggml.tokens'")
        }
        return GGUFTokenizerMetadata(
            model: m["tokenizer.ggml.model"]?.string ?? "gpt2", pre: m["tokenizer.ggml.pre"]?.string, tokens: tokens,
            tokenTypes: m["tokenizer.ggml.token_type"]?.intArray, merges: m["tokenizer.ggml.merges"]?.stringArray ?? [],
            bosTokenID: m["tokenizer.ggml.bos_token_id"]?.int, eosTokenID: m["tokenizer.ggml.eos_token_id"]?.int,
            unknownTokenID: m["tokenizer.ggml.unknown_token_id"]?.int, paddingTokenID: m["tokenizer.ggml.padding_token_id"]?.int,
            addBOSToken: m["tokenizer.ggml.add_bos_token"]?.bool, addEOSToken: m["tokenizer.ggml.add_eos_token"]?.bool,
            chatTemplate: m["tokenizer.chat_template"]?.string, scores: m["tokenizer.ggml.scores"]?.floatArray,
            addSpacePrefix: m["tokenizer.ggml.add_space_prefix"]?.bool)
    }

    /// Writes a Hugging Face folder: `config.json`, `model.safetensors`, and (with a tokenizer)
    /// `tokenizer.json` and `tokenizer_config.json` carrying the chat template and special tokens.
    /// The folder appears whole or not at all (`ModelRegistry.exporting`); `amend`, when given,
    /// edits the files in the temporary folder before it is renamed into place (the reward head of
    /// `Trainer.saveModel`).
    public func save(to folder: URL, amend: ((URL) throws -> Void)? = nil) throws {
        try ModelRegistry.checkSavable(model, to: folder)  // before anything is written
        var extra: [String: Any] = [:]
        if let t = tokenizer {
            if let b = t.bosTokenID { extra["bos_token_id"] = b }
            if let e = t.eosTokenID { extra["eos_token_id"] = e }
        }
        try ModelRegistry.exporting(to: folder) { tmp in
            try ModelRegistry.writeFiles(model, into: tmp, extraConfiguration: extra)
            if let t = tokenizer {
                try t.save(to: tmp.appendingPathComponent("tokenizer.json"))
                FolderWriteHook.pause()
                var config: [String: Any] = ["tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": false,
                                             "model_max_length": model.maxPositions]
                if let s = t.bosToken { config["bos_token"] = s }
                if let s = t.eosToken { config["eos_token"] = s }
                if let s = t.padToken { config["pad_token"] = s }
                if let s = t.unkToken { config["unk_token"] = s }
                if let s = t.chatTemplateSource { config["chat_template"] = s }
                let data = try configurationText(config)
                try data.write(to: tmp.appendingPathComponent("tokenizer_config.json"))
                FolderWriteHook.pause()
            }
            try amend?(tmp)
        }
    }
}
