// `tokenalign score`: per-token log-probabilities and entropies of JSONL rows.
import ArgumentParser
import Foundation
import Models
import Tokenizers

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "score",
        abstract: "Score each row's tokens: log p(token | prefix) and the entropy of each prediction.",
        discussion: """
        Input rows are {"text": …}, {"prompt": …, "completion": …} or {"ids": […]}. Each output row has \
        "ids", "tokens", "logprobs" and "entropies", where logprobs[i] = log p(ids[i+1] | ids[0…i]). For \
        prompt/completion rows only the completion's tokens are scored: logprobs[j] is the log-probability \
        of the j-th completion token, and "completion_start" is its index in "ids".
        """)

    @OptionGroup var model: ModelArguments
    @OptionGroup var weights: WeightsOption
    @Option(help: "Input JSONL.") var data: String
    @Option(help: "Output JSONL.") var out: String
    @Option(help: "Rows per forward pass.") var batchSize: Int = 8
    @Flag(help: "Add the tokenizer's special tokens (e.g. BOS) when encoding text.") var addSpecialTokens = false

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() throws {
        let loaded = try model.load(weights: weights)
        let rows = try readJSONL(data)
        var sequences: [[Int]] = [], starts: [Int?] = []
        for (line, obj) in rows {
            if let ids = obj["ids"] {
                guard let arr = ids as? [Int], arr.allSatisfy({ $0 >= 0 && $0 < loaded.model.vocabularySize }) else {
                    throw InputDataError("\(data):\(line): field 'ids' must be an array of token ids in 0..<\(loaded.model.vocabularySize)")
                }
                sequences.append(arr)
                starts.append(nil)
                continue
            }
            guard let tokenizer = loaded.tokenizer else {
                throw ValidationError("\(data):\(line): text rows need a tokenizer (the model has none; pass --tokenizer)")
            }
            if let text = obj["text"] {
                guard let s = text as? String else { throw InputDataError("\(data):\(line): field 'text' must be a string") }
                sequences.append(tokenizer.encode(s, addSpecialTokens: addSpecialTokens))
                starts.append(nil)
            } else if let p = obj["prompt"], let c = obj["completion"] {
                guard let ps = p as? String, let cs = c as? String else {
                    throw InputDataError("\(data):\(line): fields 'prompt' and 'completion' must be strings")
                }
                let pids = tokenizer.encode(ps, addSpecialTokens: addSpecialTokens)
                let cids = tokenizer.encode(cs)
                sequences.append(pids + cids)
                starts.append(pids.count)
            } else {
                throw InputDataError("\(data):\(line): expected a 'text', 'ids', or 'prompt' + 'completion' row")
            }
        }
        for (i, s) in sequences.enumerated() where s.count > loaded.model.maxPositions {
            throw InputDataError("\(data):\(rows[i].line): \(s.count) tokens exceed the model's \(loaded.model.maxPositions) positions")
        }
        let scores = loaded.model.scoreTokens(sequences, batchSize: batchSize)
        var out: [[String: Any]] = []
        for (i, s) in sequences.enumerated() {
            var lp = scores[i].logprobs.map(Double.init), ent = scores[i].entropies.map(Double.init)
            var row: [String: Any] = ["ids": s]
            row["tokens"] = s.map { loaded.tokenizer?.idToToken($0) ?? "\($0)" }
            if let start = starts[i] {
                let from = max(start - 1, 0)
                lp = Array(lp.dropFirst(from))
                ent = Array(ent.dropFirst(from))
                row["completion_start"] = start
            }
            row["logprobs"] = lp
            row["entropies"] = ent
            out.append(row)
        }
        try writeJSONL(out, to: self.out)
        FileHandle.standardError.write(Data("scored \(out.count) rows → \(self.out)\n".utf8))
    }
}
