// How the one JSON writer lays a value out. Two dialects exist because our files have two
// audiences: what Foundation's `JSONSerialization` wrote (config.json, checkpoint state, metrics
// and JSONL rows, which must keep their bytes) and what Python's `json.dumps(indent=2)` writes
// (tokenizer.json, which the `tokenizers` library and people diff against Hugging Face's).

/// Options of `JSONValue.written(_:)`.
public struct JSONWriteOptions: Sendable, Equatable {
    public enum Style: Sendable, Equatable {
        /// Foundation's layout: an integral double is written without `.0` (`3`), pretty printing
        /// puts `" : "` between key and value and every array element on its own line.
        case foundation
        /// Python's `json.dumps` layout: an integral double keeps `.0`, pretty printing indents
        /// containers by two spaces with `": "`, arrays of scalars stay on one line, and `NaN`,
        /// `Infinity` are written as Python writes them.
        case python
    }

    public var style: Style
    public var pretty: Bool
    /// Members in Foundation's `.sortedKeys` order (`JSONKeyOrder`) instead of insertion order.
    public var sortedKeys: Bool
    /// Write `/` as `\/` (Foundation does unless `.withoutEscapingSlashes`).
    public var escapeSlashes: Bool
    /// Write U+007F as `\u007f`.
    public var escapeDelete: Bool

    public init(style: Style = .foundation, pretty: Bool = false, sortedKeys: Bool = true, escapeSlashes: Bool = false,
                escapeDelete: Bool = false) {
        self.style = style
        self.pretty = pretty
        self.sortedKeys = sortedKeys
        self.escapeSlashes = escapeSlashes
        self.escapeDelete = escapeDelete
    }

    /// One compact line with sorted keys and bare slashes: JSONL rows, metrics lines.
    public static let line = JSONWriteOptions()
    /// Pretty with sorted keys, as config.json and checkpoint state have always been written.
    public static let prettySorted = JSONWriteOptions(pretty: true, escapeSlashes: true)
    /// Python's `json.dumps(obj, indent=2, ensure_ascii=False)` in insertion order (tokenizer.json).
    public static let pythonIndented = JSONWriteOptions(style: .python, pretty: true, sortedKeys: false, escapeDelete: true)
}

/// A value JSON cannot hold: a NaN or infinite number (outside the Python style), named by its
/// key path (`metrics.loss`, `logprobs[3]`).
public struct JSONWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var value: Double

    public var description: String { "field '\(path.isEmpty ? "(root)" : path)' is \(value), which JSON cannot hold" }
}
