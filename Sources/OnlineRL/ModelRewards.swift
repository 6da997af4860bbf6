// Rewards read from trained reward models: a sequence reward model (`rm:DIR`, a folder that
// `tokenalign reward` wrote: the score at the last token) and a token-level one (`token-rm:DIR`,
// trained with `--token-level`: the score at every response token).
import Autograd
import Foundation
import Models
import TensorCore
import Training

public struct RewardModelReward: RewardFunction {
    public let folder: String
    public let tokenLevel: Bool
    let model: any LanguageModel
    let head: RewardHead
    /// The loaded reward model's backbone (ABC reads its attention).
    var backbone: any LanguageModel { model }
    public var name: String { tokenLevel ? "token-rm" : "rm" }

    public init(folder: String, tokenLevel: Bool, vocabularySize: Int) throws {
        guard let loaded = try RewardModelLoader.load(folder: URL(fileURLWithPath: folder)) else {
            throw RewardError("\(folder): not a reward-model folder (no score.weight); train one with `tokenalign reward`")
        }
        guard loaded.model.vocabularySize == vocabularySize else {
            throw RewardError("\(folder): reward model vocabulary \(loaded.model.vocabularySize) ≠ policy vocabulary \(vocabularySize)")
        }
        loaded.model.eval()
        self.folder = folder
        self.tokenLevel = tokenLevel
        model = loaded.model
        head = loaded.head
    }

    /// Prompt + completion of every row, right-padded with 0 into [B, L] (nil when every row is
    /// empty). Causal attention keeps every real token blind to the padding after it.
    func paddedInput(_ completions: [Completion]) throws -> IndexTensor? {
        let rows = completions.map { $0.prompt.ids + $0.ids }
        guard let L = rows.map(\.count).max(), L > 0 else { return nil }
        if let long = completions.first(where: { $0.prompt.ids.count + $0.ids.count > model.maxPositions }) {
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
            if tokenLevel { return (0 ..< n).map { s[i * L + p + $0] } }
            var r = [Float](repeating: 0, count: n)
            r[n - 1] = s[i * L + p + n - 1]
            return r
        }
    }
}
