// From a character-level first error to token-level ground truth.
//
// Credit sources score tokens, so the benchmark needs "which token went wrong first". A token is
// wrong when its bytes reach the first wrong byte: with BPE a wrong digit inside a merged token
// ("1112" as one token, or "11|12") makes the whole merged token the first error, and a number split
// into several tokens is wrong from the token holding the first wrong digit on.
import Tokenizers

/// Where each response token stands relative to the first error.
public enum TokenLabel: Int, Sendable, Codable {
    /// Every byte of the token is before the first error: the response could still have been right.
    case beforeError = 0
    /// The first token whose bytes reach the first wrong byte.
    case firstError = 1
    /// After the first error.
    case afterError = 2
}

/// Token-level ground truth for one response.
public struct TokenCredit: Sendable, Equatable {
    /// Response token ids, as tokenised (in context of the prompt when one was given).
    public var ids: [Int]
    /// Byte range of each response token in the response's UTF-8 (may start before 0 for a token
    /// that straddles the prompt/response boundary).
    public var offsets: [Range<Int>]
    /// Index of the first erroneous response token; nil when the response is correct. Equal to
    /// `ids.count` when the error is missing text at the response's end: the token that ended it
    /// (the EOS or stop token a trainer appends) is the first error.
    public var firstErrorToken: Int?
    /// One label per response token.
    public var labels: [TokenLabel]

    /// Locates `firstError` (a scalar offset in `response`, nil when correct) among the tokens.
    /// - Parameter prompt: when given, prompt and response are tokenised together, as a trainer does
    ///   (`Datasets` encodes prompt + completion), and the response tokens are those after the common
    ///   prefix with the prompt's own tokens, so indices line up with training batches.
    public init(response: String, firstError: Int?, tokenizer: Tokenizer, prompt: String? = nil) {
        let full = (prompt ?? "") + response
        let base = (prompt ?? "").utf8.count
        let enc = tokenizer.encodeWithOffsets(full, addSpecialTokens: false, parseSpecialTokens: false)
        var start = 0
        if let prompt {
            let promptIDs = tokenizer.encode(prompt, addSpecialTokens: false, parseSpecialTokens: false)
            while start < promptIDs.count, start < enc.ids.count, promptIDs[start] == enc.ids[start] { start += 1 }
        }
        ids = Array(enc.ids[start...])
        offsets = enc.offsets[start...].map { ($0.lowerBound - base) ..< ($0.upperBound - base) }
        guard let firstError else {
            firstErrorToken = nil
            labels = Array(repeating: .beforeError, count: ids.count)
            return
        }
        // Scalar offset → byte offset in the response.
        let scalars = response.unicodeScalars
        let errorByte = scalars.prefix(firstError).reduce(0) { $0 + UTF8.width($1) }
        let first = offsets.firstIndex { $0.upperBound > errorByte && !$0.isEmpty } ?? ids.count
        firstErrorToken = first
        labels = (0 ..< ids.count).map { $0 < first ? .beforeError : ($0 == first ? .firstError : .afterError) }
    }

    /// Credit for `response` to `example` under `task`: verifies, then locates the first error.
    public init(task: some CreditTask, example: CreditExample, response: String, tokenizer: Tokenizer,
                inContextOfPrompt: Bool = true) {
        let verdict = task.verify(response, for: example)
        self.init(response: response, firstError: verdict.firstError, tokenizer: tokenizer,
                  prompt: inContextOfPrompt ? example.prompt : nil)
    }
}
