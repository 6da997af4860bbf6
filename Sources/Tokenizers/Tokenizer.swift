// The tokenizer: added tokens → normaliser → pre-tokenizer → BPE → post-processor, and back
// through the decoder; the same pipeline as huggingface/tokenizers (`TokenizerImpl::encode_single_
// sequence`, `decode`), loaded from tokenizer.json, GPT-2 vocab.json + merges.txt, or GGUF metadata.
import Support
import Foundation

/// The result of encoding one text.
public struct Encoding: Sendable, Equatable {
    /// Token ids.
    public var ids: [Int]
    /// For each token, the byte range of the input's UTF-8 that it covers (exact bytes: a token
    /// holding part of a multi-byte character covers just those bytes, where `tokenizers` reports
    /// the whole character). Without a normaliser the ranges of consecutive tokens partition the
    /// text, except that an inserted prefix space (ByteLevel `add_prefix_space`, Metaspace) shares
    /// the range of the first character, as in `tokenizers`; a normaliser maps each output byte to
    /// the source character(s) it came from. Tokens added by the post-processor (BOS, EOS) have an
    /// empty range where they were inserted.
    public var offsets: [Range<Int>]
    /// For each token, whether it is a special token (matched in the text or added around it).
    public var specialTokensMask: [Bool]

    public init(ids: [Int] = [], offsets: [Range<Int>] = [], specialTokensMask: [Bool] = []) {
        self.ids = ids
        self.offsets = offsets
        self.specialTokensMask = specialTokensMask
    }

    public var count: Int { ids.count }
}

/// A byte-level BPE tokenizer (GPT-2, Llama-3, Qwen2, SmolLM, …). Immutable and thread-safe.
public final class Tokenizer: Sendable {
    public let model: BPEModel
    public let normalizer: Normalizer?
    public let preTokenizer: PreTokenizer?
    public let postProcessor: PostProcessor?
    public let decoder: TokenDecoder?
    /// Added tokens in declaration order (special and not).
    public let addedTokens: [AddedToken]
    /// Special token strings, when known (from `tokenizer_config.json`, GGUF metadata or defaults).
    public let bosToken: String?
    public let eosToken: String?
    public let padToken: String?
    public let unkToken: String?
    /// The chat template source (Jinja) from `tokenizer_config.json`, `chat_template.jinja` or GGUF.
    public let chatTemplateSource: String?

    private let normalizerPipeline: NormalizerPipeline?
    private let preTokenizerPipeline: PreTokenizerPipeline?
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    private let addedByID: [Int: AddedToken]
    private let addedByContent: [TokenBytes: Int]
    private let specialIDs: Set<Int>
    private let affixes: (prefix: [Int], suffix: [Int])
    private let fastByteDecoding: Bool
    private let maxID: Int

    /// Assembles a tokenizer from its parts. `file` labels errors (e.g. a regex that does not
    /// compile); `jsonRoot` lets those errors carry JSON paths when the parts came from a file.
    public convenience init(model: BPEModel, normalizer: Normalizer? = nil, preTokenizer: PreTokenizer? = nil,
                            postProcessor: PostProcessor? = nil, decoder: TokenDecoder? = nil,
                            addedTokens: [AddedToken] = [], bosToken: String? = nil, eosToken: String? = nil,
                            padToken: String? = nil, unkToken: String? = nil, chatTemplate: String? = nil) throws
    {
        try self.init(model: model, normalizer: normalizer, preTokenizer: preTokenizer, postProcessor: postProcessor,
                      decoder: decoder, addedTokens: addedTokens, bosToken: bosToken, eosToken: eosToken,
                      padToken: padToken, unkToken: unkToken, chatTemplate: chatTemplate, jsonRoot: nil)
    }

    init(model: BPEModel, normalizer: Normalizer?, preTokenizer: PreTokenizer?, postProcessor: PostProcessor?,
         decoder: TokenDecoder?, addedTokens: [AddedToken], bosToken: String?, eosToken: String?, padToken: String?,
         unkToken: String?, chatTemplate: String?, jsonRoot: JSONNode?) throws
    {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.addedTokens = addedTokens
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.padToken = padToken
        self.unkToken = unkToken
        self.chatTemplateSource = chatTemplate
        self.normalizerPipeline = try normalizer.map { try NormalizerPipeline($0, node: jsonRoot?["normalizer"]) }
        self.preTokenizerPipeline = try preTokenizer.map { try PreTokenizerPipeline($0, node: jsonRoot?["pre_tokenizer"]) }
        self.rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized })
        self.normalizedMatcher = AddedTokenMatcher(addedTokens.filter { $0.normalized })
        var byID: [Int: AddedToken] = [:]
        for token in addedTokens { byID[token.id] = token }
        self.addedByID = byID
        var byContent: [TokenBytes: Int] = [:]
        for token in addedTokens where byContent[TokenBytes(token.content)] == nil { byContent[TokenBytes(token.content)] = token.id }
        self.addedByContent = byContent
        self.specialIDs = Set(addedTokens.filter(\.special).map(\.id))
        self.affixes = postProcessor?.singleSequenceAffixes ?? ([], [])
        self.fastByteDecoding = decoder?.isPureByteLevel ?? false
        self.maxID = max(model.count - 1, addedTokens.map(\.id).max() ?? -1)
    }

    // MARK: Vocabulary

    /// Number of ids: one more than the highest id of the model or of an added token.
    public var vocabularySize: Int { maxID + 1 }

    /// The id of `token`, spelled as in the vocabulary file (byte-level spelling such as "Ġthe" for
    /// byte-level models) or as an added token's content.
    public func tokenToID(_ token: String) -> Int? {
        let utf8 = Array(token.utf8)
        if let id = addedByContent[TokenBytes(utf8)] { return id }
        let bytes = model.isByteLevel ? ByteLevel.decodeOrUTF8(token) : utf8
        return model.vocab[TokenBytes(bytes)]
    }

    /// The id of the token made of exactly these bytes, if any.
    public func tokenToID(bytes: [UInt8]) -> Int? {
        if let id = model.vocab[TokenBytes(bytes)] { return id }
        return addedByContent[TokenBytes(bytes)]
    }

    /// The token for `id` as spelled in the vocabulary (added tokens: their content).
    public func idToToken(_ id: Int) -> String? {
        if let added = addedByID[id] { return added.content }
        guard id >= 0, id < model.count else { return nil }
        return model.tokenStrings[id]
    }

    /// The bytes that `id` decodes to (for added tokens outside the model: their content's bytes).
    public func tokenBytes(for id: Int) -> [UInt8]? {
        if id >= 0, id < model.count, let bytes = model.tokenBytes[id] { return bytes }
        guard let added = addedByID[id] else { return nil }
        return model.isByteLevel ? ByteLevel.decodeOrUTF8(added.content) : Array(added.content.utf8)
    }

    /// Whether `id` is a special added token.
    public func isSpecialToken(_ id: Int) -> Bool { specialIDs.contains(id) }

    /// Ids of all special added tokens.
    public var specialTokenIDs: Set<Int> { specialIDs }

    public var bosTokenID: Int? { bosToken.flatMap(tokenToID) }
    public var eosTokenID: Int? { eosToken.flatMap(tokenToID) }
    public var padTokenID: Int? { padToken.flatMap(tokenToID) }
    public var unkTokenID: Int? { unkToken.flatMap(tokenToID) ?? model.unknownTokenID }

    // MARK: Encoding

    /// Token ids for `text`.
    /// - Parameters:
    ///   - addSpecialTokens: add what the post-processor adds (e.g. BOS for Llama-3).
    ///   - parseSpecialTokens: recognise special tokens written in `text` (`tokenizers`' default);
    ///     with false they are encoded as ordinary text (llama.cpp's `parse_special = false`).
    public func encode(_ text: String, addSpecialTokens: Bool = false, parseSpecialTokens: Bool = true) -> [Int] {
        var out = Output(withOffsets: false)
        encode(text, addSpecialTokens: addSpecialTokens, parseSpecialTokens: parseSpecialTokens, into: &out)
        return out.encoding.ids
    }

    /// Token ids with the byte range each token covers in `text`'s UTF-8 (for credit heatmaps and
    /// span annotations).
    public func encodeWithOffsets(_ text: String, addSpecialTokens: Bool = false, parseSpecialTokens: Bool = true) -> Encoding {
        var out = Output(withOffsets: true)
        encode(text, addSpecialTokens: addSpecialTokens, parseSpecialTokens: parseSpecialTokens, into: &out)
        return out.encoding
    }

    /// Encodes many texts in parallel; the result is in input order.
    public func encodeBatch(_ texts: [String], addSpecialTokens: Bool = false, parseSpecialTokens: Bool = true) -> [[Int]] {
        let results = ResultBox<[Int]>(count: texts.count)
        DispatchQueue.concurrentPerform(iterations: texts.count) { i in
            results.set(i, encode(texts[i], addSpecialTokens: addSpecialTokens, parseSpecialTokens: parseSpecialTokens))
        }
        return results.values
    }

    /// Pre-tokens of `text` (after added-token splitting and normalisation) as strings with their
    /// original byte ranges. Useful to debug a pre-tokenizer; added tokens are not included.
    public func preTokenize(_ text: String) -> [(text: String, range: Range<Int>)] {
        let bytes = Array(text.utf8)
        var result: [(text: String, range: Range<Int>)] = []
        for segment in rawMatcher.split(bytes) where segment.token == nil {
            let piece = AlignedText(bytes: Array(bytes[segment.range]), base: segment.range.lowerBound)
            let normalized = normalizerPipeline?.run(piece) ?? piece
            for inner in normalizedMatcher.split(normalized.bytes) where inner.token == nil {
                let part = inner.range == 0 ..< normalized.count ? normalized : normalized.slice(inner.range)
                for word in preTokenizerPipeline?.run(part) ?? (part.isEmpty ? [] : [part]) {
                    result.append((word.string, word.originalRange(0 ..< word.count)))
                }
            }
        }
        return result
    }

    private struct Output {
        let withOffsets: Bool
        var encoding = Encoding()

        init(withOffsets: Bool) { self.withOffsets = withOffsets }

        mutating func append(_ id: Int, _ range: @autoclosure () -> Range<Int>, special: Bool) {
            encoding.ids.append(id)
            if withOffsets {
                encoding.offsets.append(range())
                encoding.specialTokensMask.append(special)
            }
        }
    }

    private func encode(_ text: String, addSpecialTokens: Bool, parseSpecialTokens: Bool, into out: inout Output) {
        let bytes = Array(text.utf8)
        if addSpecialTokens {
            for id in affixes.prefix { out.append(id, 0 ..< 0, special: true) }
        }
        for segment in rawMatcher.split(bytes, skipSpecial: !parseSpecialTokens) {
            if let index = segment.token {
                let token = rawMatcher.tokens[index]
                out.append(token.id, segment.range, special: token.special)
            } else {
                let piece = AlignedText(bytes: Array(bytes[segment.range]), base: segment.range.lowerBound)
                encodeText(piece, parseSpecialTokens: parseSpecialTokens, into: &out)
            }
        }
        if addSpecialTokens {
            for id in affixes.suffix { out.append(id, bytes.count ..< bytes.count, special: true) }
        }
    }

    private func encodeText(_ text: AlignedText, parseSpecialTokens: Bool, into out: inout Output) {
        let normalized = normalizerPipeline?.run(text) ?? text
        let segments = normalizedMatcher.isEmpty
            ? [AddedTokenMatcher.Segment(range: 0 ..< normalized.count, token: nil)]
            : normalizedMatcher.split(normalized.bytes, skipSpecial: !parseSpecialTokens)
        for segment in segments {
            if let index = segment.token {
                let token = normalizedMatcher.tokens[index]
                out.append(token.id, normalized.originalRange(segment.range), special: token.special)
                continue
            }
            let part = segment.range == 0 ..< normalized.count ? normalized : normalized.slice(segment.range)
            if part.isEmpty { continue }
            let words = preTokenizerPipeline?.run(part) ?? [part]
            for word in words {
                for token in model.tokenize(word.bytes) {
                    out.append(Int(token.id), word.originalRange(Int(token.start) ..< Int(token.end)), special: false)
                }
            }
        }
    }

    // MARK: Decoding

    /// The text for `ids`. Unknown ids are skipped; with `skipSpecialTokens`, special added tokens too.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        let kept = ids.filter { id in
            !(skipSpecialTokens && specialIDs.contains(id)) && id >= 0 && id <= maxID
        }
        if fastByteDecoding {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(kept.count * 4)
            for id in kept {
                if let b = tokenBytes(for: id) { bytes += b }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let strings = kept.compactMap { idToToken($0) }
        guard let decoder else { return strings.joined(separator: " ") }  // tokenizers without a decoder
        return decoder.decode(strings).joined()
    }

    /// Decodes each sequence of `batch`.
    public func decodeBatch(_ batch: [[Int]], skipSpecialTokens: Bool = false) -> [String] {
        batch.map { decode($0, skipSpecialTokens: skipSpecialTokens) }
    }
}

/// Per-index result slots written from `concurrentPerform` (each index exactly once).
final class ResultBox<T>: @unchecked Sendable {
    // @unchecked: each slot is written by one iteration only, and read after all have finished.
    private let pointer: UnsafeMutablePointer<T?>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: nil, count: count)
    }

    deinit {
        pointer.deinitialize(count: count)
        pointer.deallocate()
    }

    func set(_ index: Int, _ value: T) { pointer[index] = value }

    var values: [T] { (0 ..< count).map { pointer[$0]! } }
}
