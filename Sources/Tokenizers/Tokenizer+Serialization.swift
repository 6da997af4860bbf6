// Writing tokenizer.json in the format of huggingface/tokenizers (loadable by Python's
// `tokenizers.Tokenizer.from_file` and `transformers.PreTrainedTokenizerFast`).
import Support
import Foundation

extension Tokenizer {
    /// The tokenizer as a `tokenizer.json` document (vocabulary in id order, merges as pairs).
    public func tokenizerJSON() -> JSONValue {
        var vocab: [JSONMember] = []
        vocab.reserveCapacity(model.count)
        for (id, spelling) in model.tokenStrings.enumerated() {
            if let spelling { vocab.append(JSONMember(spelling, .integer(id))) }
        }
        let merges: [JSONValue] = model.merges.map { merge in
            .array([.string(model.tokenStrings[merge.left] ?? ""), .string(model.tokenStrings[merge.right] ?? "")])
        }
        let unk: JSONValue = model.unknownTokenID.flatMap { model.tokenStrings[safe: $0] ?? nil }.map { .string($0) } ?? .null
        let modelJSON: JSONValue = .object([
            JSONMember("type", .string("BPE")),
            JSONMember("dropout", .null),
            JSONMember("unk_token", unk),
            JSONMember("continuing_subword_prefix", .null),
            JSONMember("end_of_word_suffix", .null),
            JSONMember("fuse_unk", .bool(model.fuseUnknown)),
            JSONMember("byte_fallback", .bool(model.byteFallback)),
            JSONMember("ignore_merges", .bool(model.ignoreMerges)),
            JSONMember("vocab", .object(vocab)),
            JSONMember("merges", .array(merges)),
        ])
        return .object([
            JSONMember("version", .string("1.0")),
            JSONMember("truncation", .null),
            JSONMember("padding", .null),
            JSONMember("added_tokens", .array(addedTokens.map(\.json))),
            JSONMember("normalizer", normalizer?.json ?? .null),
            JSONMember("pre_tokenizer", preTokenizer?.json ?? .null),
            JSONMember("post_processor", postProcessor?.json ?? .null),
            JSONMember("decoder", decoder?.json ?? .null),
            JSONMember("model", modelJSON),
        ])
    }

    /// Writes `tokenizer.json` to `url` (atomically).
    public func save(to url: URL) throws {
        let text = tokenizerJSON().serialized(pretty: true) + "\n"
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw TokenizerError.unreadableFile(file: url.path, reason: "cannot write: \((error as NSError).localizedDescription)")
        }
    }
}
