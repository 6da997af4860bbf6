// Early rejection (Speculative Rejection, Sun et al. 2024, arXiv 2410.20290; the step-level form
// with partial reward models is Cheshmi et al. 2025, arXiv 2508.01969): start best-of-N's N samples,
// stop every one after τ tokens, score the partial answers with the scorer used as a partial reward
// model, keep the top fraction and finish only those; return the best finished answer. It spends
// N·τ decode positions plus the survivors' remainders instead of N full answers; the survivors are
// re-prefilled (prompt + their τ tokens), which the ledger counts.
//
// Seeds: the first τ tokens are drawn with best-of-N's seed, so the pool starts exactly as
// best-of-N's does; the continuations use the prompt's call-1 seed.
import OnlineRL

public struct EarlyRejection: Searcher {
    public var settings: SearchSettings
    public init(_ settings: SearchSettings) { self.settings = settings }

    /// How many of `n` partial answers survive `keep`.
    public static func survivors(_ n: Int, keep: Double) -> Int {
        min(n, max(1, Int((Double(n) * keep).rounded(.up))))
    }

    public func search(_ prompt: RLPrompt, index: Int, policy: SearchPolicy, scorer: (any SequenceScorer)?,
                       ledger: inout CostLedger) throws -> SearchResult {
        guard let scorer else { throw SearchError.invalidSetting("early-reject needs --scorer") }
        let budget = policy.parameters.maxNewTokens
        let tau = min(settings.tau, budget)
        let first = policy.continueContexts([prompt.ids], copies: settings.n, maxNewTokens: tau,
                                            seed: SearchSeeds.seed(settings.seed, prompt: index, call: 0), ledger: &ledger)
        let partial = policy.answers(first)
        // Partial scores for unfinished answers, full scores for those that already ended.
        let open = first.indices.filter { !first[$0].finished }, done = first.indices.filter { first[$0].finished }
        var scores = [Float](repeating: 0, count: first.count)
        if !open.isEmpty {
            for (i, s) in zip(open, try scorer.prefixScores(prompt, open.map { partial[$0] }, ledger: &ledger)) { scores[i] = s }
        }
        if !done.isEmpty {
            for (i, s) in zip(done, try scorer.scores(prompt, done.map { partial[$0] }, ledger: &ledger)) { scores[i] = s }
        }
        let k = Self.survivors(settings.n, keep: settings.keepFraction)
        let kept = first.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(k).sorted()
        // Finish the survivors that are still open.
        var survivors = kept.map { (ids: first[$0].ids, finished: first[$0].finished, score: scores[$0]) }
        let toFinish = survivors.indices.filter { !survivors[$0].finished }
        if !toFinish.isEmpty && budget > tau {
            let rest = policy.continueContexts(toFinish.map { prompt.ids + survivors[$0].ids }, maxNewTokens: budget - tau,
                                               seed: SearchSeeds.seed(settings.seed, prompt: index, call: 1), ledger: &ledger)
            for (j, c) in zip(toFinish, rest) {
                survivors[j].ids += c.ids
                survivors[j].finished = c.finished
            }
        }
        let answers = policy.answers(survivors.map { Continuation(ids: $0.ids, finished: $0.finished) })
        // Rescore what grew; answers that ended within τ keep their full score.
        let grown = toFinish
        if !grown.isEmpty {
            for (j, s) in zip(grown, try scorer.scores(prompt, grown.map { answers[$0] }, ledger: &ledger)) { survivors[j].score = s }
        }
        let finalScores = survivors.map(\.score)
        let best = argmax(finalScores)
        return SearchResult(answer: answers[best], score: Double(finalScores[best]), samples: answers, sampleScores: finalScores.map(Double.init))
    }
}
