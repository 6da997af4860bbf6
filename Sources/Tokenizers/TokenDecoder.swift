// Decoders: token strings → text. Port of huggingface/tokenizers @ 0.23.3, tokenizers/src/decoders/
// {byte_level,byte_fallback,fuse,strip,sequence,metaspace}.rs and normalizers/replace.rs.
// Each step maps a list of token strings to a list of strings; the results are concatenated.
import Support
import Foundation

/// A decoder, as described by a `tokenizer.json` `decoder` entry.
public indirect enum TokenDecoder: Sendable, Equatable {
    /// Byte-level strings back to bytes, then UTF-8 with invalid sequences replaced (U+FFFD).
    case byteLevel
    /// Replace `pattern` by `content` in every token.
    case replace(pattern: SplitPattern, content: String)
    /// `<0xXX>` tokens back to bytes.
    case byteFallback
    /// Join all tokens into one.
    case fuse
    /// Remove up to `start` leading and `stop` trailing `content` characters from each token.
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    /// SentencePiece's "▁" back to spaces (the first token's leading one dropped unless `never`).
    case metaspace(replacement: String, prependScheme: PreTokenizer.PrependScheme)
    case sequence([TokenDecoder])

    /// True when decoding is exactly "concatenate the tokens' bytes" (byte-level decoders).
    var isPureByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case let .sequence(steps): return steps.count == 1 && steps[0].isPureByteLevel
        default: return false
        }
    }

    func decode(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens { bytes += ByteLevel.decodeOrUTF8(token) }
            return [String(decoding: bytes, as: UTF8.self)]
        case let .replace(pattern, content):
            switch pattern {
            case let .string(s):
                return tokens.map { $0.replacingOccurrences(of: s, with: content, options: .literal) }
            case let .regex(r):
                guard let regex = try? CompiledRegex(pattern: r) else { return tokens }
                return tokens.map { token in
                    let bytes = Array(token.utf8)
                    var out: [UInt8] = []
                    var previous = 0
                    for match in regex.matches(in: bytes) {
                        out += bytes[previous ..< match.lowerBound]
                        out += Array(content.utf8)
                        previous = match.upperBound
                    }
                    out += bytes[previous...]
                    return String(decoding: out, as: UTF8.self)
                }
            }
        case .byteFallback:
            var out: [String] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let s = String(validating: pending, as: UTF8.self) {
                    out.append(s)
                } else {
                    out += Array(repeating: "\u{FFFD}", count: pending.count)
                }
                pending.removeAll()
            }
            for token in tokens {
                let u = Array(token.utf8)
                if u.count == 6, u.starts(with: Array("<0x".utf8)), u[5] == UInt8(ascii: ">"),
                   let byte = UInt8(String(decoding: u[3 ..< 5], as: UTF8.self), radix: 16)
                {
                    pending.append(byte)
                } else {
                    flush()
                    out.append(token)
                }
            }
            flush()
            return out
        case .fuse:
            return [tokens.joined()]
        case let .strip(content, start, stop):
            return tokens.map { token in
                var scalars = Array(token.unicodeScalars)
                var leading = 0
                while leading < start, leading < scalars.count, scalars[leading] == content { leading += 1 }
                scalars.removeFirst(leading)
                var trailing = 0
                while trailing < stop, !scalars.isEmpty, scalars[scalars.count - 1] == content {
                    scalars.removeLast()
                    trailing += 1
                }
                var out = String.UnicodeScalarView()
                out.append(contentsOf: scalars)
                return String(out)
            }
        case let .metaspace(replacement, scheme):
            return tokens.enumerated().map { i, token in
                var s = token.replacingOccurrences(of: replacement, with: " ", options: .literal)
                if i == 0, scheme != .never, s.hasPrefix(" ") { s.removeFirst() }
                return s
            }
        case let .sequence(steps):
            var current = tokens
            for step in steps { current = step.decode(current) }
            return current
        }
    }
}

extension TokenDecoder {
    init(node: JSONNode) throws {
        let type = try node.required("type").string()
        switch type {
        case "ByteLevel":
            self = .byteLevel
        case "Replace":
            self = .replace(pattern: try SplitPattern(node: try node.required("pattern")),
                            content: try node.required("content").string())
        case "ByteFallback":
            self = .byteFallback
        case "Fuse":
            self = .fuse
        case "Strip":
            let content = try node.required("content").string()
            guard content.unicodeScalars.count == 1, let scalar = content.unicodeScalars.first else {
                throw try node.required("content").invalid("expected a single character")
            }
            self = .strip(content: scalar, start: try node.int("start", default: 0), stop: try node.int("stop", default: 0))
        case "Metaspace":
            var scheme = PreTokenizer.PrependScheme.always
            if let s = try node.optionalString("prepend_scheme") {
                guard let parsed = PreTokenizer.PrependScheme(rawValue: s) else {
                    throw try node.required("prepend_scheme").invalid("unknown prepend_scheme \(s.debugDescription)")
                }
                scheme = parsed
            } else if let add = try node["add_prefix_space"]?.bool() {
                scheme = add ? .always : .never
            }
            self = .metaspace(replacement: try node.string("replacement", default: "\u{2581}"), prependScheme: scheme)
        case "Sequence":
            self = .sequence(try node.required("decoders").array().map { try TokenDecoder(node: $0) })
        default:
            throw try node.required("type").unsupported("decoder type \(type.debugDescription)")
        }
    }

    var json: JSONValue {
        func typed(_ name: String, _ rest: [JSONMember] = []) -> JSONValue {
            .object([JSONMember("type", .string(name))] + rest)
        }
        switch self {
        case .byteLevel:
            return typed("ByteLevel", [JSONMember("add_prefix_space", .bool(true)), JSONMember("trim_offsets", .bool(true)),
                                       JSONMember("use_regex", .bool(true))])
        case let .replace(pattern, content):
            return typed("Replace", [JSONMember("pattern", pattern.json), JSONMember("content", .string(content))])
        case .byteFallback: return typed("ByteFallback")
        case .fuse: return typed("Fuse")
        case let .strip(content, start, stop):
            return typed("Strip", [JSONMember("content", .string(String(Character(content)))), JSONMember("start", .integer(start)),
                                   JSONMember("stop", .integer(stop))])
        case let .metaspace(replacement, scheme):
            return typed("Metaspace", [JSONMember("replacement", .string(replacement)),
                                       JSONMember("prepend_scheme", .string(scheme.rawValue)), JSONMember("split", .bool(true))])
        case let .sequence(steps):
            return typed("Sequence", [JSONMember("decoders", .array(steps.map(\.json)))])
        }
    }
}
