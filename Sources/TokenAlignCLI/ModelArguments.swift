// Options shared by the commands that load a model.
import ArgumentParser
import Checkpoints
import Datasets
import Foundation
import Models
import Tokenizers

struct ModelArguments: ParsableArguments {
    @Option(name: .customLong("model"), help: "A Hugging Face model folder or a .gguf file.")
    var path: String

    @Option(help: "A tokenizer.json or tokenizer folder to use instead of the model's own.")
    var tokenizer: String?

    @Flag(help: ArgumentHelp(allowLargeHelp)) var allowLarge = false

    /// Loads the model, its matrices stored as `weights` says (float32 unless asked).
    func load(weights: WeightsOption? = nil) throws -> PretrainedModel {
        if allowLarge { ModelMemory.allowLarge = true }
        var loaded = try PretrainedModel.load(path: path, weights: weights?.weights ?? .f32)
        weights?.report(loaded)
        if let t = tokenizer { loaded.tokenizer = try loadTokenizer(t) }
        return loaded
    }
}

/// The help of `--allow-large`, on every command that loads models.
let allowLargeHelp = "Load a model even when its estimated memory exceeds the machine's physical memory (refused by default, with the estimate)."

/// A tokenizer from a `tokenizer.json`, a folder, or a `.gguf` file.
func loadTokenizer(_ path: String) throws -> Tokenizer {
    let url = URL(fileURLWithPath: path)
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
        throw ValidationError("\(path): no such file or folder")
    }
    if isDir.boolValue { return try Tokenizer(directory: url) }
    if url.pathExtension.lowercased() == "gguf" {
        let gguf = try GGUFFileLoader.open(url)
        return try Tokenizer(gguf: try PretrainedModel.ggufTokenizerMetadata(gguf), file: url.lastPathComponent)
    }
    return try Tokenizer(tokenizerJSON: url)
}

enum GGUFFileLoader {
    static func open(_ url: URL) throws -> GGUFFile {
        try GGUFFile(url: url)
    }
}

/// Reads a JSONL file: one JSON object per non-blank line; errors (`DatasetError`, exit code 65)
/// name the file and line.
func readJSONL(_ path: String) throws -> [(line: Int, object: [String: Any])] {
    try JSONLReader.read(path).map { ($0.location.line, $0.object) }
}

/// Writes one JSON object per line, atomically. A NaN or infinite number anywhere throws
/// `JSONLWriteError.nonFinite` naming the file, the row's line and the field (nothing is written).
func writeJSONL(_ rows: [[String: Any]], to path: String) throws {
    let out = try JSONLWriter.encode(rows, file: path)
    try out.write(to: URL(fileURLWithPath: path), options: .atomic)
}
