// The searchers that rank whole samples: greedy decoding (the baseline: one answer, no scorer), best-of-N
// (Stiennon et al. / Gao et al., arXiv 2210.10760: the highest-scored of N samples, ties to the
// earliest), and majority / reward-weighted majority voting over extracted final answers
// (self-consistency, arXiv 2203.11171). All N samples of a prompt are drawn in one batch seeded with
// `SearchSeeds.seed(seed, prompt, 0)`, so best-of-1 is exactly plain sampling with that seed.
import CreditBench
import OnlineRL

/// Greedy decoding; scored when a scorer is given (for the output's score column).
public struct GreedySearch: Searcher {
    public init() {}
    public func search(_ prompt: RLPrompt, index: Int, policy: SearchPolicy, scorer: (any SequenceScorer)?,
                       ledger: inout CostLedger) throws -> SearchResult {
        let answer = policy.answers(policy.sample(prompt.ids, count: 1, seed: 0, greedy: true,
                                                  hiddenStates: scorer?.readsPolicyHiddenStates == true, ledger: &ledger))[0]
        let score = try scorer.map { try $0.scores(prompt, [answer], ledger: &ledger)[0] }
        return SearchResult(answer: answer, score: score.map(Double.init), samples: [answer], sampleScores: score.map { [Double($0)] } ?? [])
    }
}

/// Best-of-N: N samples, the scorer's argmax.
public struct BestOfN: Searcher {
    public var settings: SearchSettings
    public init(_ settings: SearchSettings) { self.settings = settings }

    public func search(_ prompt: RLPrompt, index: Int, policy: SearchPolicy, scorer: (any SequenceScorer)?,
                       ledger: inout CostLedger) throws -> SearchResult {
        guard let scorer else { throw SearchError.invalidSetting("best-of-n needs --scorer") }
        let samples = policy.answers(policy.sample(prompt.ids, count: settings.n, seed: SearchSeeds.seed(settings.seed, prompt: index, call: 0),
                                                   hiddenStates: scorer.readsPolicyHiddenStates, ledger: &ledger))
        let scores = try scorer.scores(prompt, samples, ledger: &ledger)
        let best = argmax(scores)
        return SearchResult(answer: samples[best], score: Double(scores[best]), samples: samples, sampleScores: scores.map(Double.init))
    }
}

/// Majority vote over final answers; `weighted`: each sample votes with its score.
public struct MajorityVote: Searcher {
    public var settings: SearchSettings
    public var weighted: Bool
    public init(_ settings: SearchSettings, weighted: Bool) {
        self.settings = settings
        self.weighted = weighted
    }

    public func search(_ prompt: RLPrompt, index: Int, policy: SearchPolicy, scorer: (any SequenceScorer)?,
                       ledger: inout CostLedger) throws -> SearchResult {
        if weighted && scorer == nil { throw SearchError.invalidSetting("weighted-majority needs --scorer") }
        let samples = policy.answers(policy.sample(prompt.ids, count: settings.n, seed: SearchSeeds.seed(settings.seed, prompt: index, call: 0),
                                                   hiddenStates: scorer?.readsPolicyHiddenStates == true, ledger: &ledger))
        let task = (prompt.columns["task"] as? String).flatMap(CreditTaskName.init(rawValue:))
        let answers = samples.map { AnswerExtraction.finalAnswer($0.text, task: task) }
        let scores = try scorer.map { try $0.scores(prompt, samples, ledger: &ledger).map(Double.init) }
        let outcome = weighted ? Voting.weighted(answers, weights: scores!) : Voting.majority(answers)
        guard let outcome else { throw SearchError.invalidSetting("-n must be ≥ 1") }
        return SearchResult(answer: samples[outcome.sample], score: outcome.share, samples: samples, sampleScores: scores ?? [])
    }
}
