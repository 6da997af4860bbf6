// Building a tokenizer from GGUF tokenizer metadata (the GGUF reader lives in `Checkpoints`).
// Token types and text handling follow llama.cpp src/llama-vocab.cpp (`token_to_piece`: control and
// user-defined tokens are raw text, normal tokens are byte-level strings; `tokenizer_st_partition`:
// control, user-defined and unknown tokens are split off before pre-tokenisation).
import Foundation

/// The `tokenizer.ggml.*` metadata of a GGUF file.
public struct GGUFTokenizerMetadata: Sendable, Equatable {
    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE) or "llama" (SentencePiece BPE, scored pieces).
    public var model: String
    /// `tokenizer.ggml.pre`: llama.cpp's pre-tokenizer name ("gpt-2", "llama-bpe", "smollm", "qwen2", …).
    public var pre: String?
    /// `tokenizer.ggml.tokens`.
    public var tokens: [String]
    /// `tokenizer.ggml.token_type` (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
    public var tokenTypes: [Int]?
    /// `tokenizer.ggml.merges`: "left right" strings.
    public var merges: [String]
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    public var unknownTokenID: Int?
    public var paddingTokenID: Int?
    /// `tokenizer.ggml.add_bos_token` / `add_eos_token` (nil: llama.cpp's default for `pre`).
    public var addBOSToken: Bool?
    public var addEOSToken: Bool?
    /// `tokenizer.chat_template`.
    public var chatTemplate: String?
    /// `tokenizer.ggml.scores`: the pieces' scores ("llama" model: higher merges first).
    public var scores: [Float]?
    /// `tokenizer.ggml.add_space_prefix` ("llama" model; nil: true, llama.cpp's default).
    public var addSpacePrefix: Bool?

    public init(model: String = "gpt2", pre: String?, tokens: [String], tokenTypes: [Int]? = nil, merges: [String],
                bosTokenID: Int? = nil, eosTokenID: Int? = nil, unknownTokenID: Int? = nil, paddingTokenID: Int? = nil,
                addBOSToken: Bool? = nil, addEOSToken: Bool? = nil, chatTemplate: String? = nil, scores: [Float]? = nil,
                addSpacePrefix: Bool? = nil)
    {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.unknownTokenID = unknownTokenID
        self.paddingTokenID = paddingTokenID
        self.addBOSToken = addBOSToken
        self.addEOSToken = addEOSToken
        self.chatTemplate = chatTemplate
        self.scores = scores
        self.addSpacePrefix = addSpacePrefix
    }

    public enum TokenType: Int, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }
}

extension Tokenizer {
    /// A tokenizer from GGUF metadata. `file` names the source in errors.
    public convenience init(gguf meta: GGUFTokenizerMetadata, file: String = "GGUF metadata") throws {
        if meta.model == "llama" {
            try self.init(sentencePiece: meta, file: file)
            return
        }
        guard meta.model == "gpt2" else {
            throw TokenizerError.unsupported(file: file, path: "tokenizer.ggml.model",
                                             feature: "tokenizer model \(meta.model.debugDescription) (\"gpt2\", byte-level BPE, and \"llama\", SentencePiece BPE, are implemented)")
        }
        guard let pre = LlamaCppPreTokenizer.named(meta.pre) else {
            throw TokenizerError.unsupported(file: file, path: "tokenizer.ggml.pre",
                                             feature: "llama.cpp pre-tokenizer \((meta.pre ?? "").debugDescription)")
        }
        if let types = meta.tokenTypes, types.count != meta.tokens.count {
            throw TokenizerError.invalidValue(file: file, path: "tokenizer.ggml.token_type",
                                              reason: "\(types.count) types for \(meta.tokens.count) tokens")
        }
        let n = meta.tokens.count
        var tokenBytes = [[UInt8]?](repeating: nil, count: n)
        var tokenStrings = [String?](repeating: nil, count: n)
        var spellingToID: [TokenBytes: Int] = [:]
        spellingToID.reserveCapacity(n)
        var added: [AddedToken] = []
        for (id, text) in meta.tokens.enumerated() {
            let type = GGUFTokenizerMetadata.TokenType(rawValue: meta.tokenTypes?[id] ?? 1) ?? .normal
            tokenStrings[id] = text
            switch type {
            case .control, .userDefined, .unknown:
                tokenBytes[id] = Array(text.utf8)
                added.append(AddedToken(id: id, content: text, special: type != .userDefined, normalized: false))
            default:
                tokenBytes[id] = ByteLevel.decodeOrUTF8(text)
            }
            if spellingToID[TokenBytes(text)] == nil { spellingToID[TokenBytes(text)] = id }
        }
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(meta.merges.count)
        for (i, line) in meta.merges.enumerated() {
            guard let pair = Tokenizer.splitMergeLine(line) else {
                throw TokenizerError.invalidValue(file: file, path: "tokenizer.ggml.merges[\(i)]",
                                                  reason: "expected \"left right\", found \(line.debugDescription)")
            }
            pairs.append(pair)
        }
        let merges = try BPEModel.resolveMerges(pairs, vocabByString: { spellingToID[TokenBytes($0)] }) { index, token in
            .unknownToken(file: file, path: "tokenizer.ggml.merges[\(index)]", token: token)
        }
        let (bos, eos, unk, pad) = try meta.specialIDs(file: file)
        let model = BPEModel(tokenBytes: tokenBytes, tokenStrings: tokenStrings, merges: merges, isByteLevel: true,
                             unknownTokenID: nil, fuseUnknown: false, byteFallback: false, ignoreMerges: pre.ignoreMerges)

        // addSpecialTokens: BOS / EOS as llama.cpp adds them.
        let post = meta.affixes(bos: bos, eos: eos, addBOSByDefault: pre.addBOS)
        try self.init(model: model, preTokenizer: pre.preTokenizer, postProcessor: post, decoder: .byteLevel,
                      addedTokens: added, bosToken: bos.map { meta.tokens[$0] }, eosToken: eos.map { meta.tokens[$0] },
                      padToken: pad.map { meta.tokens[$0] }, unkToken: unk.map { meta.tokens[$0] },
                      chatTemplate: meta.chatTemplate)
    }
}

extension GGUFTokenizerMetadata {
    /// BOS, EOS, unknown and padding ids, each checked to name a token.
    func specialIDs(file: String) throws -> (bos: Int?, eos: Int?, unknown: Int?, padding: Int?) {
        let n = tokens.count
        func checkID(_ id: Int?, _ key: String) throws -> Int? {
            guard let id else { return nil }
            guard id >= 0, id < n else {
                throw TokenizerError.invalidValue(file: file, path: key, reason: "token id \(id) outside 0..<\(n)")
            }
            return id
        }
        return (try checkID(bosTokenID, "tokenizer.ggml.bos_token_id"), try checkID(eosTokenID, "tokenizer.ggml.eos_token_id"),
                try checkID(unknownTokenID, "tokenizer.ggml.unknown_token_id"), try checkID(paddingTokenID, "tokenizer.ggml.padding_token_id"))
    }

    /// The post-processor that adds BOS / EOS as llama.cpp does with `add_special` (`add_bos_token` /
    /// `add_eos_token`, else the vocabulary type's default), nil when it adds nothing.
    func affixes(bos: Int?, eos: Int?, addBOSByDefault: Bool) -> PostProcessor? {
        var single: [TemplatePiece] = []
        var specials: [TemplateSpecialToken] = []
        if addBOSToken ?? addBOSByDefault, let bos {
            single.append(.specialToken(id: tokens[bos], typeID: 0))
            specials.append(TemplateSpecialToken(id: tokens[bos], ids: [bos], tokens: [tokens[bos]]))
        }
        single.append(.sequence(id: "A", typeID: 0))
        if addEOSToken ?? false, let eos {
            single.append(.specialToken(id: tokens[eos], typeID: 0))
            if !specials.contains(where: { $0.id == tokens[eos] }) {
                specials.append(TemplateSpecialToken(id: tokens[eos], ids: [eos], tokens: [tokens[eos]]))
            }
        }
        return single.count > 1 ? .template(single: single, pair: [], specialTokens: specials) : nil
    }
}
