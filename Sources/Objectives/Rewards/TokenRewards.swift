// Token-reward sources: the common interface (docs/design/rewards.md §0, §1.1).
//
// These types live in `Objectives` for now (pure maths, no models); a later `Rewards` target that
// imports `Models` conforms model wrappers to the same protocols. Token ids are plain `Int32`
// (no `TokenID` typealias, to avoid clashing with another module's).

/// One prompt/response pair in token space. `response` excludes the prompt; EOS, if present, is
/// its last element.
public struct Episode: Equatable, Sendable {
    public var prompt: [Int32]
    public var response: [Int32]

    public init(prompt: [Int32], response: [Int32]) {
        self.prompt = prompt
        self.response = response
    }
}

/// Per-token rewards aligned with `Episode.response` (`values.count == response.count`).
public struct TokenRewards: Equatable, Sendable {
    public var values: [Float]
    /// True if Σ values == the sequence reward + c(prompt): redistribution or potential-based
    /// shaping, which keeps the KL-regularised optimum (docs/design/rewards.md §1.7).
    public var returnPreserving: Bool
    /// Optional segment ends (FGRLHF sentences, entropy segments).
    public var segmentEnds: [Int]?

    public init(values: [Float], returnPreserving: Bool, segmentEnds: [Int]? = nil) {
        self.values = values
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

/// R(x, y): a sequence reward model, judge or verifier.
public protocol SequenceRewardModel {
    func score(_ e: Episode) -> Float
}

/// Maps an episode to per-token rewards.
public protocol TokenRewardSource {
    func tokenRewards(_ e: Episode) -> TokenRewards
    var cost: CostHint { get }
}

/// A prefix scorer V(x, y_≤t): PRM, TVM, value head.
public protocol PrefixValue {
    func value(prompt: [Int32], prefix: [Int32]) -> Float
}

/// Per-token log-probabilities log π(y_t | x, y_<t) of an episode's response under some model.
public protocol TokenLogProbSource {
    func tokenLogProbs(_ e: Episode) -> [Float]
}

/// Closure adapters, so tests and callers can plug functions in without new types.
public struct SequenceRewardFunction: SequenceRewardModel {
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

public struct TokenRewardFunction: TokenRewardSource {
    public var body: (Episode) -> TokenRewards
    public var cost: CostHint
    public init(cost: CostHint = CostHint(forwardPassesPerEpisode: 0), _ body: @escaping (Episode) -> TokenRewards) {
        self.body = body
        self.cost = cost
    }
    public func tokenRewards(_ e: Episode) -> TokenRewards { body(e) }
}
