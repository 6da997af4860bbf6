// Pre-tokenizers: split normalised text into the words that BPE sees, as `tokenizers` does
// (port of huggingface/tokenizers @ 0.23.3, tokenizers/src/pre_tokenizers/{byte_level,split,digits,
// metaspace,whitespace,punctuation,sequence}.rs). Offsets into the original text are kept.
import Support
import Foundation

/// A split pattern: a literal string or a regular expression (`{"String": …}` / `{"Regex": …}`).
public enum SplitPattern: Sendable, Equatable {
    case string(String)
    case regex(String)
}

/// A pre-tokenizer, as described by a `tokenizer.json` `pre_tokenizer` entry.
public indirect enum PreTokenizer: Sendable, Equatable {
    /// GPT-2's byte-level pre-tokenizer. With `useRegex` it splits with `gpt2Pattern`; with
    /// `addPrefixSpace` every piece that doesn't start with a space gets one. (The byte → character
    /// map itself is applied by the BPE model, which works on bytes.)
    case byteLevel(addPrefixSpace: Bool = false, useRegex: Bool = true, trimOffsets: Bool = true)
    case split(pattern: SplitPattern, behavior: SplitBehavior, invert: Bool = false)
    /// Numbers (Unicode category N) split off, one by one with `individualDigits`, else in runs.
    case digits(individualDigits: Bool)
    /// `\w+|[^\w\s]+`.
    case whitespace
    /// Split on whitespace, dropping it.
    case whitespaceSplit
    case punctuation(behavior: SplitBehavior = .isolated)
    /// SentencePiece-style: spaces become `replacement` ("▁"), optionally prepended, then split.
    case metaspace(replacement: String = "\u{2581}", prependScheme: PrependScheme = .always, split: Bool = true)
    case sequence([PreTokenizer])

    public enum PrependScheme: String, Sendable, Equatable {
        case always, first, never
    }

    /// GPT-2's split regex (openai/gpt-2 `encoder.py`), used by `ByteLevel(use_regex: true)`.
    public static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Llama-3's split regex, as in Meta-Llama-3's `tokenizer.json`.
    public static let llama3Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Qwen2's split regex, as in Qwen2's `tokenizer.json` (digits one at a time).
    public static let qwen2Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// GPT-2: `ByteLevel(add_prefix_space: false, use_regex: true)`.
    public static let gpt2 = PreTokenizer.byteLevel(addPrefixSpace: false, useRegex: true)

    /// Llama-3: `Split(llama3Pattern, Isolated)` then `ByteLevel(use_regex: false)`.
    public static let llama3 = PreTokenizer.sequence([
        .split(pattern: .regex(llama3Pattern), behavior: .isolated),
        .byteLevel(addPrefixSpace: false, useRegex: false),
    ])

    /// Qwen2: `Split(qwen2Pattern, Isolated)` then `ByteLevel(use_regex: false)`.
    public static let qwen2 = PreTokenizer.sequence([
        .split(pattern: .regex(qwen2Pattern), behavior: .isolated),
        .byteLevel(addPrefixSpace: false, useRegex: false),
    ])

    /// SmolLM / StarCoder: `Digits(individual_digits: true)` then GPT-2's `ByteLevel`.
    public static let smollm = PreTokenizer.sequence([
        .digits(individualDigits: true),
        .byteLevel(addPrefixSpace: false, useRegex: true),
    ])

    /// True when a `ByteLevel` step is present: the model then works on raw bytes.
    public var isByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case let .sequence(steps): return steps.contains { $0.isByteLevel }
        default: return false
        }
    }
}

// MARK: - tokenizer.json

extension SplitPattern {
    init(node: JSONNode) throws {
        switch node.value {
        case let .string(s):
            self = .string(s)
        case .object:
            if let s = try node["String"]?.string() {
                self = .string(s)
            } else if let r = try node["Regex"]?.string() {
                self = .regex(r)
            } else {
                throw node.invalid("expected {\"String\": …} or {\"Regex\": …}")
            }
        default:
            throw node.invalid("expected a pattern object, found \(node.typeName)")
        }
    }

    var json: JSONValue {
        switch self {
        case let .string(s): return .object([JSONMember("String", .string(s))])
        case let .regex(r): return .object([JSONMember("Regex", .string(r))])
        }
    }

    func compiled(node: JSONNode?) throws -> CompiledRegex {
        do {
            switch self {
            case let .string(s): return try CompiledRegex(literal: s)
            case let .regex(r): return try CompiledRegex(pattern: r)
            }
        } catch {
            let description = "\(error)"
            if let node { throw node.invalid("regex does not compile: \(description)") }
            throw TokenizerError.invalidArgument("regex does not compile: \(self): \(description)")
        }
    }
}

extension SplitBehavior {
    init(node: JSONNode) throws {
        let name = try node.string()
        // `tokenizers` serialises the variant names; accept snake_case spellings too.
        let normalized = name.replacingOccurrences(of: "_", with: "").lowercased()
        guard let behavior = SplitBehavior.allCases.first(where: { $0.rawValue.lowercased() == normalized }) else {
            throw node.invalid("unknown split behavior \(name.debugDescription)")
        }
        self = behavior
    }
}

extension PreTokenizer {
    init(node: JSONNode) throws {
        let type = try node.required("type").string()
        switch type {
        case "ByteLevel":
            self = .byteLevel(
                addPrefixSpace: try node.bool("add_prefix_space", default: true),  // tokenizers default
                useRegex: try node.bool("use_regex", default: true),
                trimOffsets: try node.bool("trim_offsets", default: true))
        case "Split":
            self = .split(
                pattern: try SplitPattern(node: try node.required("pattern")),
                behavior: try SplitBehavior(node: try node.required("behavior")),
                invert: try node.bool("invert", default: false))
        case "Digits":
            self = .digits(individualDigits: try node.bool("individual_digits", default: false))
        case "Whitespace":
            self = .whitespace
        case "WhitespaceSplit":
            self = .whitespaceSplit
        case "Punctuation":
            self = .punctuation(behavior: try node["behavior"].map { try SplitBehavior(node: $0) } ?? .isolated)
        case "Metaspace":
            let replacement = try node.string("replacement", default: "\u{2581}")
            var scheme = PrependScheme.always
            if let s = try node.optionalString("prepend_scheme") {
                guard let parsed = PrependScheme(rawValue: s) else {
                    throw try node.required("prepend_scheme").invalid("unknown prepend_scheme \(s.debugDescription)")
                }
                scheme = parsed
            } else if let add = try node["add_prefix_space"]?.bool() {  // older files
                scheme = add ? .always : .never
            }
            self = .metaspace(replacement: replacement, prependScheme: scheme, split: try node.bool("split", default: true))
        case "Sequence":
            self = .sequence(try node.required("pretokenizers").array().map { try PreTokenizer(node: $0) })
        default:
            throw try node.required("type").unsupported("pre-tokenizer type \(type.debugDescription)")
        }
    }

    var json: JSONValue {
        switch self {
        case let .byteLevel(addPrefixSpace, useRegex, trimOffsets):
            return .object([
                JSONMember("type", .string("ByteLevel")), JSONMember("add_prefix_space", .bool(addPrefixSpace)),
                JSONMember("trim_offsets", .bool(trimOffsets)), JSONMember("use_regex", .bool(useRegex)),
            ])
        case let .split(pattern, behavior, invert):
            return .object([
                JSONMember("type", .string("Split")), JSONMember("pattern", pattern.json),
                JSONMember("behavior", .string(behavior.rawValue)), JSONMember("invert", .bool(invert)),
            ])
        case let .digits(individual):
            return .object([JSONMember("type", .string("Digits")), JSONMember("individual_digits", .bool(individual))])
        case .whitespace:
            return .object([JSONMember("type", .string("Whitespace"))])
        case .whitespaceSplit:
            return .object([JSONMember("type", .string("WhitespaceSplit"))])
        case let .punctuation(behavior):
            return .object([JSONMember("type", .string("Punctuation")), JSONMember("behavior", .string(behavior.rawValue))])
        case let .metaspace(replacement, scheme, split):
            return .object([
                JSONMember("type", .string("Metaspace")), JSONMember("replacement", .string(replacement)),
                JSONMember("prepend_scheme", .string(scheme.rawValue)), JSONMember("split", .bool(split)),
            ])
        case let .sequence(steps):
            return .object([JSONMember("type", .string("Sequence")), JSONMember("pretokenizers", .array(steps.map(\.json)))])
        }
    }
}

// MARK: - Running

/// A pre-tokenizer with its regexes compiled, flattened into a list of steps.
final class PreTokenizerPipeline: Sendable {
    enum Step: Sendable {
        case byteLevel(addPrefixSpace: Bool, regex: CompiledRegex?)
        case split(CompiledRegex, SplitBehavior, invert: Bool)
        case digits(individual: Bool)
        case keepMatches(CompiledRegex)  // Whitespace
        case whitespaceSplit
        case punctuation(SplitBehavior)
        case metaspace(replacement: [UInt8], scheme: PreTokenizer.PrependScheme, split: Bool)
    }

    let steps: [Step]

    static let whitespacePattern = #"\w+|[^\w\s]+"#

    /// `node` (the `pre_tokenizer` JSON) only labels regex compilation errors.
    init(_ preTokenizer: PreTokenizer, node: JSONNode? = nil) throws {
        var steps: [Step] = []
        func flatten(_ p: PreTokenizer, _ node: JSONNode?) throws {
            switch p {
            case let .byteLevel(addPrefixSpace, useRegex, _):
                steps.append(.byteLevel(addPrefixSpace: addPrefixSpace,
                                        regex: useRegex ? try CompiledRegex(pattern: PreTokenizer.gpt2Pattern) : nil))
            case let .split(pattern, behavior, invert):
                steps.append(.split(try pattern.compiled(node: node?["pattern"]), behavior, invert: invert))
            case let .digits(individual):
                steps.append(.digits(individual: individual))
            case .whitespace:
                steps.append(.keepMatches(try CompiledRegex(pattern: PreTokenizerPipeline.whitespacePattern)))
            case .whitespaceSplit:
                steps.append(.whitespaceSplit)
            case let .punctuation(behavior):
                steps.append(.punctuation(behavior))
            case let .metaspace(replacement, scheme, split):
                steps.append(.metaspace(replacement: Array(replacement.utf8), scheme: scheme, split: split))
            case let .sequence(children):
                let childNodes = try? node?["pretokenizers"]?.array()
                for (i, child) in children.enumerated() {
                    try flatten(child, childNodes.flatMap { i < $0.count ? $0[i] : nil })
                }
            }
        }
        try flatten(preTokenizer, node)
        self.steps = steps
    }

    /// Splits one piece of normalised text into pre-tokens (none of them empty).
    func run(_ text: AlignedText) -> [AlignedText] {
        var pieces = text.isEmpty ? [] : [text]
        for step in steps {
            var next: [AlignedText] = []
            next.reserveCapacity(pieces.count * 2)
            for piece in pieces { apply(step, to: piece, into: &next) }
            pieces = next
        }
        return pieces
    }

    private func apply(_ step: Step, to piece: AlignedText, into out: inout [AlignedText]) {
        func emit(_ ranges: [Range<Int>], of source: AlignedText) {
            if ranges.count == 1, ranges[0] == 0 ..< source.count {
                out.append(source)
                return
            }
            for range in ranges { out.append(source.slice(range)) }
        }
        switch step {
        case let .byteLevel(addPrefixSpace, regex):
            var piece = piece
            if addPrefixSpace, piece.bytes.first != 0x20 { piece.prepend([0x20]) }
            if let regex {
                let parts = partition(matches: regex.matches(in: piece.bytes), count: piece.count)
                emit(splitRanges(parts, behavior: .isolated, invert: false), of: piece)
            } else {
                out.append(piece)
            }
        case let .split(regex, behavior, invert):
            let parts = partition(matches: regex.matches(in: piece.bytes), count: piece.count)
            emit(splitRanges(parts, behavior: behavior, invert: invert), of: piece)
        case let .digits(individual):
            let parts = partition(matches: scalarMatches(in: piece.bytes) { $0.isNumericCategory }, count: piece.count)
            emit(splitRanges(parts, behavior: individual ? .isolated : .contiguous, invert: false), of: piece)
        case let .keepMatches(regex):
            let parts = partition(matches: regex.matches(in: piece.bytes), count: piece.count)
            emit(splitRanges(parts, behavior: .removed, invert: true), of: piece)
        case .whitespaceSplit:
            let parts = partition(matches: scalarMatches(in: piece.bytes) { $0.isWhitespaceProperty }, count: piece.count)
            emit(splitRanges(parts, behavior: .removed, invert: false), of: piece)
        case let .punctuation(behavior):
            let parts = partition(matches: scalarMatches(in: piece.bytes) { $0.isPunctuationCategory }, count: piece.count)
            emit(splitRanges(parts, behavior: behavior, invert: false), of: piece)
        case let .metaspace(replacement, scheme, split):
            // Replace every space by the replacement, keeping alignment.
            var builder = AlignedText.Builder(capacity: piece.count + 8)
            for i in 0 ..< piece.count {
                if piece.bytes[i] == 0x20 {
                    builder.append(replacement, original: piece.originalStart(i) ..< piece.originalEnd(i))
                } else {
                    builder.append(byteAt: i, of: piece)
                }
            }
            var replaced = piece.bytes.contains(0x20) ? builder.build(emptyAt: piece.base) : piece
            let startsWithReplacement = replaced.bytes.starts(with: replacement)
            switch scheme {
            case .always:
                if !startsWithReplacement { replaced.prepend(replacement) }
            case .first:
                if !startsWithReplacement && replaced.originalStartOffset == 0 { replaced.prepend(replacement) }
            case .never:
                break
            }
            if split {
                var matches: [Range<Int>] = []
                var i = 0
                let r = replacement.count
                while r > 0 && i + r <= replaced.count {
                    if replaced.bytes[i ..< i + r].elementsEqual(replacement) {
                        matches.append(i ..< i + r)
                        i += r
                    } else {
                        i += 1
                    }
                }
                let parts = partition(matches: matches, count: replaced.count)
                emit(splitRanges(parts, behavior: .mergedWithNext, invert: false), of: replaced)
            } else {
                out.append(replaced)
            }
        }
    }
}
