// The explicit truncation and tokenization policy (TRL `DPOConfig`/`SFTConfig`: `max_length`,
// `max_prompt_length`, `truncation_mode`), with one difference: by default a row that would be
// truncated is an error naming the row, not a silent cut.

/// Which end of a too-long sequence survives truncation.
public enum TruncationMode: String, Sendable, CaseIterable, Codable {
    /// Keep the first `maxLength` tokens (TRL `keep_start`, its default).
    case keepStart = "keep_start"
    /// Keep the last `maxLength` tokens (TRL `keep_end`).
    case keepEnd = "keep_end"
}

/// How rows become token sequences.
public struct EncodingOptions: Sendable, Equatable {
    /// Longest prompt + completion, in tokens (nil: no limit). TRL's default is 1024.
    public var maxLength: Int?
    /// Longest prompt, in tokens (nil: no limit); a longer prompt keeps its end.
    public var maxPromptLength: Int?
    /// Which end survives when `maxLength` cuts.
    public var truncationMode: TruncationMode
    /// When false (default) a row over a limit throws `DatasetError.wouldTruncate`.
    public var allowTruncation: Bool
    /// Append the EOS token to standard-format completions (TRL `DPOTrainer`/`SFTTrainer` do).
    public var appendEOS: Bool
    /// Let the tokenizer's post-processor add its special tokens to standard-format text, as TRL's
    /// `processing_class(text=…)` does. Conversational rows never get them (the template has them).
    public var addSpecialTokens: Bool
    /// Separator appended to each step of stepwise rows (TRL `PRMConfig.step_separator`).
    public var stepSeparator: String

    public init(maxLength: Int? = 1024, maxPromptLength: Int? = nil, truncationMode: TruncationMode = .keepStart,
                allowTruncation: Bool = false, appendEOS: Bool = true, addSpecialTokens: Bool = true, stepSeparator: String = "\n") {
        self.maxLength = maxLength
        self.maxPromptLength = maxPromptLength
        self.truncationMode = truncationMode
        self.allowTruncation = allowTruncation
        self.appendEOS = appendEOS
        self.addSpecialTokens = addSpecialTokens
        self.stepSeparator = stepSeparator
    }
}
