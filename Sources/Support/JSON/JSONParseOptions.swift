// What the reader accepts. Each file format asks for its own dialect: a safetensors header is what
// `serde_json` accepts with duplicate keys refused; tokenizer files are written by Python, which
// allows `NaN` and `Infinity`; every format caps nesting so a hostile file cannot exhaust the stack.

/// Options of `JSONValue.parse`.
public struct JSONParseOptions: Sendable, Equatable {
    /// What a key that appears twice in one object means.
    public enum DuplicateKeys: Sendable, Equatable {
        /// An error naming the key (safetensors: the aliasing trick a malicious header could use).
        case reject
        /// The last value wins, at the position of the first (Python's `dict`, serde's maps).
        case lastWins
    }

    public var duplicateKeys: DuplicateKeys
    /// Objects and arrays nested deeper than this are an error.
    public var maxDepth: Int
    /// Inputs longer than this many bytes are an error (nil: no cap).
    public var maxBytes: Int?
    /// Integers beyond 64 bits become `.bigInteger` with their digits; otherwise they become the
    /// nearest `.number`, as Foundation and JavaScript read them.
    public var exactIntegers: Bool
    /// Accept Python's `NaN`, `Infinity` and `-Infinity` literals (`json.dumps` writes them).
    public var nonFiniteLiterals: Bool
    /// Skip a UTF-8 byte-order mark at the start.
    public var byteOrderMark: Bool
    /// Read an escaped UTF-16 surrogate without its partner as U+FFFD instead of refusing it
    /// (Python writes them for vocabulary pieces that split an emoji).
    public var replaceLoneSurrogates: Bool

    public init(duplicateKeys: DuplicateKeys = .lastWins, maxDepth: Int = 512, maxBytes: Int? = nil,
                exactIntegers: Bool = false, nonFiniteLiterals: Bool = false, byteOrderMark: Bool = false,
                replaceLoneSurrogates: Bool = false) {
        self.duplicateKeys = duplicateKeys
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
        self.exactIntegers = exactIntegers
        self.nonFiniteLiterals = nonFiniteLiterals
        self.byteOrderMark = byteOrderMark
        self.replaceLoneSurrogates = replaceLoneSurrogates
    }

    /// RFC 8259 JSON, last duplicate wins, nesting capped at 512 (JSONL rows, our own files).
    public static let standard = JSONParseOptions()
    /// Files written by Python or Hugging Face tools (tokenizer.json, tokenizer_config.json):
    /// also `NaN`/`Infinity`, a byte-order mark and lone surrogates.
    public static let python = JSONParseOptions(nonFiniteLiterals: true, byteOrderMark: true, replaceLoneSurrogates: true)
    /// The safetensors header dialect: duplicate keys refused, integers exact, nesting capped at 64.
    public static let strict = JSONParseOptions(duplicateKeys: .reject, maxDepth: 64, exactIntegers: true)
}

/// Bytes that are not JSON (under the given options): where and why.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Labels the input in messages (a path, "tokenizer.json", "metrics.jsonl line 3"…).
    public var file: String
    /// Byte offset of the problem, and its 1-based line and column (columns count characters).
    public var offset: Int
    public var line: Int
    public var column: Int
    public var reason: String

    /// "byte 12 (line 1, column 13)".
    public var position: String { "byte \(offset) (line \(line), column \(column))" }

    public var description: String { "\(file): invalid JSON at \(position): \(reason)" }
}
