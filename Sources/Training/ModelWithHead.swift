// A language model and a head trained as one module: the reward model's score head and PPO's value
// head (OnlineRL) both sit on the policy's trunk this way, so one optimizer, one gradient clip and one
// checkpoint with exact resume cover the pair.
import Models
import NN

/// The model and its head; parameter keys `model.…` and `<headKey>.…`.
public final class ModelWithHead: Module {
    let model: any LanguageModel
    let head: Module
    /// The head's checkpoint key segment: `head` for reward models, `value_head` for PPO's critic.
    let headKey: String

    public init(model: any LanguageModel, head: Module, headKey: String) {
        self.model = model
        self.head = head
        self.headKey = headKey
        super.init()
    }

    public override var renamedKeys: [String: String] { ["head": headKey] }
}
