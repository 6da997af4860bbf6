// The sequence-level reward-model kinds that train more than a scalar head on the shared trunk
// (docs/design/rewards.md §8): HaF-RM (`haf`, arXiv 2407.04185) and GRM (`grm`, arXiv 2406.10216)
// keep the LM head and add a policy or generation term through it; ODIN (`odin`, arXiv 2402.07319)
// adds a second, length head. The trunk runs once per batch: its hidden states feed the reward head
// and, for HaF and GRM, the LM head. The saved folder is a plain sequence-classification reward
// model whose `score.weight` is the reward head (ODIN's quality head), so every scorer of
// `bradley-terry` folders reads it unchanged.
import Autograd
import Models
import NN
import Objectives
import TensorCore

/// ODIN's two heads as one module (checkpoint keys `head.quality.score.weight`, `head.length.score.weight`).
public final class LengthDisentangledHeads: Module {
    /// r_Q: the saved reward head.
    public let quality: RewardHead
    /// r_L: saved beside the model (`length_head.safetensors`), never read by a scorer.
    public let length: RewardHead

    /// The file and tensor name of the saved length head.
    public static let lengthFile = "length_head.safetensors"
    public static let lengthKey = "length_score.weight"

    public init(quality: RewardHead, length: RewardHead) {
        self.quality = quality
        self.length = length
        super.init()
    }
}

/// A shared-trunk reward model in training: its heads and its loss.
public struct SharedTrunkReward {
    public enum Loss {
        case hybrid(HybridRewardModelLoss)
        case generalizable(GeneralizableRewardModelLoss)
        case lengthDisentangled(LengthDisentangledRewardLoss)
        /// CLoud's second stage (arXiv 2408.11791): the rows are self-critiqued and the mask covers
        /// the critique tokens; the spec is saved with the model (CritiqueOutLoud.swift).
        case critiqueOutLoud(CritiqueOutLoudLoss, CritiqueSpec)
    }

    /// The reward head (ODIN: r_Q), saved as `score.weight`.
    public let head: RewardHead
    /// ODIN's length head r_L.
    public let lengthHead: RewardHead?
    public let loss: Loss

    public init(head: RewardHead, lengthHead: RewardHead? = nil, loss: Loss) {
        self.head = head
        self.lengthHead = lengthHead
        self.loss = loss
    }

    /// What the trainer's `ModelWithHead` holds under `head`.
    var trainableHead: Module { lengthHead.map { LengthDisentangledHeads(quality: head, length: $0) } ?? head }

    /// HaF compares the policy with a frozen reference.
    var needsReference: Bool {
        if case .hybrid = loss { return true }
        return false
    }

    /// The loss on one micro-batch. The head scores are aligned to predicted tokens (entry t is
    /// input position t + 1), so the readout is the one-hot at each row's last non-pad input position
    /// shifted by one: the `bradley-terry` kind's read-out.
    func output(policy: any LanguageModel, reference: (any LanguageModel)?, batch b: BatchTensors, padID: Int,
                normalizer: Normalizer) -> ObjectiveOutput {
        let L = b.ids.shape[1]
        let h = policy.hiddenStates(b.ids, attentionMask: nil, cache: nil)  // [B, L, C]
        let readout = RewardStep.readout(ids: b.ids, padID: padID).slice(axis: 1, 1 ..< L)
        let scores = head(h).slice(axis: 1, 1 ..< L)
        switch loss {
        case .lengthDisentangled(let odin):
            guard let lengthHead else { preconditionFailure("SharedTrunkReward: ODIN needs its length head") }
            let rQ = (scores * readout).sum(axis: 1), rL = (lengthHead(h).slice(axis: 1, 1 ..< L) * readout).sum(axis: 1)
            return odin.compute(quality: rQ, length: rL, lengths: b.mask.sum(axis: 1), qualityWeight: head.score.weight,
                                lengthWeight: lengthHead.score.weight, margin: b.pairValues[.margin], tie: b.pairValues[.tie],
                                normalizer: normalizer)
        case .hybrid, .generalizable, .critiqueOutLoud:
            let logits = policy.logits(fromHidden: h).slice(axis: 1, 0 ..< L - 1)
            let ref = reference.map { TokenBatch.tokenLogps(logits: Forward.frozenLogits($0, b.ids), labels: b.labels, mask: b.mask) }
            var batch = TokenBatch(policyLogits: logits, labels: b.labels, mask: b.mask, structure: .pairs, referenceLogps: ref,
                                   tokenWeights: [.rewardReadout: readout])
            batch.scores = scores
            batch.sequenceValues = b.pairValues  // the rows' margins and ties
            if case .hybrid(let haf) = loss { return haf.compute(batch, normalizer: normalizer) }
            if case .generalizable(let grm) = loss { return grm.compute(batch, normalizer: normalizer) }
            if case .critiqueOutLoud(let cloud, _) = loss { return cloud.compute(batch, normalizer: normalizer) }
            preconditionFailure("unreachable")
        }
    }
}
