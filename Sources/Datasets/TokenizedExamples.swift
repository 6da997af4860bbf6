// Tokenized rows: what collation turns into padded batches.

/// One token sequence (prompt + completion) with per-token annotations aligned to `ids`.
public struct TokenizedSequence: Sendable, Equatable {
    /// Input token ids, prompt first.
    public var ids: [Int]
    /// Per token of `ids`: true for tokens that are trained (completion tokens; prompt masked out).
    public var trainMask: [Bool]
    /// Per token of `ids`: a token reward (our `*_token_rewards` annotations), 0 outside the response.
    public var tokenRewards: [Float]?
    /// Per token of `ids`: a label (error-span severity, stepwise step label), 0 elsewhere.
    public var tokenLabels: [Float]?
    /// Number of leading prompt tokens (after truncation).
    public var promptLength: Int
    /// Whether truncation removed tokens.
    public var truncated: Bool

    public init(ids: [Int], trainMask: [Bool], tokenRewards: [Float]? = nil, tokenLabels: [Float]? = nil,
                promptLength: Int, truncated: Bool = false) {
        precondition(trainMask.count == ids.count, "TokenizedSequence: \(trainMask.count) mask entries for \(ids.count) ids")
        self.ids = ids
        self.trainMask = trainMask
        self.tokenRewards = tokenRewards
        self.tokenLabels = tokenLabels
        self.promptLength = promptLength
        self.truncated = truncated
    }

    /// The number of trained tokens.
    public var trainedTokenCount: Int { trainMask.reduce(0) { $0 + ($1 ? 1 : 0) } }
}

/// A tokenized preference pair (TRL layout: the shared prompt is repeated in both sequences).
public struct PreferenceExample: Sendable, Equatable {
    public var location: RowLocation
    public var chosen: TokenizedSequence
    public var rejected: TokenizedSequence
    /// Bradley–Terry margin (TRL reward trainer's `margin` column).
    public var margin: Float?
    /// A tie: the reward trainer's target for this pair is P(chosen ≻ rejected) = ½ (the `tie` column).
    public var tie: Bool

    public init(location: RowLocation, chosen: TokenizedSequence, rejected: TokenizedSequence, margin: Float? = nil, tie: Bool = false) {
        self.location = location
        self.chosen = chosen
        self.rejected = rejected
        self.margin = margin
        self.tie = tie
    }
}

/// A tokenized single sequence (SFT rows, stepwise rows) with its location.
public struct SequenceExample: Sendable, Equatable {
    public var location: RowLocation
    public var sequence: TokenizedSequence
    public init(location: RowLocation, sequence: TokenizedSequence) {
        self.location = location
        self.sequence = sequence
    }
}

/// A tokenized unpaired-preference row (KTO).
public struct UnpairedExample: Sendable, Equatable {
    public var location: RowLocation
    public var sequence: TokenizedSequence
    /// true = desirable.
    public var label: Bool
    public init(location: RowLocation, sequence: TokenizedSequence, label: Bool) {
        self.location = location
        self.sequence = sequence
        self.label = label
    }
}
