// Loading a frozen model that reads the policy's token ids (a reference, implicit-dpo's pair,
// segment-rm's entropy model): its matrices stored as asked, and its tokenizer checked against the
// policy's, since a model with another tokenizer of the same size would read other text, silently.
import Models
import Tokenizers

enum FrozenModel {
    /// The model at `path`, its matrices stored as `weights` says (and said so); refused when it
    /// ships a tokenizer that reads some id unlike `policyTokenizer`.
    static func load(_ path: String, role: String, weights: WeightFormat, policyTokenizer: Tokenizer? = nil) throws -> any LanguageModel {
        let loaded = try PretrainedModel.load(path: path, weights: weights)
        loaded.weightReport.announce(weights, role: role, path: path)
        try checkReads(loaded.tokenizer, policy: policyTokenizer, subject: "\(role) \(path)")
        return loaded.model
    }

    /// Throws when both tokenizers are known and some id reads as other bytes in `own` than in the
    /// policy's; `subject` names the model in the message.
    static func checkReads(_ own: Tokenizer?, policy: Tokenizer?, subject: String) throws {
        if let own, let policy, let d = own.firstDifference(from: policy) {
            throw RewardError("\(subject): its tokenizer differs from the policy's at id \(d.id) (\(d.ours) vs \(d.theirs)); it must read the policy's tokens")
        }
    }
}
