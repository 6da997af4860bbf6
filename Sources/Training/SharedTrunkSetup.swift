// From settings to a shared-trunk reward model (`haf`, `grm`, `odin`): the kind's loss with its
// coefficients checked against the ranges the papers give them, and fresh heads seeded from the run
// (docs/design/rewards.md §8).
import Models
import Objectives

enum SharedTrunkSetup {
    /// - Parameter head: the reward head of a reward-model folder to continue from, else nil.
    /// - Throws: `TrainingError.invalidSetting` naming `alpha` out of its kind's range, and
    ///   `invalidConfiguration` for `--token-level` (these kinds read one score per sequence) and for
    ///   `--precompute-ref-log-probs` (no reference cache on this path).
    static func make(_ c: TrainingConfiguration, head: RewardHead?, model: any LanguageModel) throws -> SharedTrunkReward {
        let kind = try RewardModelKinds.registry.entry(named: c.rewardKind).card.name
        guard !c.tokenLevel else { throw TrainingError.invalidConfiguration("--token-level and --kind \(kind) exclude each other") }
        // HaF's reference log-probs are computed beside every batch; a cache would have to be built
        // for the reward trainer first, so the flag is refused rather than ignored.
        guard !c.precomputeRefLogProbs else {
            throw TrainingError.invalidConfiguration("--precompute-ref-log-probs is not supported with --kind \(kind): the reference log-probs are computed with every batch")
        }
        let head = head ?? RewardHead(hiddenSize: model.hiddenSize, seed: c.seed)
        switch kind {
        case "haf":
            let alpha = c.alpha ?? HybridRewardModelLoss.defaultAlpha
            guard alpha >= 0 else { throw TrainingError.invalidSetting(key: "alpha", value: "\(alpha)", requirement: "≥ 0 for --kind haf (the policy term's weight)") }
            return SharedTrunkReward(head: head, loss: .hybrid(HybridRewardModelLoss(alpha: alpha, beta: c.beta)))
        case "grm":
            let alpha = c.alpha ?? GeneralizableRewardModelLoss.defaultAlpha
            guard (0 ... 1).contains(alpha) else {
                throw TrainingError.invalidSetting(key: "alpha", value: "\(alpha)", requirement: "in [0, 1] for --kind grm (the regulariser's share)")
            }
            let reg = GeneralizableRewardModelLoss.Regularizer(rawValue: c.grmRegularizer ?? "sft") ?? .sft
            return SharedTrunkReward(head: head, loss: .generalizable(GeneralizableRewardModelLoss(alpha: alpha, beta: c.beta, regularizer: reg)))
        case "odin":
            let loss = LengthDisentangledRewardLoss(lengthWeight: c.odinLengthWeight ?? LengthDisentangledRewardLoss.defaultLengthWeight,
                                                    orthogonalityWeight: c.odinOrthogonalityWeight ?? LengthDisentangledRewardLoss.defaultOrthogonalityWeight)
            // The length head starts from its own stream of the run's seed.
            return SharedTrunkReward(head: head, lengthHead: RewardHead(hiddenSize: model.hiddenSize, seed: c.seed &+ 0x0D1),
                                     loss: .lengthDisentangled(loss))
        default:
            throw TrainingError.invalidConfiguration("--kind \(kind) is not a shared-trunk reward model")
        }
    }
}
