// Rewards read from trained reward models at three densities (fine-grained RLHF, arXiv
// 2306.01693): a sequence reward model (`rm:DIR`, a folder that `tokenalign reward` wrote: the
// score at the last token), a token-level one (`token-rm:DIR`, trained with `--token-level`: the
// score at every response token), and the span density (`rm-span:DIR`: the score at the end of
// every sentence or clause and at the last token). Several of them with `--reward-weights` under
// `tokenalign ppo` are fine-grained RLHF's mixture of densities.
import Autograd
import Foundation
import Models
import Objectives
import TensorCore
import Tokenizers
import Training

/// Where a reward model's scores are read.
public enum RewardDensity: String, Sendable {
    /// Every response token.
    case token
    /// The last token of every segment: a token whose text closes a sentence or clause
    /// (`MacroRule.endsSegment`), and the response's last token.
    case span
    /// The last response token only.
    case sequence
}

public struct RewardModelReward: RewardFunction {
    public let folder: String
    public let density: RewardDensity
    let model: any LanguageModel
    let head: RewardHead
    /// The loaded reward model's backbone (ABC reads its attention).
    var backbone: any LanguageModel { model }
    /// Decodes single tokens for the span density.
    let tokenizer: Tokenizer?
    /// The token density's per-token rewards follow the folder's response score: log σ(h_k) for a
    /// `tldr` folder (they add up to log ∏ σ(h_k)), the raw head values otherwise.
    let responseScore: TokenResponseScore
    /// For a sequence head trained on rows ending in an appended EOS: that EOS id, appended to
    /// every completion that does not end with it, and the last token's reward is the head read
    /// there (as training read it). nil: read at the completion's last token.
    let appendedEOS: Int?
    public var tokenLevel: Bool { density == .token }
    public var name: String {
        switch density {
        case .token: "token-rm"
        case .span: "rm-span"
        case .sequence: "rm"
        }
    }

    public init(folder: String, tokenLevel: Bool, vocabularySize: Int, tokenizer: Tokenizer? = nil, weights: WeightFormat = .f32) throws {
        try self.init(folder: folder, density: tokenLevel ? .token : .sequence, vocabularySize: vocabularySize, tokenizer: tokenizer,
                      weights: weights)
    }

    /// - Parameters:
    ///   - tokenizer: the policy's. The span density finds segment ends with it (required there).
    ///     When the folder ships its own tokenizer, it must read every id as this one does: a
    ///     reward model with another tokenizer of the same size would score other text than the
    ///     policy wrote, silently.
    ///   - weights: how the backbone's matrices are stored (`--rm-weights`).
    public init(folder: String, density: RewardDensity, vocabularySize: Int, tokenizer: Tokenizer? = nil,
                weights: WeightFormat = .f32) throws {
        if density == .span && tokenizer == nil { throw RewardError("rm-span needs the run's tokenizer to find segment ends") }
        if try CritiqueSpec.of(folder: URL(fileURLWithPath: folder)) != nil {
            throw RewardError("\(folder): a CLoud reward model reads its head after writing a critique; use --reward cloud-rm:\(folder)")
        }
        guard let loaded = try RewardModelLoader.load(folder: URL(fileURLWithPath: folder), weights: weights) else {
            throw RewardError("\(folder): not a reward-model folder (no score.weight); train one with `tokenalign reward`")
        }
        guard loaded.model.vocabularySize == vocabularySize else {
            throw RewardError("\(folder): reward model vocabulary \(loaded.model.vocabularySize) ≠ policy vocabulary \(vocabularySize)")
        }
        try FrozenModel.checkReads(loaded.tokenizer, policy: tokenizer, subject: "reward model \(folder)")
        loaded.model.eval()
        self.folder = folder
        self.density = density
        self.tokenizer = tokenizer
        responseScore = density == .token ? try TokenResponseScore.of(folder: folder) : .mean
        appendedEOS = density == .token ? nil : try RewardModelLoader.appendedEOS(folder: URL(fileURLWithPath: folder), tokenizer: loaded.tokenizer ?? tokenizer)
        model = loaded.model
        head = loaded.head
    }

    /// Whether completion `c` is read with an appended EOS.
    func appendsEOS(_ c: Completion) -> Bool {
        guard let eos = appendedEOS, !c.ids.isEmpty else { return false }
        return c.ids.last != eos
    }

    /// Prompt + completion of every row, right-padded with 0 into [B, L] (nil when every row is
    /// empty). Causal attention keeps every real token blind to the padding after it.
    func paddedInput(_ completions: [Completion]) throws -> IndexTensor? {
        let rows = completions.map { $0.prompt.ids + $0.ids + (appendsEOS($0) ? [appendedEOS!] : []) }
        guard let L = rows.map(\.count).max(), L > 0 else { return nil }
        if let long = completions.indices.first(where: { rows[$0].count > model.maxPositions }).map({ completions[$0] }) {
            throw RewardError("\(long.prompt.location): prompt + completion exceed the reward model's \(model.maxPositions) positions")
        }
        let B = rows.count
        var ids = [Int32](repeating: 0, count: B * L)
        for (i, r) in rows.enumerated() { for (t, v) in r.enumerated() { ids[i * L + t] = Int32(truncatingIfNeeded: v) } }
        return IndexTensor(shape: [B, L], data: ids)
    }

    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        guard let input = try paddedInput(completions) else { return completions.map { _ in [] } }
        let L = input.shape[1]
        let scores = withoutGradients { head.scores(model.hiddenStates(input, attentionMask: nil, cache: nil).value) }
        let s = scores.scalars
        return completions.enumerated().map { i, c in
            let p = c.prompt.ids.count, n = c.ids.count
            guard n > 0 else { return [] }
            var scores = (0 ..< n).map { s[i * L + p + $0] }
            // The sequence score is the head at the appended EOS, credited to the last token.
            if appendsEOS(c) { scores[n - 1] = s[i * L + p + n] }
            return Self.place(responseScore.tokenRewards(scores), density: density, segmentEnds: density == .span ? segmentEnds(c.ids) : [])
        }
    }
}

extension RewardModelReward {
    /// The positions (into the completion) whose token closes a segment.
    func segmentEnds(_ ids: [Int]) -> Set<Int> {
        guard let tokenizer else { return [] }
        return Set(ids.indices.filter { MacroRule.endsSegment(tokenizer.decode([ids[$0]], skipSpecialTokens: false)) })
    }

    /// The reward of each completion token from the model's score at every position: all of them
    /// (token), those at segment ends and the last token (span), or the last token (sequence);
    /// 0 elsewhere.
    static func place(_ scores: [Float], density: RewardDensity, segmentEnds: Set<Int>) -> [Float] {
        let n = scores.count
        switch density {
        case .token: return scores
        case .span, .sequence:
            var r = [Float](repeating: 0, count: n)
            for t in 0 ..< n where t == n - 1 || (density == .span && segmentEnds.contains(t)) { r[t] = scores[t] }
            return r
        }
    }
}
