// Normalizers, as in `tokenizers` (port of huggingface/tokenizers @ 0.23.3, tokenizers/src/normalizers/
// {unicode,utils,replace,prepend,strip}.rs), keeping byte alignment with the original text.
import Support
import Foundation

/// A normalizer, as described by a `tokenizer.json` `normalizer` entry.
public indirect enum Normalizer: Sendable, Equatable {
    case nfc, nfd, nfkc, nfkd
    case lowercase
    /// Replace every match of `pattern` by `content`.
    case replace(pattern: SplitPattern, content: String)
    /// Prepend `prefix` to non-empty text.
    case prepend(String)
    /// Strip whitespace on the left and/or right.
    case strip(left: Bool, right: Bool)
    case sequence([Normalizer])
}

extension Normalizer {
    init(node: JSONNode) throws {
        let type = try node.required("type").string()
        switch type {
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "Replace":
            self = .replace(pattern: try SplitPattern(node: try node.required("pattern")),
                            content: try node.required("content").string())
        case "Prepend":
            self = .prepend(try node.required("prepend").string())
        case "Strip":
            self = .strip(left: try node.bool("strip_left", default: true), right: try node.bool("strip_right", default: true))
        case "Sequence":
            self = .sequence(try node.required("normalizers").array().map { try Normalizer(node: $0) })
        default:
            throw try node.required("type").unsupported("normalizer type \(type.debugDescription)")
        }
    }

    var json: JSONValue {
        func typed(_ name: String, _ rest: [JSONMember] = []) -> JSONValue {
            .object([JSONMember("type", .string(name))] + rest)
        }
        switch self {
        case .nfc: return typed("NFC")
        case .nfd: return typed("NFD")
        case .nfkc: return typed("NFKC")
        case .nfkd: return typed("NFKD")
        case .lowercase: return typed("Lowercase")
        case let .replace(pattern, content):
            return typed("Replace", [JSONMember("pattern", pattern.json), JSONMember("content", .string(content))])
        case let .prepend(prefix): return typed("Prepend", [JSONMember("prepend", .string(prefix))])
        case let .strip(left, right):
            return typed("Strip", [JSONMember("strip_left", .bool(left)), JSONMember("strip_right", .bool(right))])
        case let .sequence(steps): return typed("Sequence", [JSONMember("normalizers", .array(steps.map(\.json)))])
        }
    }
}

/// A normalizer with its regexes compiled.
final class NormalizerPipeline: Sendable {
    enum Step: Sendable {
        case unicode(UnicodeForm)
        case lowercase
        case replace(CompiledRegex, content: [UInt8])
        case prepend([UInt8])
        case strip(left: Bool, right: Bool)
    }

    enum UnicodeForm { case nfc, nfd, nfkc, nfkd }

    let steps: [Step]

    init(_ normalizer: Normalizer, node: JSONNode? = nil) throws {
        var steps: [Step] = []
        func flatten(_ n: Normalizer, _ node: JSONNode?) throws {
            switch n {
            case .nfc: steps.append(.unicode(.nfc))
            case .nfd: steps.append(.unicode(.nfd))
            case .nfkc: steps.append(.unicode(.nfkc))
            case .nfkd: steps.append(.unicode(.nfkd))
            case .lowercase: steps.append(.lowercase)
            case let .replace(pattern, content):
                steps.append(.replace(try pattern.compiled(node: node?["pattern"]), content: Array(content.utf8)))
            case let .prepend(prefix): steps.append(.prepend(Array(prefix.utf8)))
            case let .strip(left, right): steps.append(.strip(left: left, right: right))
            case let .sequence(children):
                let childNodes = try? node?["normalizers"]?.array()
                for (i, child) in children.enumerated() {
                    try flatten(child, childNodes.flatMap { i < $0.count ? $0[i] : nil })
                }
            }
        }
        try flatten(normalizer, node)
        self.steps = steps
    }

    func run(_ text: AlignedText) -> AlignedText {
        var text = text
        for step in steps { text = apply(step, text) }
        return text
    }

    private func apply(_ step: Step, _ text: AlignedText) -> AlignedText {
        if text.isEmpty { return text }
        switch step {
        case let .unicode(form):
            return unicodeNormalized(text, form: form)
        case .lowercase:
            return lowercased(text)
        case let .replace(regex, content):
            let matches = regex.matches(in: text.bytes)
            if matches.isEmpty { return text }
            var builder = AlignedText.Builder(capacity: text.count)
            var previous = 0
            for match in matches {
                for i in previous ..< match.lowerBound { builder.append(byteAt: i, of: text) }
                builder.append(content, original: text.originalRange(match))
                previous = match.upperBound
            }
            for i in previous ..< text.count { builder.append(byteAt: i, of: text) }
            return builder.build(emptyAt: text.base)
        case let .prepend(prefix):
            var text = text
            text.prepend(prefix)
            return text
        case let .strip(left, right):
            var lower = 0
            var upper = text.count
            var scalars: [(Unicode.Scalar, Range<Int>)] = []
            forEachScalar(in: text.bytes) { scalars.append(($0, $1)) }
            if left, let first = scalars.firstIndex(where: { !$0.0.isWhitespaceProperty }) {
                lower = scalars[first].1.lowerBound
            } else if left {
                lower = upper
            }
            if right, let last = scalars.lastIndex(where: { !$0.0.isWhitespaceProperty }) {
                upper = max(lower, scalars[last].1.upperBound)
            } else if right {
                upper = lower
            }
            return text.slice(lower ..< upper)
        }
    }

    /// Normalises per extended grapheme cluster (normalisation never crosses one), so every output
    /// byte maps to the original bytes of its cluster. ASCII is left alone (it is invariant).
    private func unicodeNormalized(_ text: AlignedText, form: UnicodeForm) -> AlignedText {
        if !text.bytes.contains(where: { $0 >= 0x80 }) { return text }
        let string = text.string
        var builder = AlignedText.Builder(capacity: text.count + 8)
        var changed = false
        var offset = 0
        for character in string {
            let length = character.utf8.count
            let range = offset ..< offset + length
            if character.isASCII {
                for i in range { builder.append(byteAt: i, of: text) }
            } else {
                let source = String(character)
                let normalized: String
                switch form {
                case .nfc: normalized = source.precomposedStringWithCanonicalMapping
                case .nfd: normalized = source.decomposedStringWithCanonicalMapping
                case .nfkc: normalized = source.precomposedStringWithCompatibilityMapping
                case .nfkd: normalized = source.decomposedStringWithCompatibilityMapping
                }
                if normalized.utf8.elementsEqual(source.utf8) {
                    for i in range { builder.append(byteAt: i, of: text) }
                } else {
                    changed = true
                    builder.append(Array(normalized.utf8), original: text.originalRange(range))
                }
            }
            offset += length
        }
        return changed ? builder.build(emptyAt: text.base) : text
    }

    /// Unicode full lowercase mapping per scalar (Rust's `char::to_lowercase`).
    private func lowercased(_ text: AlignedText) -> AlignedText {
        var builder = AlignedText.Builder(capacity: text.count)
        var changed = false
        forEachScalar(in: text.bytes) { scalar, range in
            if scalar.isASCII {
                let byte = text.bytes[range.lowerBound]
                if byte >= 0x41 && byte <= 0x5A {
                    changed = true
                    builder.append([byte + 0x20], original: text.originalStart(range.lowerBound) ..< text.originalEnd(range.lowerBound))
                } else {
                    builder.append(byteAt: range.lowerBound, of: text)
                }
                return
            }
            let lower = scalar.properties.lowercaseMapping
            if lower.unicodeScalars.count == 1 && lower.unicodeScalars.first == scalar {
                for i in range { builder.append(byteAt: i, of: text) }
            } else {
                changed = true
                builder.append(Array(lower.utf8), original: text.originalRange(range))
            }
        }
        return changed ? builder.build(emptyAt: text.base) : text
    }
}
