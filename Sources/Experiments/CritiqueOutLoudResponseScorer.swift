// A CLoud reward-model folder (`tokenalign reward --kind cloud`, arXiv 2408.11791) as a response
// scorer of `tokenalign eval rm` and `tokenalign demo rm`: the critic writes its critique of every
// (prompt, response) text, then its head is read at the critique's end (CritiqueOutLoudModel). The
// forward work of writing and reading the critiques is summed in `work`, which `eval rm` reports.
import Datasets
import Foundation
import Models
import Tokenizers
import Training

public final class CritiqueOutLoudResponseScorer: ResponseScorer {
    public let name: String
    public let critic: CritiqueOutLoudModel
    public let samples: Int
    public let seed: UInt64
    /// Everything the critic ran so far.
    public private(set) var work = CritiqueWork()

    /// - Parameter tokenizer: must be the folder's own when given (`--tokenizer`).
    public init(folder: String, tokenizer override: Tokenizer? = nil, weights: WeightFormat = .f32, samples: Int = 1, seed: UInt64 = 0) throws {
        do { critic = try CritiqueOutLoudModel.load(folder: folder, weights: weights) } catch { throw RMEvalError.usage("\(error)") }
        if let override, !ScorerSupport.sameTokenizer(override, critic.tokenizer) {
            throw RMEvalError.usage("\(folder): --tokenizer differs from the CLoud reward model's own tokenizer (its ids would mean other tokens)")
        }
        try ScorerSupport.checkVocabulary(critic.tokenizer, model: critic.model, path: folder)
        self.samples = samples
        self.seed = seed
        name = "cloud:" + URL(fileURLWithPath: folder).standardizedFileURL.pathComponents.suffix(2).joined(separator: "/")
    }

    /// A CLoud folder's scorer, else the plain reward-head scorer (what `eval rm --model DIR` reads).
    public static func forFolder(_ folder: String, tokenizer: Tokenizer? = nil, weights: WeightFormat = .f32) throws -> any ResponseScorer {
        if try CritiqueSpec.of(folder: URL(fileURLWithPath: folder)) != nil {
            return try CritiqueOutLoudResponseScorer(folder: folder, tokenizer: tokenizer, weights: weights)
        }
        return try RewardHeadScorer(folder: folder, tokenizer: tokenizer, weights: weights)
    }

    public func scores(_ items: [(prompt: String, response: String)], location: (Int) -> RowLocation) throws -> [Double] {
        let limit = critic.model.maxPositions - critic.spec.maxCritiqueTokens
        for (i, it) in items.enumerated() where critic.spec.context(prompt: it.prompt, response: it.response, tokenizer: critic.tokenizer).count > limit {
            throw RMEvalError.usage("\(location(i)): prompt + response + cue leave no room for a \(critic.spec.maxCritiqueTokens)-token critique in the model's \(critic.model.maxPositions) positions")
        }
        let judged = try critic.judge(items, samples: samples, seed: seed)
        work = work + judged.work
        return judged.scores.map(Double.init)
    }
}
