// Token-reward sources backed by the demo's frozen models (docs/design/rewards.md §4.3): the
// pieces the credit-source registry (CreditSources.swift) builds its rows from. Every reader takes
// all episodes at once and runs one batched, right-padded forward per model per 64 episodes
// (`ResponseScoring`), so a source scores a whole localisation set in a few passes.
import Autograd
import Evaluation
import Models
import Objectives
import Rewards
import Support
import TensorCore
import Training

extension Episode {
    /// The same ids as a `PromptResponse` (what `ResponseScoring` batches).
    var promptResponse: PromptResponse {
        PromptResponse(prompt: prompt.map { Int($0) }, response: response.map { Int($0) })
    }
}

/// The logits rows of one or several frozen language models over episodes (`TokenLogitsSource`).
public struct ModelLogits: TokenLogitsSource {
    public var models: [any LanguageModel]
    public var padID: Int

    public init(_ models: [any LanguageModel], padID: Int) {
        precondition(!models.isEmpty, "ModelLogits: no models")
        self.models = models
        self.padID = padID
    }

    public var vocabularySize: Int { models[0].vocabularySize }
    public var modelCount: Int { models.count }

    public func forEachTokenLogits(_ episodes: [Episode], _ body: (_ episode: Int, _ token: Int, _ rows: [UnsafePointer<Float>]) -> Void) {
        ResponseScoring.visit(models: models, rows: episodes.map(\.promptResponse), padID: padID) { i, t, z, _ in body(i, t, z) }
    }
}

/// A frozen language model's log-probabilities of the written tokens (`TokenLogProbSource`).
public struct ModelLogProbs: TokenLogProbSource {
    public var model: any LanguageModel
    public var padID: Int

    public init(_ model: any LanguageModel, padID: Int) {
        self.model = model
        self.padID = padID
    }

    public func tokenLogProbs(_ e: Episode) -> [Float] { tokenLogProbs([e])[0] }

    public func tokenLogProbs(_ episodes: [Episode]) -> [[Float]] {
        let V = model.vocabularySize
        return ResponseScoring.perToken(models: [model], rows: episodes.map(\.promptResponse), padID: padID) { z, y in
            ResponseScoring.logProb(z[0], V, y)
        }
    }
}

/// r_t = −H(π(·|x, y_<t)): low where the model was unsure (a baseline credit source).
public struct NegativeEntropyReward: BatchedTokenRewardSource {
    public var logits: any TokenLogitsSource
    public var name: String

    public init(logits: any TokenLogitsSource, name: String = "entropy") {
        precondition(logits.modelCount == 1, "NegativeEntropyReward: needs the rows of one model, got \(logits.modelCount)")
        self.logits = logits
        self.name = name
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 1) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        let V = logits.vocabularySize
        var out = episodes.map { [Float](repeating: 0, count: $0.response.count) }
        logits.forEachTokenLogits(episodes) { i, t, z in out[i][t] = -ResponseScoring.entropy(z[0], V) }
        return out.map { TokenRewards(values: $0, source: name) }
    }
}

/// Uniform noise in [0, 1): the chance level. The episodes of one call draw, in order, from one
/// SplitMix64 stream seeded with `seed`.
public struct UniformNoiseReward: BatchedTokenRewardSource {
    public var seed: UInt64
    public var name: String

    public init(seed: UInt64, name: String = "random") {
        self.seed = seed
        self.name = name
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 0) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        var rng = SplitMix64(seed: seed)
        return episodes.map { e in
            TokenRewards(values: e.response.map { _ in Float(Double(rng.next() >> 11) / Double(1 << 53)) }, source: name)
        }
    }
}

/// A reward model (a backbone and a scalar head) read over episodes: the head at every response
/// token, its score at the last response token (where `…ForSequenceClassification` reads), and
/// the last layer's attention from that scoring position.
public struct RewardModelReadout: SequenceRewardModel {
    public var model: CreditDemo.RewardModel
    public var padID: Int

    public init(_ model: CreditDemo.RewardModel, padID: Int) {
        self.model = model
        self.padID = padID
    }

    /// Per-token scores (entry t = the head at response token t's position) and sequence scores.
    public func readout(_ episodes: [Episode]) -> (tokens: [[Float]], sequence: [Float]) {
        let rows = episodes.map(\.promptResponse)
        var tokens = rows.map { [Float](repeating: 0, count: $0.response.count) }
        var sequence = [Float](repeating: 0, count: rows.count)
        forEachBatch(rows) { lo, chunk, input in
            let s = model.head.scores(model.backbone.hiddenStates(input, attentionMask: nil, cache: nil).value)  // [B, L]
            let L = input.shape[1], p = s.scalars
            for (b, r) in chunk.enumerated() {
                for j in 0 ..< r.response.count { tokens[lo + b][j] = p[b * L + r.prompt.count + j] }
                sequence[lo + b] = p[b * L + r.prompt.count + r.response.count - 1]
            }
        }
        return (tokens, sequence)
    }

    public func score(_ e: Episode) -> Float { scores([e])[0] }

    public func scores(_ episodes: [Episode]) -> [Float] { readout(episodes).sequence }

    /// ABC's α_t: the last layer's head-averaged attention from the scoring position (the last
    /// token) to each response token, normalised (`AttentionCredit.weights`). All zeros when the
    /// backbone cannot report attention.
    public func attentionWeights(_ episodes: [Episode]) -> [[Float]] {
        let rows = episodes.map(\.promptResponse)
        var out = rows.map { [Float](repeating: 0, count: $0.response.count) }
        guard let inspect = model.backbone as? any ActivationInspecting else { return out }
        forEachBatch(rows) { lo, chunk, input in
            let a = inspect.attentionProbabilities(input, layer: model.backbone.layerCount - 1, attentionMask: nil)  // [B, H, L, L]
            let H = a.shape[1], L = a.shape[2]
            for (b, r) in chunk.enumerated() {
                let one = a.rows(b ..< b + 1).reshaped([H, L, L])
                let P = r.prompt.count, n = r.response.count
                out[lo + b] = AttentionCredit.weights(attention: one, scoringPosition: P + n - 1, response: P ..< P + n)
            }
        }
        return out
    }

    func forEachBatch(_ rows: [PromptResponse], _ body: (_ lo: Int, _ chunk: ArraySlice<PromptResponse>, _ input: IndexTensor) -> Void) {
        for lo in stride(from: 0, to: rows.count, by: 64) {
            let chunk = rows[lo ..< min(lo + 64, rows.count)]
            withoutGradients { body(lo, chunk, ResponseScoring.paddedInput(chunk, padID: padID)) }
        }
    }
}

/// A token-level reward model's per-token scores as token rewards (its last-token score as the
/// sequence reward).
public struct RewardModelTokenRewards: BatchedTokenRewardSource {
    public var readout: RewardModelReadout
    public var name: String

    public init(_ readout: RewardModelReadout, name: String = "token-rm") {
        self.readout = readout
        self.name = name
    }

    public var cost: CostHint { CostHint(forwardPassesPerEpisode: 1) }

    public func tokenRewards(_ episodes: [Episode]) -> [TokenRewards] {
        let r = readout.readout(episodes)
        return zip(r.tokens, r.sequence).map { TokenRewards(values: $0, sequenceReward: $1, source: name) }
    }
}
