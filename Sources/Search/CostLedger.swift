// What a search spent, counted per model: the forward tokens of the base (policy) model and of each
// scoring model, split into prefill (the positions of a call's first forward pass, padding
// included, because the model computes them) and decode (one position per row per later step),
// the number of forward calls, and wall time. Every searcher fills one, so methods are compared on
// what they cost, not only on what they find (issue 14; Speculative Rejection, arXiv 2410.20290,
// and early rejection, arXiv 2508.01969, report their savings in exactly these terms).

/// Forward work of one model.
public struct ModelCost: Sendable, Equatable, Codable {
    /// Positions processed by the first forward pass of each call (prompt + prefix, padding included).
    public var prefillTokens: Int = 0
    /// Positions processed by the incremental (KV-cached) forward passes after the first.
    public var decodeTokens: Int = 0
    /// Forward passes (one per prefill, one per decoding step).
    public var forwardCalls: Int = 0

    public init(prefillTokens: Int = 0, decodeTokens: Int = 0, forwardCalls: Int = 0) {
        self.prefillTokens = prefillTokens
        self.decodeTokens = decodeTokens
        self.forwardCalls = forwardCalls
    }

    /// Prefill + decode positions.
    public var tokens: Int { prefillTokens + decodeTokens }

    public static func + (a: ModelCost, b: ModelCost) -> ModelCost {
        ModelCost(prefillTokens: a.prefillTokens + b.prefillTokens, decodeTokens: a.decodeTokens + b.decodeTokens,
                  forwardCalls: a.forwardCalls + b.forwardCalls)
    }
}

/// The cost of one search (or of many, summed).
public struct CostLedger: Sendable, Equatable {
    /// The base model that proposes.
    public var policy = ModelCost()
    /// Each scoring model by scorer name ("rm", "token-rm", …). Scorers without a model (a verifier,
    /// a lexicon) spend no forward tokens and have no entry.
    public var scorers: [String: ModelCost] = [:]
    /// Policy prefill positions not run because samples of one context shared its prefill
    /// (`SearchPolicy.sharePrefixes`); without sharing they would be in `policy.prefillTokens`.
    public var policyPrefillSaved = 0
    /// Scoring-model positions not run because they were stored in a trie KV cache
    /// (`TrieKVCache`, the multifurcation reward model's own trie).
    public var scorerPrefillSaved = 0
    /// Speculative decoding (persona-judge): tokens the drafting view proposed, and how many of them
    /// the judging view accepted.
    public var draftedTokens = 0
    public var acceptedDraftTokens = 0
    /// Wall-clock seconds.
    public var wallSeconds: Double = 0

    public init() {}

    /// Records one generation call of `rows` rows whose longest context is `contextLength`
    /// positions and which ran `steps` forward passes (the first is the prefill).
    public mutating func recordGeneration(rows: Int, contextLength: Int, steps: Int) {
        guard steps > 0 else { return }
        policy.prefillTokens += rows * contextLength
        policy.decodeTokens += rows * (steps - 1)
        policy.forwardCalls += steps
    }

    /// Records one scoring forward pass of `rows` right-padded rows of `length` positions.
    public mutating func recordScoring(_ scorer: String, rows: Int, length: Int) {
        var c = scorers[scorer] ?? ModelCost()
        c.prefillTokens += rows * length
        c.forwardCalls += 1
        scorers[scorer] = c
    }

    /// Records one policy forward pass that yields next-token logits (Saffron's expansion).
    public mutating func recordPolicyForward(_ work: ForwardWork) {
        policy.prefillTokens += work.positions
        policy.forwardCalls += 1
        policyPrefillSaved += work.saved
    }

    /// Records one forward pass of a scoring model that used a trie KV cache.
    public mutating func recordScorerForward(_ scorer: String, _ work: ForwardWork) {
        var c = scorers[scorer] ?? ModelCost()
        c.prefillTokens += work.positions
        c.forwardCalls += 1
        scorers[scorer] = c
        scorerPrefillSaved += work.saved
    }

    /// All scoring models together.
    public var scoring: ModelCost { scorers.values.reduce(ModelCost(), +) }

    public static func + (a: CostLedger, b: CostLedger) -> CostLedger {
        var out = CostLedger()
        out.policy = a.policy + b.policy
        out.scorers = a.scorers.merging(b.scorers, uniquingKeysWith: +)
        out.policyPrefillSaved = a.policyPrefillSaved + b.policyPrefillSaved
        out.scorerPrefillSaved = a.scorerPrefillSaved + b.scorerPrefillSaved
        out.draftedTokens = a.draftedTokens + b.draftedTokens
        out.acceptedDraftTokens = a.acceptedDraftTokens + b.acceptedDraftTokens
        out.wallSeconds = a.wallSeconds + b.wallSeconds
        return out
    }

    /// The cost columns of an output row.
    public var columns: [String: Any] {
        var out: [String: Any] = [
            "policy_prefill_tokens": policy.prefillTokens, "policy_decode_tokens": policy.decodeTokens,
            "policy_forward_calls": policy.forwardCalls, "scorer_prefill_tokens": scoring.prefillTokens,
            "scorer_forward_calls": scoring.forwardCalls, "wall_seconds": wallSeconds,
            "policy_prefill_tokens_saved": policyPrefillSaved, "scorer_prefill_tokens_saved": scorerPrefillSaved,
        ]
        for (name, c) in scorers {
            out["scorer_\(name)_tokens"] = c.tokens
        }
        if draftedTokens > 0 {
            out["drafted_tokens"] = draftedTokens
            out["accepted_draft_tokens"] = acceptedDraftTokens
        }
        return out
    }
}
