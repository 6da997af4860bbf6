// An RL method's per-token advantages as a credit source: how much blame each advantage estimator
// puts on the first wrong token of a CreditBench response, computed the way online RL would see
// that response (inside a group sampled for the same prompt, judged by the verifier).
import Autograd
import CreditBench
import Decoding
import Foundation
import Models
import Objectives
import Rewards
import TensorCore
import Tokenizers

/// The groups the advantages are computed on, shared by every estimator's row so the sampling is
/// paid once: for each episode, `groupSize − 1` more responses sampled from `model` for the same
/// prompt (temperature 1, seeded by `seed` and the call's episodes), the episode's own response
/// first. Every response is judged by the task's verifier (sequence reward 1 or 0 on its last
/// token, `VerifierTokenRewards`), and its token entropies are the model's −H on it (the same
/// forward for sampled and given responses). Critic-based estimators (`gae`, `ma-gae`) read V = 0:
/// there is no critic at the start of RL, so their advantage is the (γλ-discounted, whitened)
/// reward-to-go.
public final class AdvantageGroups: @unchecked Sendable {
    public let model: any LanguageModel
    public let tokenizer: Tokenizer
    public let verifier: VerifierTokenRewards
    public let groupSize: Int
    public let seed: UInt64
    private let lock = NSLock()
    private var cached: (episodes: [Episode], responses: [Episode], batch: RolloutBatch)?

    public init(model: any LanguageModel, task: any CreditTask, tokenizer: Tokenizer, groupSize: Int = 8, seed: UInt64) throws {
        guard groupSize >= 2 else { throw CreditSourceError.invalidArgument("advantage: a group needs G ≥ 2 responses, got \(groupSize)") }
        self.model = model
        self.tokenizer = tokenizer
        verifier = VerifierTokenRewards(task: task, tokenizer: tokenizer)
        self.groupSize = groupSize
        self.seed = seed
    }

    /// The rollout batch of `episodes`' groups: rows i·G ..< (i+1)·G belong to episode i, its own
    /// response at row i·G. Computed once per list of episodes. `hiddenStates` adds the model's
    /// final hidden states and probability rows at the response tokens (THR reads them; one more
    /// forward pass, also paid once).
    public func batch(_ episodes: [Episode], hiddenStates: Bool = false) throws -> RolloutBatch {
        lock.lock()
        defer { lock.unlock() }
        if let c = cached, c.episodes == episodes {
            guard hiddenStates && c.batch.hiddenStates == nil else { return c.batch }
            var b = c.batch
            (b.hiddenStates, b.probabilities) = statesAndRows(c.responses, length: b.length)
            cached = (episodes, c.responses, b)
            return b
        }
        let G = groupSize
        var params = GenerationParameters(maxNewTokens: max(8, 2 * (episodes.map(\.response.count).max() ?? 4)), temperature: 1)
        if let eos = tokenizer.eosTokenID { params.stopTokenIDs = [eos] }
        params.padTokenID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
        params.seed = seed
        var responses: [Episode] = []
        let prompts = episodes.flatMap { e in [[Int]](repeating: e.prompt.map { Int($0) }, count: G - 1) }
        let sampled = prompts.isEmpty ? [] : Generator.generate(model: model, prompts: prompts, parameters: params)
        for (i, e) in episodes.enumerated() {
            responses.append(e)
            for k in 0 ..< G - 1 { responses.append(Episode(prompt: e.prompt, response: sampled[i * (G - 1) + k].tokens.map { Int32($0) })) }
        }
        let entropy = NegativeEntropyReward(logits: ModelLogits([model], padID: params.padTokenID)).tokenRewards(responses.filter { !$0.response.isEmpty })
        var entropies = entropy.makeIterator()
        let B = responses.count, T = max(1, responses.map(\.response.count).max() ?? 1)
        var mask = [Float](repeating: 0, count: B * T), h = mask, ids = [Int32](repeating: 0, count: B * T)
        var outcome = [Float](repeating: 0, count: B)
        for (i, e) in responses.enumerated() where !e.response.isEmpty {
            let negH = entropies.next()!.values
            for (t, y) in e.response.enumerated() {
                mask[i * T + t] = 1
                h[i * T + t] = -negH[t]
                ids[i * T + t] = y
            }
            outcome[i] = verifier.tokenRewards(e).sequenceReward ?? 0
        }
        let m = Tensor(shape: [B, T], data: mask)
        var batch = try RolloutBatch(mask: m, tokenRewards: RolloutBatch.placingSequenceRewards(outcome, mask: m),
                                     groupIDs: (0 ..< B).map { $0 / G }, values: Tensor(shape: [B, T], data: [Float](repeating: 0, count: B * T)),
                                     entropies: Tensor(shape: [B, T], data: h), tokenIDs: IndexTensor(shape: [B, T], data: ids))
        if hiddenStates { (batch.hiddenStates, batch.probabilities) = statesAndRows(responses, length: T) }
        cached = (episodes, responses, batch)
        return batch
    }

    /// The model's final hidden state before each response token and its probability row there
    /// (temperature 1, the sampler's), laid out like the batch: [B, T, C] and [B, T, V].
    func statesAndRows(_ responses: [Episode], length T: Int) -> (Tensor, Tensor) {
        let C = model.hiddenSize, V = model.vocabularySize, B = responses.count
        var h = [Float](repeating: 0, count: B * T * C), p = [Float](repeating: 0, count: B * T * V)
        let pad = Int32(truncatingIfNeeded: tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0)
        let rows = responses.indices.filter { !responses[$0].prompt.isEmpty && !responses[$0].response.isEmpty }
        for lo in stride(from: 0, to: rows.count, by: 16) {
            let chunk = Array(rows[lo ..< min(lo + 16, rows.count)])
            let L = chunk.map { responses[$0].prompt.count + responses[$0].response.count }.max() ?? 1
            var ids = [Int32](repeating: pad, count: chunk.count * L)
            for (r, i) in chunk.enumerated() {
                for (t, v) in (responses[i].prompt + responses[i].response).enumerated() { ids[r * L + t] = v }
            }
            let (states, probabilities) = withoutGradients {
                let s = model.hiddenStates(IndexTensor(shape: [chunk.count, L], data: ids), attentionMask: nil, cache: nil)
                return (s.value.scalars, model.logits(fromHidden: s).softmax().value.scalars)
            }
            for (r, i) in chunk.enumerated() {
                let P = responses[i].prompt.count
                for t in responses[i].response.indices {
                    let src = r * L + P - 1 + t, dst = i * T + t
                    h.replaceSubrange(dst * C ..< (dst + 1) * C, with: states[src * C ..< (src + 1) * C])
                    p.replaceSubrange(dst * V ..< (dst + 1) * V, with: probabilities[src * V ..< (src + 1) * V])
                }
            }
        }
        return (Tensor(shape: [B, T, C], data: h), Tensor(shape: [B, T, V], data: p))
    }
}

/// One estimator's advantages on the episode's own response as its token rewards: the most
/// negative advantage is where the method puts the blame. Every `AdvantageEstimators.registry`
/// entry works except `remax` (its baseline is a greedy response, which the localisation set does
/// not have). A batch the estimator cannot take gives zeros (no blame anywhere).
public struct AdvantageCredit: BatchedTokenRewardSource {
    public let estimator: any AdvantageEstimator
    public let groups: AdvantageGroups
    public var name: String { "advantage:\(estimator.name)" }

    public init(estimator name: String, groups: AdvantageGroups) throws {
        let entry: AdvantageEstimatorEntry
        do { entry = try AdvantageEstimators.registry.entry(named: name) } catch {
            throw CreditSourceError.invalidArgument("advantage:\(name): \(error)")
        }
        guard entry.card.name != "remax" else {
            throw CreditSourceError.invalidArgument("advantage:remax needs a greedy baseline per prompt, which the localisation set does not have")
        }
        estimator = try entry.make(AdvantageSettings())
        self.groups = groups
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: groups.groupSize, forwardPassesPerDecodingStep: groups.groupSize - 1) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        let zeros = episodes.map { TokenRewards(values: [Float](repeating: 0, count: $0.response.count), source: name) }
        guard let batch = try? groups.batch(episodes, hiddenStates: estimator.readsHiddenStates), let a = try? estimator.estimate(batch) else { return zeros }
        let T = batch.length, G = groups.groupSize, adv = a.advantages.scalars
        return episodes.enumerated().map { i, e in
            TokenRewards(values: (0 ..< e.response.count).map { adv[i * G * T + $0] }, source: name)
        }
    }

    /// The estimators the CreditBench demo's localisation table shows.
    public static let demoEstimators = ["grpo", "rloo", "gae", "ktae", "gtpo", "grpo-s", "ma-gae", "thr"]
}
