// An RL method's per-token advantages as a credit source: how much blame each advantage estimator
// puts on the first wrong token of a CreditBench response, computed the way online RL would see
// that response (inside a group sampled for the same prompt, judged by the verifier).
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
    private var cached: (episodes: [Episode], batch: RolloutBatch)?

    public init(model: any LanguageModel, task: any CreditTask, tokenizer: Tokenizer, groupSize: Int = 8, seed: UInt64) throws {
        guard groupSize >= 2 else { throw CreditSourceError.invalidArgument("advantage: a group needs G ≥ 2 responses, got \(groupSize)") }
        self.model = model
        self.tokenizer = tokenizer
        verifier = VerifierTokenRewards(task: task, tokenizer: tokenizer)
        self.groupSize = groupSize
        self.seed = seed
    }

    /// The rollout batch of `episodes`' groups: rows i·G ..< (i+1)·G belong to episode i, its own
    /// response at row i·G. Computed once per list of episodes.
    public func batch(_ episodes: [Episode]) throws -> RolloutBatch {
        lock.lock()
        defer { lock.unlock() }
        if let c = cached, c.episodes == episodes { return c.batch }
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
        let batch = try RolloutBatch(mask: m, tokenRewards: RolloutBatch.placingSequenceRewards(outcome, mask: m),
                                     groupIDs: (0 ..< B).map { $0 / G }, values: Tensor(shape: [B, T], data: [Float](repeating: 0, count: B * T)),
                                     entropies: Tensor(shape: [B, T], data: h), tokenIDs: IndexTensor(shape: [B, T], data: ids))
        cached = (episodes, batch)
        return batch
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
        guard let batch = try? groups.batch(episodes), let a = try? estimator.estimate(batch) else { return zeros }
        let T = batch.length, G = groups.groupSize, adv = a.advantages.scalars
        return episodes.enumerated().map { i, e in
            TokenRewards(values: (0 ..< e.response.count).map { adv[i * G * T + $0] }, source: name)
        }
    }

    /// The estimators the CreditBench demo's localisation table shows.
    public static let demoEstimators = ["grpo", "rloo", "gae", "ktae", "gtpo", "grpo-s", "ma-gae"]
}
