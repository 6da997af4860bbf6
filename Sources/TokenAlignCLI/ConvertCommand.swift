// `tokenalign convert`: a GGUF (or any loadable model) → a Hugging Face folder transformers loads.
import ArgumentParser
import Foundation
import Models

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "convert",
        abstract: "Write a model (a .gguf file or a folder) as a Hugging Face folder: config.json, model.safetensors, tokenizer.json, tokenizer_config.json.")
    @OptionGroup var model: ModelArguments
    @Option(help: "Output folder.") var out: String

    func run() throws {
        let loaded = try model.load()
        try loaded.save(to: URL(fileURLWithPath: out))
        FileHandle.standardError.write(Data("wrote \(out) (\(loaded.model.parameterCount()) parameters\(loaded.tokenizer == nil ? ", no tokenizer" : ""))\n".utf8))
    }
}
