// Post-processors: what `addSpecialTokens: true` adds around an encoding.
// Port of huggingface/tokenizers @ 0.23.3, tokenizers/src/processors/{template,roberta,bert,byte_level,
// sequence}.rs. Only single sequences are encoded here; pair templates are kept for round trips.
import Support
import Foundation

/// One item of a `TemplateProcessing` template.
public enum TemplatePiece: Sendable, Equatable {
    /// The input sequence: `"A"` (first) or `"B"` (second).
    case sequence(id: String, typeID: Int)
    /// A special token, by its name in `specialTokens`.
    case specialToken(id: String, typeID: Int)
}

/// A special token of a template: its name, ids and token strings.
public struct TemplateSpecialToken: Sendable, Equatable {
    public var id: String
    public var ids: [Int]
    public var tokens: [String]

    public init(id: String, ids: [Int], tokens: [String]) {
        self.id = id
        self.ids = ids
        self.tokens = tokens
    }
}

/// A post-processor, as described by a `tokenizer.json` `post_processor` entry.
public indirect enum PostProcessor: Sendable, Equatable {
    case template(single: [TemplatePiece], pair: [TemplatePiece], specialTokens: [TemplateSpecialToken])
    /// Only adjusts offsets in `tokenizers`; adds no tokens. (Offsets here are never trimmed.)
    case byteLevel(trimOffsets: Bool)
    /// `<s> A </s>` (RoBERTa) with the given (token, id) pairs.
    case roberta(sep: String, sepID: Int, cls: String, clsID: Int)
    /// `[CLS] A [SEP]` (BERT).
    case bert(sep: String, sepID: Int, cls: String, clsID: Int)
    case sequence([PostProcessor])

    /// The ids to put before and after a single sequence.
    public var singleSequenceAffixes: (prefix: [Int], suffix: [Int]) {
        switch self {
        case let .template(single, _, specialTokens):
            var prefix: [Int] = []
            var suffix: [Int] = []
            var seenSequence = false
            for piece in single {
                switch piece {
                case .sequence:
                    seenSequence = true
                case let .specialToken(id, _):
                    let ids = specialTokens.first { $0.id == id }?.ids ?? []
                    if seenSequence { suffix += ids } else { prefix += ids }
                }
            }
            return (prefix, suffix)
        case .byteLevel:
            return ([], [])
        case let .roberta(_, sepID, _, clsID), let .bert(_, sepID, _, clsID):
            return ([clsID], [sepID])
        case let .sequence(steps):
            var prefix: [Int] = []
            var suffix: [Int] = []
            for step in steps {
                let (p, s) = step.singleSequenceAffixes
                prefix = p + prefix
                suffix += s
            }
            return (prefix, suffix)
        }
    }
}

extension PostProcessor {
    init(node: JSONNode) throws {
        let type = try node.required("type").string()
        switch type {
        case "TemplateProcessing":
            func pieces(_ key: String) throws -> [TemplatePiece] {
                guard let list = node[key] else { return [] }
                return try list.array().map { item in
                    if let seq = item["Sequence"] {
                        return .sequence(id: try seq.required("id").string(), typeID: try seq.int("type_id", default: 0))
                    }
                    if let special = item["SpecialToken"] {
                        return .specialToken(id: try special.required("id").string(), typeID: try special.int("type_id", default: 0))
                    }
                    throw item.invalid("expected {\"Sequence\": …} or {\"SpecialToken\": …}")
                }
            }
            var specials: [TemplateSpecialToken] = []
            if let map = node["special_tokens"] {
                for (key, value) in try map.object() {
                    specials.append(TemplateSpecialToken(
                        id: try value.string("id", default: key),
                        ids: try value.required("ids").array().map { try $0.int() },
                        tokens: try value["tokens"]?.array().map { try $0.string() } ?? []))
                }
            }
            let single = try pieces("single")
            for piece in single {
                if case let .specialToken(id, _) = piece, !specials.contains(where: { $0.id == id }) {
                    throw TokenizerError.unknownToken(file: node.file, path: node.childPath("special_tokens"), token: id)
                }
            }
            self = .template(single: single, pair: try pieces("pair"), specialTokens: specials)
        case "ByteLevel":
            self = .byteLevel(trimOffsets: try node.bool("trim_offsets", default: true))
        case "RobertaProcessing", "BertProcessing":
            func pair(_ key: String) throws -> (String, Int) {
                let items = try node.required(key).array()
                guard items.count == 2 else { throw try node.required(key).invalid("expected [token, id]") }
                return (try items[0].string(), try items[1].int())
            }
            let (sep, sepID) = try pair("sep")
            let (cls, clsID) = try pair("cls")
            self = type == "RobertaProcessing"
                ? .roberta(sep: sep, sepID: sepID, cls: cls, clsID: clsID)
                : .bert(sep: sep, sepID: sepID, cls: cls, clsID: clsID)
        case "Sequence":
            self = .sequence(try node.required("processors").array().map { try PostProcessor(node: $0) })
        default:
            throw try node.required("type").unsupported("post-processor type \(type.debugDescription)")
        }
    }

    var json: JSONValue {
        func piecesJSON(_ pieces: [TemplatePiece]) -> JSONValue {
            .array(pieces.map { piece in
                switch piece {
                case let .sequence(id, typeID):
                    return .object([JSONMember("Sequence", .object([JSONMember("id", .string(id)), JSONMember("type_id", .integer(typeID))]))])
                case let .specialToken(id, typeID):
                    return .object([JSONMember("SpecialToken", .object([JSONMember("id", .string(id)), JSONMember("type_id", .integer(typeID))]))])
                }
            })
        }
        switch self {
        case let .template(single, pair, specials):
            return .object([
                JSONMember("type", .string("TemplateProcessing")),
                JSONMember("single", piecesJSON(single)),
                JSONMember("pair", piecesJSON(pair)),
                JSONMember("special_tokens", .object(specials.map { special in
                    JSONMember(special.id, .object([
                        JSONMember("id", .string(special.id)),
                        JSONMember("ids", .array(special.ids.map { .integer($0) })),
                        JSONMember("tokens", .array(special.tokens.map { .string($0) })),
                    ]))
                })),
            ])
        case let .byteLevel(trimOffsets):
            return .object([
                JSONMember("type", .string("ByteLevel")), JSONMember("add_prefix_space", .bool(true)),
                JSONMember("trim_offsets", .bool(trimOffsets)), JSONMember("use_regex", .bool(true)),
            ])
        case let .roberta(sep, sepID, cls, clsID), let .bert(sep, sepID, cls, clsID):
            let name: String
            if case .roberta = self { name = "RobertaProcessing" } else { name = "BertProcessing" }
            return .object([
                JSONMember("type", .string(name)),
                JSONMember("sep", .array([.string(sep), .integer(sepID)])),
                JSONMember("cls", .array([.string(cls), .integer(clsID)])),
            ])
        case let .sequence(steps):
            return .object([JSONMember("type", .string("Sequence")), JSONMember("processors", .array(steps.map(\.json)))])
        }
    }
}
