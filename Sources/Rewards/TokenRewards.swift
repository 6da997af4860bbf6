// The one token-reward contract (docs/design/rewards.md §0, §1.1): every source of per-token
// rewards — a lexicon, a profanity list, a verifier's first error, a DPO model's implicit reward, a
// contrastive pair of models, a reward model's attention — maps an `Episode` (prompt and response
// token ids) to `TokenRewards` (one Float per response token, an optional sequence reward, and the
// name of the source that made them).
//
// The contract lives here, in `Rewards` (Foundation and Tokenizers only), so that everything can
// conform without a cycle: `Objectives` (tensor maths, no models) imports it for the implicit DPO
// reward, the contrastive score and attention credit; `CreditBench` for its verifier; `Experiments`
// for the sources backed by trained models. Token ids are `Int32`, rewards `Float`.

/// One prompt/response pair in token space. `response` excludes the prompt; EOS, if present, is
/// its last element.
public struct Episode: Equatable, Sendable {
    public var prompt: [Int32]
    public var response: [Int32]

    public init(prompt: [Int32], response: [Int32]) {
        self.prompt = prompt
        self.response = response
    }

    /// From `Int` ids (tokenizers and models speak `Int`).
    public init(prompt: [Int], response: [Int]) {
        self.init(prompt: prompt.map { Int32(truncatingIfNeeded: $0) }, response: response.map { Int32(truncatingIfNeeded: $0) })
    }
}

/// Per-token rewards aligned with `Episode.response` (`values.count == response.count`), what a
/// `TokenRewardSource` returns.
public struct TokenRewards: Equatable, Sendable {
    /// r_t, one per response token (higher is better).
    public var values: [Float]
    /// The reward of the whole response when the source has one (a lexicon's compound score, a
    /// verifier's pass mark, a reward model's score); nil otherwise.
    public var sequenceReward: Float?
    /// The name of the source that made these rewards (`TokenRewardSource.name`).
    public var source: String
    /// True if Σ values == the sequence reward + c(prompt): redistribution or potential-based
    /// shaping, which keeps the KL-regularised optimum (docs/design/rewards.md §1.7).
    public var returnPreserving: Bool
    /// Optional segment ends (FGRLHF sentences, entropy segments).
    public var segmentEnds: [Int]?

    public init(values: [Float], sequenceReward: Float? = nil, source: String = "", returnPreserving: Bool = false,
                segmentEnds: [Int]? = nil) {
        self.values = values
        self.sequenceReward = sequenceReward
        self.source = source
        self.returnPreserving = returnPreserving
        self.segmentEnds = segmentEnds
    }

    /// Σ_t r_t.
    public var total: Float { values.reduce(0, +) }
}

/// Compute accounting, so callers can budget and report cost.
public struct CostHint: Equatable, Sendable {
    public var forwardPassesPerEpisode: Int
    public var forwardPassesPerDecodingStep: Int
    public var needsReferenceModel: Bool

    public init(forwardPassesPerEpisode: Int, forwardPassesPerDecodingStep: Int = 0, needsReferenceModel: Bool = false) {
        self.forwardPassesPerEpisode = forwardPassesPerEpisode
        self.forwardPassesPerDecodingStep = forwardPassesPerDecodingStep
        self.needsReferenceModel = needsReferenceModel
    }
}

/// Maps an episode to per-token rewards: the one contract every token-reward source implements.
public protocol TokenRewardSource {
    /// Where the rewards come from ("implicit-dpo", "lexicon", …); copied into `TokenRewards.source`.
    var name: String { get }
    var cost: CostHint { get }
    func tokenRewards(_ e: Episode) -> TokenRewards
    /// Several episodes at once, in order. Sources backed by a model batch their forward passes
    /// here (the default scores the episodes one by one).
    func tokenRewards(_ episodes: [Episode]) -> [TokenRewards]
}

extension TokenRewardSource {
    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] { episodes.map { tokenRewards($0) } }
}

/// A source that scores whole batches (one batched forward pass of its model or scorer); one
/// episode is scored as a batch of one.
public protocol BatchedTokenRewardSource: TokenRewardSource {}

extension BatchedTokenRewardSource {
    public func tokenRewards(_ e: Episode) -> TokenRewards { tokenRewards([e])[0] }
}

/// R(x, y): a sequence reward model, judge or verifier.
public protocol SequenceRewardModel {
    func score(_ e: Episode) -> Float
    /// Several episodes at once (models batch their forward passes; the default scores one by one).
    func scores(_ episodes: [Episode]) -> [Float]
}

extension SequenceRewardModel {
    public func scores(_ episodes: [Episode]) -> [Float] { episodes.map { score($0) } }
}

/// A prefix scorer V(x, y_≤t): PRM, TVM, value head.
public protocol PrefixValue {
    func value(prompt: [Int32], prefix: [Int32]) -> Float
}

/// Per-token log-probabilities log π(y_t | x, y_<t) of an episode's response under some model.
public protocol TokenLogProbSource {
    func tokenLogProbs(_ e: Episode) -> [Float]
    /// Several episodes at once (models batch their forward passes; the default goes one by one).
    func tokenLogProbs(_ episodes: [Episode]) -> [[Float]]
}

extension TokenLogProbSource {
    public func tokenLogProbs(_ episodes: [Episode]) -> [[Float]] { episodes.map { tokenLogProbs($0) } }
}

/// The logits rows that predict an episode's response tokens, under one model or several models
/// read together (a positive and a negative model): the input of sources that need the whole
/// next-token distribution, not just the log-probability of the token written.
public protocol TokenLogitsSource {
    var vocabularySize: Int { get }
    /// How many models each visit gives a row of (in a fixed order).
    var modelCount: Int { get }
    /// Calls `body(i, t, rows)` for every response token t of every episode i, where `rows[k]`
    /// points at model k's `vocabularySize` logits that predict `episodes[i].response[t]`. The
    /// pointers are valid only during the call.
    func forEachTokenLogits(_ episodes: [Episode], _ body: (_ episode: Int, _ token: Int, _ rows: [UnsafePointer<Float>]) -> Void)
}

extension TokenRewardSource {
    /// The source's sequence reward as a `SequenceRewardModel` (Σ_t r_t when it has none), so it
    /// can be placed or redistributed by the adapters.
    public var sequenceRewardModel: SourceSequenceReward { SourceSequenceReward(self) }
}

/// A source's `sequenceReward` (or Σ_t r_t when it has none) as a sequence reward model.
public struct SourceSequenceReward: SequenceRewardModel {
    public var source: any TokenRewardSource

    public init(_ source: any TokenRewardSource) { self.source = source }

    public func score(_ e: Episode) -> Float {
        let r = source.tokenRewards(e)
        return r.sequenceReward ?? r.total
    }

    public func scores(_ episodes: [Episode]) -> [Float] {
        source.tokenRewards(episodes).map { $0.sequenceReward ?? $0.total }
    }
}

// Closure adapters, so tests and callers can plug functions in without new types.

/// A sequence reward model from a function. (In `Objectives` it is also `SequenceRewardFunction`,
/// its earlier name; `OnlineRL` has a protocol of that name.)
public struct SequenceReward: SequenceRewardModel {
    public var body: (Episode) -> Float
    public init(_ body: @escaping (Episode) -> Float) { self.body = body }
    public func score(_ e: Episode) -> Float { body(e) }
}

public struct PrefixValueFunction: PrefixValue {
    public var body: ([Int32], [Int32]) -> Float
    public init(_ body: @escaping (_ prompt: [Int32], _ prefix: [Int32]) -> Float) { self.body = body }
    public func value(prompt: [Int32], prefix: [Int32]) -> Float { body(prompt, prefix) }
}

public struct TokenLogProbFunction: TokenLogProbSource {
    public var body: (Episode) -> [Float]
    public init(_ body: @escaping (Episode) -> [Float]) { self.body = body }
    public func tokenLogProbs(_ e: Episode) -> [Float] { body(e) }
}

/// Logits from a function: `body(e)` gives, for each of the `modelCount` models, the rows of all
/// response tokens one after another (`response.count × vocabularySize` values).
public struct TokenLogitsFunction: TokenLogitsSource {
    public var vocabularySize: Int
    public var modelCount: Int
    public var body: (Episode) -> [[Float]]

    public init(vocabularySize: Int, modelCount: Int = 1, _ body: @escaping (Episode) -> [[Float]]) {
        self.vocabularySize = vocabularySize
        self.modelCount = modelCount
        self.body = body
    }

    public func forEachTokenLogits(_ episodes: [Episode], _ visit: (_ episode: Int, _ token: Int, _ rows: [UnsafePointer<Float>]) -> Void) {
        let V = vocabularySize
        for (i, e) in episodes.enumerated() {
            let T = e.response.count
            let perModel = body(e)
            precondition(perModel.count == modelCount && perModel.allSatisfy { $0.count == T * V },
                         "TokenLogitsFunction: expected \(modelCount) × \(T) × \(V) logits, got \(perModel.map(\.count))")
            let flat = Array(perModel.joined())
            flat.withUnsafeBufferPointer { p in
                guard let base = p.baseAddress else { return }
                for t in 0 ..< T { visit(i, t, (0 ..< modelCount).map { base + ($0 * T + t) * V }) }
            }
        }
    }
}

public struct TokenRewardFunction: TokenRewardSource {
    public var name: String
    public var body: (Episode) -> TokenRewards
    public var cost: CostHint
    /// - Parameter name: the source name written into the rewards (`body`'s own `source` is kept
    ///   when it sets one).
    public init(name: String = "function", cost: CostHint = CostHint(forwardPassesPerEpisode: 0),
                _ body: @escaping (Episode) -> TokenRewards) {
        self.name = name
        self.body = body
        self.cost = cost
    }
    public func tokenRewards(_ e: Episode) -> TokenRewards {
        var r = body(e)
        if r.source.isEmpty { r.source = name }
        return r
    }
}
