// Reward-model training methods that act on the data rather than on the model (a registry family:
// the CLI, `tokenalign methods` and the tests read it). They combine with any sequence kind of
// `RewardModelKinds` (docs/design/rewards.md §6):
//
// - `rrm`: RRM's causal data augmentation (arXiv 2409.13156), `tokenalign data rrm-augment`: pairs
//   in which a response to the prompt beats a response to another prompt, so that prompt-free
//   artifacts (length, format) stop deciding the preference.
// - `ssrm`: semi-supervised reward modelling (arXiv 2409.06903), `tokenalign reward --self-train`:
//   the trained model pseudo-labels unlabelled pairs, the confident ones join the training set.
// - `co-teaching`: two reward models from different seeds, each stepping on the pairs the other
//   finds easiest (small-loss selection, arXiv 1804.06872; the peer review of CRM, arXiv
//   2505.10597), `tokenalign reward --co-filter-rate ρ`.
import Datasets
import Support

public struct RewardModelTrainingMethodEntry: RegistryEntry {
    public var card: MethodCard
}

public enum RewardModelTrainingMethods {
    public static let registry = Registry<RewardModelTrainingMethodEntry>(family: "reward-model training method", [
        RewardModelTrainingMethodEntry(card: MethodCard(name: "rrm", aliases: ["rrm-augment"],
                                                        summary: "RRM causal augmentation: a response to the prompt beats responses to other prompts (non-contextual pairs); pairs of two foreign responses are ties",
                                                        arxiv: ["2409.13156"], inputs: ["preference pairs"], defaults: ["per_row": "\(RRMAugmentation.defaultPerRow)"])),
        RewardModelTrainingMethodEntry(card: MethodCard(name: "ssrm", aliases: ["self-train"],
                                                        summary: "Semi-supervised RM: pseudo-label unlabelled pairs with the trained RM, keep those with σ(|r_a − r_b|) ≥ τ, retrain on labelled ∪ kept; R rounds",
                                                        arxiv: ["2409.06903"], inputs: ["preference pairs", "unlabelled pairs"],
                                                        defaults: ["self_train_rounds": "\(SelfTraining.defaultRounds)", "confidence_threshold": "\(SelfTraining.defaultConfidenceThreshold)"])),
        RewardModelTrainingMethodEntry(card: MethodCard(name: "co-teaching", aliases: ["co-filter", "crm-peer-review"],
                                                        summary: "Two RMs (seeds s, s + 1) each step only on the 1 − ρ of every batch the other finds lowest-loss (largest margin): noisy pairs are filtered by peer review",
                                                        arxiv: ["1804.06872", "2505.10597"], inputs: ["preference pairs (possibly noisy)"])),
    ])
}
