// Loading tokenizers from Hugging Face files: tokenizer.json (+ tokenizer_config.json,
// chat_template.jinja) and GPT-2's vocab.json + merges.txt.
import Support
import Foundation

extension Tokenizer {
    /// Ids above this are rejected when reading vocabularies (real ones stay below 300k).
    static let maxTokenID = 1 << 22

    /// Loads a tokenizer from a folder (see `init(directory:)`) or from a `tokenizer.json` file.
    public convenience init(contentsOf url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            try self.init(directory: url)
        } else {
            try self.init(tokenizerJSON: url)
        }
    }

    /// Loads a tokenizer folder: `tokenizer.json` (or GPT-2's `vocab.json` + `merges.txt`), plus
    /// `tokenizer_config.json` (special tokens, `chat_template`) and `chat_template.jinja` if present.
    public convenience init(directory: URL) throws {
        let fm = FileManager.default
        let json = directory.appendingPathComponent("tokenizer.json")
        let config = directory.appendingPathComponent("tokenizer_config.json")
        let configURL = fm.fileExists(atPath: config.path) ? config : nil
        var template: String?
        let jinja = directory.appendingPathComponent("chat_template.jinja")
        if fm.fileExists(atPath: jinja.path) {
            template = String(decoding: try Tokenizer.read(jinja), as: UTF8.self)
        }
        if fm.fileExists(atPath: json.path) {
            try self.init(tokenizerJSON: json, config: configURL, chatTemplate: template)
            return
        }
        let vocab = directory.appendingPathComponent("vocab.json")
        let merges = directory.appendingPathComponent("merges.txt")
        if fm.fileExists(atPath: vocab.path), fm.fileExists(atPath: merges.path) {
            try self.init(gpt2Vocabulary: vocab, merges: merges)
            return
        }
        throw TokenizerError.unreadableFile(file: directory.path, reason: "no tokenizer.json (or vocab.json + merges.txt) in this folder")
    }

    /// Loads `tokenizer.json`, with special tokens and the chat template from `config`
    /// (`tokenizer_config.json`) when given. `chatTemplate` overrides the config's template.
    public convenience init(tokenizerJSON url: URL, config: URL? = nil, chatTemplate: String? = nil) throws {
        let data = try Tokenizer.read(url)
        let configData = try config.map { try Tokenizer.read($0) }
        try self.init(tokenizerJSONData: data, configData: configData, file: url.lastPathComponent,
                      configFile: config?.lastPathComponent ?? "tokenizer_config.json", chatTemplate: chatTemplate)
    }

    /// Parses `tokenizer.json` bytes (and optionally `tokenizer_config.json` bytes). `file` and
    /// `configFile` name the sources in errors.
    public convenience init(tokenizerJSONData data: Data, configData: Data? = nil, file: String = "tokenizer.json",
                            configFile: String = "tokenizer_config.json", chatTemplate: String? = nil) throws
    {
        let root = JSONNode(try JSONNode.parse(data, file: file), file: file)
        guard case .object = root.value else { throw root.invalid("expected an object, found \(root.typeName)") }
        var config: JSONNode?
        if let configData {
            let node = JSONNode(try JSONNode.parse(configData, file: configFile), file: configFile)
            guard case .object = node.value else { throw node.invalid("expected an object, found \(node.typeName)") }
            config = node
        }
        try self.init(root: root, config: config, chatTemplate: chatTemplate)
    }

    private convenience init(root: JSONNode, config: JSONNode?, chatTemplate: String?) throws {
        let normalizer = try root["normalizer"].map { try Normalizer(node: $0) }
        let preTokenizer = try root["pre_tokenizer"].map { try PreTokenizer(node: $0) }
        let postProcessor = try root["post_processor"].map { try PostProcessor(node: $0) }
        let decoder = try root["decoder"].map { try TokenDecoder(node: $0) }
        let addedTokens = try root["added_tokens"]?.array().map { try AddedToken(node: $0) } ?? []
        let isByteLevel = (preTokenizer?.isByteLevel ?? false) || (decoder.map(Tokenizer.containsByteLevel) ?? false)

        let modelNode = try root.required("model")
        let model = try Tokenizer.loadBPE(modelNode, isByteLevel: isByteLevel)

        // Special tokens: tokenizer_config.json, else what the files imply.
        func configToken(_ key: String) throws -> String? {
            guard let node = config?[key] else { return nil }
            if case .string = node.value { return try node.string() }
            return try node.required("content").string()  // {"content": …, "lstrip": …} form
        }
        var bos = try configToken("bos_token")
        let eos = try configToken("eos_token")
        let pad = try configToken("pad_token")
        var unk = try configToken("unk_token")
        if bos == nil, config == nil, let first = postProcessor?.singleSequenceAffixes.prefix.first {
            bos = addedTokens.first { $0.id == first }?.content ?? model.tokenStrings[safe: first] ?? nil
        }
        if unk == nil, let id = model.unknownTokenID { unk = model.tokenStrings[safe: id] ?? nil }

        var template = chatTemplate
        if template == nil, let node = config?["chat_template"] {
            switch node.value {
            case .string: template = try node.string()
            case .array:
                // [{"name": "default", "template": …}, {"name": "tool_use", …}]
                let entries = try node.array()
                let chosen = try entries.first { try $0.optionalString("name") == "default" } ?? entries.first
                template = try chosen?.required("template").string()
            default: throw node.invalid("expected a string or a list of named templates")
            }
        }

        try self.init(model: model, normalizer: normalizer, preTokenizer: preTokenizer, postProcessor: postProcessor,
                      decoder: decoder, addedTokens: addedTokens, bosToken: bos, eosToken: eos, padToken: pad,
                      unkToken: unk, chatTemplate: template, jsonRoot: root)
    }

    static func containsByteLevel(_ decoder: TokenDecoder) -> Bool {
        switch decoder {
        case .byteLevel: return true
        case let .sequence(steps): return steps.contains { containsByteLevel($0) }
        default: return false
        }
    }

    /// Reads the `model` object of tokenizer.json (BPE only).
    static func loadBPE(_ node: JSONNode, isByteLevel: Bool) throws -> BPEModel {
        let file = node.file
        // Files written by old versions of `tokenizers` may omit "type"; BPE is recognised by "merges".
        let type = try node.optionalString("type") ?? (node["merges"] != nil ? "BPE" : "unknown")
        guard type == "BPE" else {
            throw (node["type"] ?? node).unsupported("model type \(type.debugDescription) (only BPE is implemented)")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = try node.optionalString(key), !value.isEmpty {
                throw try node.required(key).unsupported("BPE \(key) \(value.debugDescription)")
            }
        }
        // dropout is a training-time option; encoding here is always deterministic.

        // Vocabulary: spelling → id, kept byte-exact.
        let vocabNode = try node.required("vocab")
        let members = try vocabNode.object()
        var maxID = -1
        var entries: [(spelling: String, id: Int)] = []
        entries.reserveCapacity(members.count)
        for (key, idNode) in members {
            let id = try idNode.int()
            guard id >= 0, id < Tokenizer.maxTokenID else { throw idNode.invalid("token id \(id) out of range") }
            entries.append((key, id))
            maxID = max(maxID, id)
        }
        var tokenBytes = [[UInt8]?](repeating: nil, count: maxID + 1)
        var tokenStrings = [String?](repeating: nil, count: maxID + 1)
        var spellingToID: [TokenBytes: Int] = [:]
        spellingToID.reserveCapacity(entries.count)
        for (spelling, id) in entries {
            tokenStrings[id] = spelling
            tokenBytes[id] = isByteLevel ? ByteLevel.decodeOrUTF8(spelling) : Array(spelling.utf8)
            let key = TokenBytes(spelling)
            if spellingToID[key] == nil { spellingToID[key] = id }
        }

        // Merges: ["a b", …] (legacy) or [["a", "b"], …].
        var pairs: [(String, String)] = []
        if let mergesNode = node["merges"] {
            let items = try mergesNode.array()
            pairs.reserveCapacity(items.count)
            for item in items {
                switch item.value {
                case let .string(line):
                    guard let pair = splitMergeLine(line) else {
                        throw item.invalid("expected \"left right\" (two tokens separated by one space)")
                    }
                    pairs.append(pair)
                case let .array(parts):
                    guard parts.count == 2, case let .string(left) = parts[0], case let .string(right) = parts[1] else {
                        throw item.invalid("expected a pair of strings")
                    }
                    pairs.append((left, right))
                default:
                    throw item.invalid("expected a string or a pair of strings, found \(item.typeName)")
                }
            }
        }
        let mergesPath = node.childPath("merges")
        let merges = try BPEModel.resolveMerges(pairs, vocabByString: { spellingToID[TokenBytes($0)] }) { index, token in
            .unknownToken(file: file, path: "\(mergesPath)[\(index)]", token: token)
        }

        var unknownID: Int?
        if let unk = try node.optionalString("unk_token") { unknownID = spellingToID[TokenBytes(unk)] }
        return BPEModel(
            tokenBytes: tokenBytes, tokenStrings: tokenStrings, merges: merges, isByteLevel: isByteLevel,
            unknownTokenID: unknownID, fuseUnknown: try node.bool("fuse_unk", default: false),
            byteFallback: try node.bool("byte_fallback", default: false),
            ignoreMerges: try node.bool("ignore_merges", default: false))
    }

    /// Splits a merge written as "left right". The separator is the first space after the first
    /// byte (as llama.cpp's loader does), so a left part that begins with a space still works; the
    /// split is on bytes, never on `Character`s (a combining mark after the space would otherwise
    /// form one grapheme with it — a trap swift-transformers documents).
    static func splitMergeLine(_ line: String) -> (String, String)? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, let space = bytes[1...].firstIndex(of: 0x20), space + 1 < bytes.count else { return nil }
        guard let left = String(validating: bytes[..<space], as: UTF8.self),
              let right = String(validating: bytes[(space + 1)...], as: UTF8.self)
        else { return nil }
        return (left, right)
    }

    /// Loads GPT-2's `vocab.json` and `merges.txt` (byte-level BPE with GPT-2's regex,
    /// `<|endoftext|>` as BOS/EOS/UNK when present, as `transformers`' `GPT2Tokenizer` does).
    public convenience init(gpt2Vocabulary vocabURL: URL, merges mergesURL: URL) throws {
        let vocabFile = vocabURL.lastPathComponent
        let root = JSONNode(try JSONNode.parse(try Tokenizer.read(vocabURL), file: vocabFile), file: vocabFile)
        var maxID = -1
        var entries: [(String, Int)] = []
        for (key, idNode) in try root.object() {
            let id = try idNode.int()
            guard id >= 0, id < Tokenizer.maxTokenID else { throw idNode.invalid("token id \(id) out of range") }
            entries.append((key, id))
            maxID = max(maxID, id)
        }
        var tokenBytes = [[UInt8]?](repeating: nil, count: maxID + 1)
        var tokenStrings = [String?](repeating: nil, count: maxID + 1)
        var spellingToID: [TokenBytes: Int] = [:]
        for (spelling, id) in entries {
            tokenStrings[id] = spelling
            tokenBytes[id] = ByteLevel.decodeOrUTF8(spelling)
            if spellingToID[TokenBytes(spelling)] == nil { spellingToID[TokenBytes(spelling)] = id }
        }
        let mergesFile = mergesURL.lastPathComponent
        let text = String(decoding: try Tokenizer.read(mergesURL), as: UTF8.self)
        var pairs: [(String, String)] = []
        var lineNumbers: [Int] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty || (number == 0 && line.hasPrefix("#version")) { continue }
            guard let pair = Tokenizer.splitMergeLine(line) else {
                throw TokenizerError.invalidValue(file: mergesFile, path: "line \(number + 1)", reason: "expected \"left right\"")
            }
            pairs.append(pair)
            lineNumbers.append(number + 1)
        }
        let merges = try BPEModel.resolveMerges(pairs, vocabByString: { spellingToID[TokenBytes($0)] }) { index, token in
            .unknownToken(file: mergesFile, path: "line \(lineNumbers[index])", token: token)
        }
        let model = BPEModel(tokenBytes: tokenBytes, tokenStrings: tokenStrings, merges: merges, isByteLevel: true,
                             unknownTokenID: nil, fuseUnknown: false, byteFallback: false, ignoreMerges: false)
        let eot = "<|endoftext|>"
        var added: [AddedToken] = []
        if let id = spellingToID[TokenBytes(eot)] { added.append(AddedToken(id: id, content: eot, special: true)) }
        let special = added.isEmpty ? nil : eot
        try self.init(model: model, preTokenizer: .gpt2, decoder: .byteLevel, addedTokens: added,
                      bosToken: special, eosToken: special, unkToken: special)
    }

    static func read(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw TokenizerError.unreadableFile(file: url.path, reason: (error as NSError).localizedDescription)
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        index >= 0 && index < count ? self[index] : nil
    }
}
