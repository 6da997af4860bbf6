// Step-level beam search guided by a process reward or value model (the search TVM is evaluated
// with, Lee et al. 2024, arXiv 2407.12863): keep K beams; each open beam samples b next steps (a
// step ends at the step delimiter, the answer at a stop string or token); every candidate prefix is
// scored (partial answers with the scorer's prefix value, finished answers with its full score);
// the K best of the finished beams carried over and the new candidates survive (ties: carried beams
// first, then generation order). Stops when the K survivors are finished or after `maxSteps`.
// Returns the best finished beam (the best open one if none finished).
//
// Step k of prompt i is seeded with `SearchSeeds.seed(seed, i, k)`. Each step re-prefills every
// candidate's prompt + prefix (no cache is shared between beams); the ledger counts it.
import OnlineRL

public struct StepBeamSearch: Searcher {
    public var settings: SearchSettings
    public init(_ settings: SearchSettings) { self.settings = settings }

    struct Beam {
        var ids: [Int]
        var finished: Bool
        var score: Float
    }

    public func search(_ prompt: RLPrompt, index: Int, policy: SearchPolicy, scorer: (any SequenceScorer)?,
                       ledger: inout CostLedger) throws -> SearchResult {
        guard let scorer else { throw SearchError.invalidSetting("beam needs --scorer (a process reward or value model)") }
        let budget = policy.parameters.maxNewTokens
        var beams = [Beam(ids: [], finished: false, score: 0)]
        for step in 0 ..< settings.maxSteps {
            let open = beams.filter { !$0.finished }
            if open.isEmpty { break }
            let candidates = try StepExpansion.expand(open.map(\.ids), prompt: prompt, count: settings.expansions, settings: settings,
                                                      seed: SearchSeeds.seed(settings.seed, prompt: index, call: step),
                                                      policy: policy, scorer: scorer, ledger: &ledger)
            let pool = beams.filter(\.finished) + candidates.map { Beam(ids: $0.ids, finished: $0.finished || $0.ids.count >= budget, score: $0.score) }
            beams = pool.indices.sorted { pool[$0].score != pool[$1].score ? pool[$0].score > pool[$1].score : $0 < $1 }
                .prefix(settings.beamWidth).map { pool[$0] }
        }
        let finished = beams.filter(\.finished)
        let chosen = (finished.isEmpty ? beams : finished).enumerated().max { a, b in
            a.element.score != b.element.score ? a.element.score < b.element.score : a.offset > b.offset
        }!.element
        let answer = policy.answers([Continuation(ids: chosen.ids, finished: chosen.finished)])[0]
        return SearchResult(answer: answer, score: Double(chosen.score))
    }
}

/// One round of step proposals: `count` sampled next steps for each prefix, in one batch, scored.
enum StepExpansion {
    struct Candidate {
        var ids: [Int]
        var finished: Bool
        var score: Float
    }

    static func expand(_ prefixes: [[Int]], prompt: RLPrompt, count: Int, settings: SearchSettings, seed: UInt64,
                       policy: SearchPolicy, scorer: any SequenceScorer, ledger: inout CostLedger) throws -> [Candidate] {
        let budget = policy.parameters.maxNewTokens
        var rows: [[Int]] = []
        for p in prefixes { for _ in 0 ..< count { rows.append(p) } }
        let room = rows.map { budget - $0.count }.max() ?? 0
        guard room > 0 else { return rows.map { Candidate(ids: $0, finished: true, score: 0) } }
        let steps = policy.continueContexts(prefixes.map { prompt.ids + $0 }, copies: count, maxNewTokens: min(settings.stepTokens, room),
                                            seed: seed, extraStops: [settings.stepDelimiter], ledger: &ledger)
        var out = zip(rows, steps).map { p, s -> Candidate in
            let ids = Array((p + s.ids).prefix(budget))
            return Candidate(ids: ids, finished: s.finished || ids.count >= budget, score: 0)
        }
        let answers = policy.answers(out.map { Continuation(ids: $0.ids, finished: $0.finished) })
        let open = out.indices.filter { !out[$0].finished }, done = out.indices.filter { out[$0].finished }
        if !open.isEmpty {
            for (i, s) in zip(open, try scorer.prefixScores(prompt, open.map { answers[$0] }, ledger: &ledger)) { out[i].score = s }
        }
        if !done.isEmpty {
            for (i, s) in zip(done, try scorer.scores(prompt, done.map { answers[$0] }, ledger: &ledger)) { out[i].score = s }
        }
        return out
    }
}
