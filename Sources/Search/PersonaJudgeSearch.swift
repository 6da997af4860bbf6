// Persona-judge: training-free personalised decoding by token-level self-judgment
// (docs/design/search.md, "Persona-judge").
import Autograd
import Decoding
import Models
import OnlineRL
import TensorCore

/// Persona-judge (Zhang et al. 2025, arXiv 2504.12663): one model read under two persona prompts. The
/// drafting view π(· | p_draft, x, y) proposes γ tokens, the judging view π(· | p_judge, x, y) checks
/// them in one forward pass with speculative sampling's rule (`SpeculativeVerification`), and the
/// first rejected token is redrawn from the residual. No reward model and no training.
///
/// With fixed roles every emitted token is distributed exactly as the judging view's next-token
/// distribution, so the drafting persona changes what one judge pass yields (the acceptance rate,
/// reported as `drafted_tokens` / `accepted_draft_tokens`), not what is sampled. With
/// `alternate_personas` the views swap roles after every round, so each round's tokens follow one
/// persona and the other only proposes: the answer mixes the two preferences block by block. The
/// released code swaps once, after the first round, and keeps the second persona drafting from
/// then on; we swap every round, which treats both personas alike.
///
/// Each view keeps its own KV cache over [persona prefix; prompt; answer so far]; rejected drafts are
/// rolled back by truncating the caches. One answer per prompt (batch 1, as the released code).
public struct PersonaJudgeSearch: Searcher {
    public var settings: SearchSettings
    public init(_ settings: SearchSettings) { self.settings = settings }

    /// One persona-conditioned view of the policy: its cached ids and the logits after them.
    final class View {
        let prefix: [Int]
        let cache: KVCache
        /// Ids in the cache: prefix + prompt + answer tokens fed so far.
        var fed: [Int] = []
        /// Logits [V] at the last fed position.
        var pending: Tensor

        init(model: any LanguageModel, ids: [Int], capacity: Int, ledger: inout CostLedger) {
            prefix = ids
            cache = model.makeCache(batch: 1, capacity: capacity)
            pending = Tensor(shape: [0])
            feed(ids, model: model, ledger: &ledger)
        }

        /// Runs `ids` through the model after the cached positions; returns the logits of every new
        /// position ([V] each).
        @discardableResult
        func feed(_ ids: [Int], model: any LanguageModel, ledger: inout CostLedger) -> [Tensor] {
            let T = ids.count
            if cache.length == 0 { ledger.policy.prefillTokens += T } else { ledger.policy.decodeTokens += T }
            ledger.policy.forwardCalls += 1
            let logits: Tensor = withoutGradients {
                let h = model.hiddenStates(IndexTensor(shape: [1, T], data: ids.map { Int32($0) }), attentionMask: nil, cache: cache).value
                return model.logits(fromHidden: Variable(h.reshaped([T, h.shape[2]]))).value  // [T, V]
            }
            fed += ids
            let V = logits.shape[1]
            let rows = (0 ..< T).map { t in Tensor(shape: [V], data: Array(UnsafeBufferPointer(start: logits.unsafePointer + t * V, count: V))) }
            pending = rows[T - 1]
            return rows
        }

        /// Makes the cache hold exactly `prefix + answer`: rolls back what disagrees, feeds the rest.
        func sync(answer: [Int], model: any LanguageModel, ledger: inout CostLedger) {
            let target = prefix + answer
            var keep = 0
            while keep < min(fed.count, target.count) && fed[keep] == target[keep] { keep += 1 }
            if keep == target.count && keep == fed.count { return }
            // The pending logits must come from a forward pass, so at least the last id is re-fed.
            keep = min(keep, target.count - 1)
            cache.truncate(to: keep)
            fed.removeLast(fed.count - keep)
            feed(Array(target[keep...]), model: model, ledger: &ledger)
        }
    }

    public func search(_ prompt: RLPrompt, index: Int, policy: SearchPolicy, scorer: (any SequenceScorer)?,
                       ledger: inout CostLedger) throws -> SearchResult {
        let model = policy.model, parameters = policy.parameters
        guard model.cacheRecomputeWidth == nil else {
            throw SearchError.invalidSetting("persona-judge rolls back rejected drafts in the KV cache; a \(model.modelType) model that recomputes its cache (LongRoPE) cannot")
        }
        let personas = try [settings.draftPersona, settings.judgePersona].map { text -> [Int] in
            let ids = policy.tokenizer.encode(text + "\n")
            guard !text.isEmpty, !ids.isEmpty else {
                throw SearchError.invalidSetting("persona-judge needs --draft-persona and --judge-persona texts (each is put before the prompt)")
            }
            return ids
        }
        let maxNew = parameters.maxNewTokens
        let capacity = personas.map(\.count).max()! + prompt.ids.count + maxNew + settings.draftTokens + 1
        if model.modelType == "gpt2" && capacity > model.maxPositions {
            throw SearchError.invalidSetting("persona-judge: persona + prompt + \(maxNew) new tokens need \(capacity) positions; the model has \(model.maxPositions)")
        }
        var rng = RandomGenerator(seed: SearchSeeds.seed(settings.seed, prompt: index, call: 0))
        let views = personas.map { View(model: model, ids: $0 + prompt.ids, capacity: capacity, ledger: &ledger) }
        let processors = parameters.processors()
        let decode: ([Int]) -> String = { policy.tokenizer.decode($0, skipSpecialTokens: true) }
        let V = model.vocabularySize

        /// The sampler's distribution after `logits` for a view whose answer so far is `answer`.
        func distribution(_ logits: Tensor, view: View, answer: [Int]) -> [Float] {
            var z = logits.reshaped([1, V])
            let context = DecodingContext(prompts: [view.prefix], generated: [answer], step: answer.count)
            for proc in processors { proc.process(&z, context: context) }
            if parameters.temperature <= 0 {
                var onehot = [Float](repeating: 0, count: V)
                onehot[Int(z.argmax().data[0])] = 1
                return onehot
            }
            return z.softmax().scalars
        }

        var answer: [Int] = [], finished = false, drafter = 0
        while !finished && answer.count < maxNew {
            let draft = views[drafter], judge = views[1 - drafter]
            // γ proposals, fewer near the budget (a round emits at most γ + 1 tokens).
            let gamma = min(settings.draftTokens, maxNew - answer.count - 1)
            var drafted: [Int] = [], q: [Float] = []
            for i in 0 ..< gamma {
                let row = distribution(draft.pending, view: draft, answer: answer + drafted)
                let x = row.withUnsafeBufferPointer { rng.categorical(weights: $0) }
                drafted.append(x)
                q += row
                // The last proposal needs no forward pass of the drafter.
                if i < gamma - 1 { draft.feed([x], model: model, ledger: &ledger) }
            }
            var p = distribution(judge.pending, view: judge, answer: answer)
            if gamma > 0 {
                let rows = judge.feed(drafted, model: model, ledger: &ledger)
                for (i, r) in rows.enumerated() { p += distribution(r, view: judge, answer: answer + drafted[...i]) }
            }
            let outcome = SpeculativeVerification.verify(drafted: drafted, q: q, p: p, vocabulary: V, rng: &rng)
            ledger.draftedTokens += gamma
            ledger.acceptedDraftTokens += outcome.accepted
            for t in drafted.prefix(outcome.accepted) + [outcome.next] {
                answer.append(t)
                if parameters.finishReason(after: t, generated: answer, decode: parameters.stopStrings.isEmpty ? nil : decode) != nil {
                    finished = true
                    break
                }
            }
            if finished || answer.count >= maxNew { break }
            for v in views { v.sync(answer: answer, model: model, ledger: &ledger) }
            if settings.alternatePersonas { drafter = 1 - drafter }
        }
        let ids = policy.body(answer)
        let result = Answer(ids: ids, text: policy.text(ids))
        let score = try scorer.map { try $0.scores(prompt, [result], ledger: &ledger)[0] }
        return SearchResult(answer: result, score: score.map(Double.init), samples: [result], sampleScores: score.map { [Double($0)] } ?? [])
    }
}
