// `tokenalign tokenizer encode | decode | train`.
import ArgumentParser
import Foundation
import Tokenizers

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenizer", abstract: "Encode, decode or train tokenizers.",
                                                    subcommands: [Encode.self, Decode.self, Train.self])

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "JSONL rows {\"text\": …} → {\"ids\": […]}.")
        @Option(help: "A tokenizer.json, a model folder or a .gguf file.") var tokenizer: String
        @Option(help: "Input JSONL.") var input: String
        @Option(help: "Output JSONL.") var output: String
        @Flag(help: "Add the tokenizer's special tokens (e.g. BOS).") var addSpecialTokens = false

        func run() throws {
            let tok = try loadTokenizer(tokenizer)
            var out: [[String: Any]] = []
            for (line, obj) in try readJSONL(input) {
                guard let text = obj["text"] as? String else { throw InputDataError("\(input):\(line): expected a string field 'text'") }
                out.append(["ids": tok.encode(text, addSpecialTokens: addSpecialTokens)])
            }
            try writeJSONL(out, to: output)
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "JSONL rows {\"ids\": […]} → {\"text\": …}.")
        @Option(help: "A tokenizer.json, a model folder or a .gguf file.") var tokenizer: String
        @Option(help: "Input JSONL.") var input: String
        @Option(help: "Output JSONL.") var output: String
        @Flag(help: "Leave special tokens out of the text.") var skipSpecialTokens = false

        func run() throws {
            let tok = try loadTokenizer(tokenizer)
            var out: [[String: Any]] = []
            for (line, obj) in try readJSONL(input) {
                guard let ids = obj["ids"] as? [Int], ids.allSatisfy({ $0 >= 0 && $0 < tok.vocabularySize }) else {
                    throw InputDataError("\(input):\(line): field 'ids' must be an array of ids in 0..<\(tok.vocabularySize)")
                }
                out.append(["text": tok.decode(ids, skipSpecialTokens: skipSpecialTokens)])
            }
            try writeJSONL(out, to: output)
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
