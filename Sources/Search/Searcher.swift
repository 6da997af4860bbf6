// The searcher contract: given a prompt, the base model and (for most methods) a scorer, return one
// answer and what was spent finding it. Searchers register in `Searchers.registry`
// (`tokenalign search --method NAME`).
import OnlineRL
import Support

/// The knobs every searcher reads a subset of (`tokenalign search` flags; snake_case in cards).
public struct SearchSettings: Sendable, Equatable {
    /// Samples per prompt (best-of-n, majority votes, early rejection's initial pool).
    public var n = 8
    public var seed: UInt64 = 0
    /// Early rejection: tokens generated before the partial answers are scored.
    public var tau = 4
    /// Early rejection: the fraction of the pool kept after the partial scores (at least 1 sample).
    public var keepFraction = 0.25
    /// Beam search: beams kept after each step.
    public var beamWidth = 4
    /// Beam search and MCTS: sampled next steps per expanded beam or node.
    public var expansions = 4
    /// Beam search and MCTS: the text that ends a step (CreditBench `chain` writes ";").
    public var stepDelimiter = ";"
    /// Beam search and MCTS: most tokens in one step.
    public var stepTokens = 16
    /// Beam search: most steps.
    public var maxSteps = 16
    /// MCTS: selection–expansion–backup rounds.
    public var iterations = 16
    /// MCTS: the UCT exploration constant c.
    public var exploration = 1.0
    /// MCTS: back up the maximum child value (LE-MCTS's optimistic backup) instead of the mean.
    public var optimisticBackup = false
    /// Saffron: (node, child) pairs and nodes kept at each depth.
    public var budget = 8
    /// Saffron: the top-p mass whose tokens become a node's children.
    public var saffronTopP = 0.8
    /// Saffron: depths before which stop tokens are forbidden.
    public var minNewTokens = 0
    /// Saffron: most children per node (0: the whole top-p set).
    public var maxChildren = 0
    /// Persona-judge: the persona text put before every prompt for the drafting view, and for the
    /// judging view.
    public var draftPersona = ""
    public var judgePersona = ""
    /// Persona-judge: tokens the drafting view proposes per round (γ; the released code's 4).
    public var draftTokens = 4
    /// Persona-judge: swap the two views' roles after every round.
    public var alternatePersonas = false

    public init() {}

    /// Checks ranges; errors name the flag.
    public func validate() throws {
        func need(_ ok: Bool, _ message: String) throws { if !ok { throw SearchError.invalidSetting(message) } }
        try need(n >= 1, "-n must be ≥ 1, got \(n)")
        try need(tau >= 1, "--tau must be ≥ 1, got \(tau)")
        try need(keepFraction > 0 && keepFraction <= 1, "--keep must be in (0, 1], got \(keepFraction)")
        try need(beamWidth >= 1, "--beam-width must be ≥ 1, got \(beamWidth)")
        try need(expansions >= 1, "--expansions must be ≥ 1, got \(expansions)")
        try need(!stepDelimiter.isEmpty, "--step-delimiter must not be empty")
        try need(stepTokens >= 1, "--step-tokens must be ≥ 1, got \(stepTokens)")
        try need(maxSteps >= 1, "--max-steps must be ≥ 1, got \(maxSteps)")
        try need(iterations >= 1, "--iterations must be ≥ 1, got \(iterations)")
        try need(exploration >= 0 && exploration.isFinite, "--exploration must be a finite number ≥ 0, got \(exploration)")
        try need(budget >= 1, "--budget must be ≥ 1, got \(budget)")
        try need(saffronTopP > 0 && saffronTopP <= 1, "--saffron-top-p must be in (0, 1], got \(saffronTopP)")
        try need(minNewTokens >= 0, "--min-new-tokens must be ≥ 0, got \(minNewTokens)")
        try need(maxChildren >= 0, "--max-children must be ≥ 0, got \(maxChildren)")
        try need(draftTokens >= 1, "--draft-tokens must be ≥ 1, got \(draftTokens)")
    }
}

/// What a search found.
public struct SearchResult: Sendable {
    /// The chosen answer.
    public var answer: Answer
    /// Its score under the scorer (a vote share for majority votes; nil when nothing scored it).
    public var score: Double?
    /// Every complete sample the method drew, in order, with its score when it has one (best-of-n
    /// and votes: the pool the unbiased estimator reads).
    public var samples: [Answer] = []
    public var sampleScores: [Double] = []

    /// Recorded hidden states are dropped: they served the scorer and are large.
    public init(answer: Answer, score: Double?, samples: [Answer] = [], sampleScores: [Double] = []) {
        self.answer = answer.withoutHiddenStates
        self.score = score
        self.samples = samples.map(\.withoutHiddenStates)
        self.sampleScores = sampleScores
    }
}

/// A searcher.
public protocol Searcher {
    /// - Parameter index: the prompt's index in the run (it derives the seeds).
    func search(_ prompt: RLPrompt, index: Int, policy: SearchPolicy, scorer: (any SequenceScorer)?,
                ledger: inout CostLedger) throws -> SearchResult
}

/// One registered searcher.
public struct SearcherEntry: RegistryEntry {
    public var card: MethodCard
    /// True when the method cannot run without `--scorer`.
    public var needsScorer: Bool
    public var make: @Sendable (SearchSettings) -> any Searcher

    public init(card: MethodCard, needsScorer: Bool, make: @escaping @Sendable (SearchSettings) -> any Searcher) {
        self.card = card
        self.needsScorer = needsScorer
        self.make = make
    }
}

extension SearchPolicy {
    /// Answers (stop token dropped, text decoded) of continuations, with their hidden-state
    /// features when the call recorded them and there is no `prefix` (whose states it did not keep).
    func answers(_ continuations: [Continuation], prefix: [Int] = []) -> [Answer] {
        continuations.map { c in
            let ids = body(prefix + c.ids)
            let states = prefix.isEmpty ? c.layerStates.flatMap { HiddenStateFeatures.sample(from: $0, count: ids.count) } : nil
            return Answer(ids: ids, text: text(ids), hiddenStates: states)
        }
    }
}

/// The index of the largest score; ties go to the earliest.
func argmax(_ xs: [Float]) -> Int {
    var best = 0
    for i in xs.indices where xs[i] > xs[best] { best = i }
    return best
}
