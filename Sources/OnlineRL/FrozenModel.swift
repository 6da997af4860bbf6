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
        if let policyTokenizer, let own = loaded.tokenizer, let d = own.firstDifference(from: policyTokenizer) {
            throw RewardError("\(role) \(path): its tokenizer differs from the policy's at id \(d.id) (\(d.ours) vs \(d.theirs)); it must read the policy's tokens")
        }
        return loaded.model
    }
}
