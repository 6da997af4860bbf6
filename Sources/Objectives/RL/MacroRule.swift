// Where macro actions start (MA-RLHF, arXiv 2410.02743), and where a text segment ends (the span
// density of fine-grained RLHF, arXiv 2306.01693, reuses the same sentence boundary).

/// A termination rule for macro actions: fixed n-grams, or boundaries read from the tokens' text.
public enum MacroRule: Sendable, Equatable {
    /// Every n consecutive trained tokens form one macro (the last may be shorter); n = 1 is
    /// token-level PPO.
    case ngram(Int)
    /// A macro ends after a token whose text ends in sentence or clause punctuation, or holds a
    /// line break.
    case punctuation
    /// A macro starts at every token whose text begins with white space (word boundaries).
    case whitespace

    /// `ngram:N` (N ≥ 1), `punct` or `space`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first ?? "" {
        case "ngram":
            guard parts.count == 2, let n = Int(parts[1]), n >= 1 else {
                throw RLInputError.invalidSetting(key: "macro", value: text, reason: "ngram needs a length N ≥ 1: ngram:N")
            }
            self = .ngram(n)
        case "punct" where parts.count == 1: self = .punctuation
        case "space" where parts.count == 1: self = .whitespace
        default:
            throw RLInputError.invalidSetting(key: "macro", value: text, reason: "expected ngram:N, punct or space")
        }
    }

    /// Whether the rule reads the tokens' text (then the trainer supplies `RolloutBatch.macroStarts`).
    public var readsText: Bool {
        if case .ngram = self { return false }
        return true
    }

    /// Whether each token of one response starts a macro, from the tokens' decoded texts. The first
    /// token always starts one.
    public func starts(tokenTexts: [String]) -> [Bool] {
        var out = [Bool](repeating: false, count: tokenTexts.count)
        for (k, text) in tokenTexts.enumerated() {
            switch self {
            case .ngram(let n): out[k] = k % n == 0
            case .punctuation: out[k] = k == 0 || Self.endsSegment(tokenTexts[k - 1])
            case .whitespace: out[k] = k == 0 || (text.unicodeScalars.first?.properties.isWhitespace ?? false)
            }
        }
        return out
    }

    /// A token closes a segment when its text, trailing spaces aside, ends in . ! ? ; : or ,, or
    /// when it holds a line break.
    public static func endsSegment(_ text: String) -> Bool {
        if text.contains(where: \.isNewline) { return true }
        guard let last = text.unicodeScalars.reversed().first(where: { !$0.properties.isWhitespace }) else { return false }
        return ".!?;:,".unicodeScalars.contains(last)
    }
}
