// Errors caused by dataset files: every case names the file, the 1-based line and the field, so a
// user can open the row that is wrong (data errors are typed values that say where; bugs are preconditions).

/// Where a row came from.
public struct RowLocation: Sendable, Equatable, CustomStringConvertible {
    /// The file as the user gave it.
    public var file: String
    /// 1-based line number in the JSONL file.
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// A dataset row that cannot be used as it is.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// The file cannot be read.
    case cannotRead(file: String, reason: String)
    /// The line is not a JSON object.
    case malformedJSON(RowLocation, reason: String)
    /// None of the TRL formats fits the row's keys.
    case unknownFormat(RowLocation, keys: [String])
    /// A required field is absent.
    case missingField(RowLocation, field: String)
    /// A field has the wrong JSON type.
    case wrongType(RowLocation, field: String, expected: String)
    /// A field has an unusable value (empty text, bad role, span outside the text, …).
    case invalidValue(RowLocation, field: String, reason: String)
    /// A per-token annotation does not have one entry per response token.
    case lengthMismatch(RowLocation, field: String, expected: Int, actual: Int)
    /// The row is longer than the limit and truncation was not allowed.
    case wouldTruncate(RowLocation, field: String, length: Int, limit: Int)
    /// The format needs something the tokenizer lacks (a chat template, an EOS token).
    case tokenizerLacks(RowLocation, field: String, what: String)
    /// A file holds rows of a different kind than the trainer needs.
    case wrongKind(RowLocation, expected: String, actual: String)
    /// Every row was skipped or the file was empty.
    case empty(file: String)

    /// The row's location, when the error concerns one row.
    public var location: RowLocation? {
        switch self {
        case .cannotRead, .empty: nil
        case .malformedJSON(let l, _), .unknownFormat(let l, _), .missingField(let l, _), .wrongType(let l, _, _),
             .invalidValue(let l, _, _), .lengthMismatch(let l, _, _, _), .wouldTruncate(let l, _, _, _),
             .tokenizerLacks(let l, _, _), .wrongKind(let l, _, _): l
        }
    }

    /// The field the error concerns, if any.
    public var field: String? {
        switch self {
        case .missingField(_, let f), .wrongType(_, let f, _), .invalidValue(_, let f, _), .lengthMismatch(_, let f, _, _),
             .wouldTruncate(_, let f, _, _), .tokenizerLacks(_, let f, _): f
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .cannotRead(let f, let r): "\(f): cannot read: \(r)"
        case .malformedJSON(let l, let r): "\(l): not a JSON object: \(r)"
        case .unknownFormat(let l, let keys):
            "\(l): no TRL dataset format has the keys \(keys.sorted()) (expected text, messages, prompt+completion, prompt+chosen+rejected, chosen+rejected, prompt+completion+label or prompt+completions+labels)"
        case .missingField(let l, let f): "\(l): field '\(f)' is missing"
        case .wrongType(let l, let f, let e): "\(l): field '\(f)' must be \(e)"
        case .invalidValue(let l, let f, let r): "\(l): field '\(f)': \(r)"
        case .lengthMismatch(let l, let f, let e, let a): "\(l): field '\(f)' has \(a) entries but the response has \(e) tokens"
        case .wouldTruncate(let l, let f, let n, let lim):
            "\(l): field '\(f)' is \(n) tokens, over the limit of \(lim); raise the limit or allow truncation (--truncate)"
        case .tokenizerLacks(let l, let f, let w): "\(l): field '\(f)' needs \(w), which the tokenizer does not have"
        case .wrongKind(let l, let e, let a): "\(l): this command needs \(e) rows, got a \(a) row"
        case .empty(let f): "\(f): no usable rows"
        }
    }
}
