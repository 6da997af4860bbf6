// Loading a guide's model and checking that it speaks the policy's vocabulary. Every guide here
// reads the policy's token ids directly (GenARM and UniR require a shared vocabulary; RAD's and
// ARGS's reference code re-tokenise text instead, which we do not), so a model with another
// vocabulary is an error that names the folder and the first differing token.
import Foundation
import Models
import Tokenizers
import Training

/// What a guide may need from the decoding run.
public struct GuideEnvironment {
    /// The policy (base model) being decoded.
    public var policy: any LanguageModel
    /// The policy's tokenizer, to compare with a guide model's own.
    public var tokenizer: Tokenizer?
    /// How the guides' models store their matrices (`--guide-weights`, docs/design/quantized.md).
    public var weights: WeightFormat

    public init(policy: any LanguageModel, tokenizer: Tokenizer?, weights: WeightFormat = .f32) {
        self.policy = policy
        self.tokenizer = tokenizer
        self.weights = weights
    }
}

enum GuideModels {
    /// A reward-model folder written by `tokenalign reward` (backbone + `score.weight`).
    static func rewardModel(_ path: String, for guide: String, environment env: GuideEnvironment) throws -> (model: any LanguageModel, head: RewardHead) {
        let loaded: (model: any LanguageModel, head: RewardHead, tokenizer: Tokenizer?)?
        do {
            loaded = try RewardModelLoader.load(folder: URL(fileURLWithPath: path), weights: env.weights)
        } catch {
            throw GuideError("--guide \(guide):\(path): cannot load the reward model: \(error)")
        }
        guard let loaded else {
            throw GuideError("--guide \(guide):\(path): not a reward-model folder (no score.weight); train one with `tokenalign reward`")
        }
        try checkVocabulary(loaded.model, tokenizer: loaded.tokenizer, path: path, guide: guide, environment: env)
        loaded.model.eval()
        return (loaded.model, loaded.head)
    }

    /// A causal LM folder or .gguf file (GenARM's autoregressive reward model, a UniR module).
    static func languageModel(_ path: String, for guide: String, environment env: GuideEnvironment) throws -> any LanguageModel {
        let loaded: PretrainedModel
        do {
            loaded = try PretrainedModel.load(path: path, weights: env.weights)
        } catch {
            throw GuideError("--guide \(guide):\(path): cannot load the model: \(error)")
        }
        try checkVocabulary(loaded.model, tokenizer: loaded.tokenizer, path: path, guide: guide, environment: env)
        loaded.weightReport.announce(env.weights, role: "guide \(guide)", path: path)
        loaded.model.eval()
        return loaded.model
    }

    /// The guide's vocabulary must be the policy's: same size, and the same bytes for every token
    /// when both tokenizers are known.
    static func checkVocabulary(_ model: any LanguageModel, tokenizer: Tokenizer?, path: String, guide: String,
                                environment env: GuideEnvironment) throws {
        let prefix = "--guide \(guide):\(path)"
        guard model.vocabularySize == env.policy.vocabularySize else {
            throw GuideError("\(prefix): vocabulary of \(model.vocabularySize) tokens ≠ the policy's \(env.policy.vocabularySize); a guide must use the policy's tokenizer")
        }
        guard let mine = tokenizer, let theirs = env.tokenizer else { return }
        guard mine.vocabularySize == theirs.vocabularySize else {
            throw GuideError("\(prefix): tokenizer of \(mine.vocabularySize) tokens ≠ the policy's \(theirs.vocabularySize); a guide must use the policy's tokenizer")
        }
        if let d = mine.firstDifference(from: theirs) {
            throw GuideError("\(prefix): tokenizer differs from the policy's at token \(d.id) (\(d.ours) vs \(d.theirs)); a guide must use the policy's tokenizer")
        }
    }

    /// Positions a model can hold (learned positions limit GPT-2; rotary models are not limited).
    static func checkCapacity(_ model: any LanguageModel, capacity: Int, guide: String) throws {
        if model.modelType == "gpt2" && capacity > model.maxPositions {
            throw GuideError("guide \(guide): \(capacity) positions (prompt + new tokens) exceed its model's \(model.maxPositions)")
        }
    }
}
