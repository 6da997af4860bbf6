// `tokenalign tokenizer encode | decode | train`.
import ArgumentParser
import Foundation
import Tokenizers

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenizer", abstract: "Encode, decode or train tokenizers.",
                                                    subcommands: [Encode.self, Decode.self, Train.self])

    /// The tokenizer and the JSONL files `encode` and `decode` read and write.
    struct RowFiles: ParsableArguments {
        @Option(help: "A tokenizer.json, a model folder or a .gguf file.") var tokenizer: String
        @Option(help: "Input JSONL.") var input: String
        @Option(help: "Output JSONL.") var output: String
    }

    struct Encode: RowMappingCommand {
        static let configuration = CommandConfiguration(abstract: "JSONL rows {\"text\": …} → {\"ids\": […]}.")
        @OptionGroup var files: RowFiles
        @Flag(help: "Add the tokenizer's special tokens (e.g. BOS).") var addSpecialTokens = false

        func row(_ tok: Tokenizer, line: Int, _ obj: [String: Any]) throws -> [String: Any] {
            guard let text = obj["text"] as? String else { throw InputDataError("\(files.input):\(line): expected a string field 'text'") }
            return ["ids": tok.encode(text, addSpecialTokens: addSpecialTokens)]
        }
    }

    struct Decode: RowMappingCommand {
        static let configuration = CommandConfiguration(abstract: "JSONL rows {\"ids\": […]} → {\"text\": …}.")
        @OptionGroup var files: RowFiles
        @Flag(help: "Leave special tokens out of the text.") var skipSpecialTokens = false

        func row(_ tok: Tokenizer, line: Int, _ obj: [String: Any]) throws -> [String: Any] {
            guard let ids = obj["ids"] as? [Int], ids.allSatisfy({ $0 >= 0 && $0 < tok.vocabularySize }) else {
                throw InputDataError("\(files.input):\(line): field 'ids' must be an array of ids in 0..<\(tok.vocabularySize)")
            }
            return ["text": tok.decode(ids, skipSpecialTokens: skipSpecialTokens)]
        }
    }

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Train a byte-level BPE tokenizer on text and write tokenizer.json.")
        @Option(help: "Text files, or JSONL files with a 'text' field per row.") var input: [String]
        @Option(help: "Output tokenizer.json.") var output: String
        @Option(help: "Target vocabulary size (including the 256 byte tokens and special tokens).") var vocabSize: Int = 4096
        @Option(help: "Special tokens, added first (repeatable).") var special: [String] = []
        @Option(help: "Minimum pair frequency for a merge.") var minFrequency: Int = 2

        func validate() throws {
            guard vocabSize > 256 + special.count else { throw ValidationError("--vocab-size must exceed 256 + the special tokens") }
        }

        func run() throws {
            var corpus: [String] = []
            for path in input {
                if path.hasSuffix(".jsonl") {
                    for (line, obj) in try readJSONL(path) {
                        guard let t = obj["text"] as? String else { throw InputDataError("\(path):\(line): expected a string field 'text'") }
                        corpus.append(t)
                    }
                } else {
                    guard let data = FileManager.default.contents(atPath: path) else { throw InputDataError("\(path): cannot read file") }
                    corpus += String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                }
            }
            let trainer = BPETrainer(vocabularySize: vocabSize, specialTokens: special, minFrequency: minFrequency)
            let progress = ProgressLine(label: "merges")
            let tok = try trainer.train(corpus) { p in progress.update(p.merges, of: p.maxMerges) }
            progress.finish()
            try tok.save(to: URL(fileURLWithPath: output))
            FileHandle.standardError.write(Data("vocabulary \(tok.vocabularySize) → \(output)\n".utf8))
        }
    }
}

/// `encode` and `decode`: one loop, every input row mapped to one output row by `row`.
protocol RowMappingCommand: ParsableCommand {
    var files: TokenizerCommand.RowFiles { get }
    /// The output row of an input row (errors name input:line).
    func row(_ tok: Tokenizer, line: Int, _ obj: [String: Any]) throws -> [String: Any]
}

extension RowMappingCommand {
    func run() throws {
        let tok = try loadTokenizer(files.tokenizer)
        var out: [[String: Any]] = []
        for (line, obj) in try readJSONL(files.input) { out.append(try row(tok, line: line, obj)) }
        try writeJSONL(out, to: files.output)
    }
}
