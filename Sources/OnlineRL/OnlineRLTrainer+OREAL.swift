// OREAL's steps in the loop (arXiv 2502.06781): the trajectory filter and the online token RM's
// update, which also gives every rollout its token weights. The RM itself: OREALTokenRewardModel.swift.
import Autograd
import Models
import NN
import Objectives
import Optim
import TensorCore
import Training

extension OnlineRLTrainer {
    /// Whether a sample's outcome counts as positive (correct): its total reward is > 0.
    static func isPositive(_ s: RolloutSample) -> Bool { s.rewards.reduce(0, +) > 0 }

    /// OREAL's `filter_trajectory`: groups whose samples are all positive or all negative are
    /// dropped; of every other group one random positive and one random negative sample are kept
    /// (seeded by the run's seed and the step). Returns the kept indices, group by group. Their
    /// advantages were computed on the whole group.
    func orealFilter(_ samples: [RolloutSample]) -> [Int] {
        var rng = RandomGenerator(seed: configuration.seed &+ 0x0EA1_F117 &+ UInt64(step))
        var order: [Int] = [], members: [Int: [Int]] = [:]
        for (i, s) in samples.enumerated() {
            if members[s.group] == nil { order.append(s.group) }
            members[s.group, default: []].append(i)
        }
        var kept: [Int] = []
        for g in order {
            let rows = members[g] ?? []
            let positive = rows.filter { Self.isPositive(samples[$0]) }, negative = rows.filter { !Self.isPositive(samples[$0]) }
            guard !positive.isEmpty, !negative.isEmpty else { continue }
            kept.append(positive[Int(rng.next() % UInt64(positive.count))])
            kept.append(negative[Int(rng.next() % UInt64(negative.count))])
        }
        return kept
    }

    /// The token RM's step. Its logits (a linear read-out of the policy's hidden state at each
    /// completion token, which has read that token) give every sample its weights ω (ω⁺ on
    /// positives, ω⁻ on negatives), computed before the RM's own update as the reference does; then
    /// one AdamW step on the sequence-level cross-entropy of the mean logit against the outcome, over
    /// the samples the policy trains on (`training`, indices into `samples`). Returns its metrics.
    func orealTokenRewardStep(_ rm: OREALTokenRewardModel, _ samples: inout [RolloutSample], training: [Int]) throws -> [String: Float] {
        let c = configuration
        let trained = Set(training)
        let others = samples.indices.filter { !trained.contains($0) }
        rm.head.zeroGrad()
        var lossSum = 0.0, correct = 0.0, count = 0.0
        for (indices, learn) in [(training, true), (others, false)] {
            for lo in stride(from: 0, to: indices.count, by: c.perDeviceTrainBatchSize) {
                let chunk = Array(indices[lo ..< min(lo + c.perDeviceTrainBatchSize, indices.count)])
                let p = PaddedRollout(chunk.map { samples[$0] }, padID: padID, forLoss: false)
                let states = withoutGradients {
                    let h = policy.hiddenStates(p.ids, attentionMask: nil, cache: nil)  // [n, L, C]
                    return h.slice(axis: 1, 1 ..< p.ids.shape[1]).value  // the state after each predicted token
                }
                let positive = p.samples.map(Self.isPositive)
                var logits = Tensor.zeros([0])
                if learn {
                    _ = try valueAndGrad(rm.head, accumulate: lo > 0) {
                        let w = rm.head(Variable(states))
                        logits = w.value
                        let loss = OREALTokenWeights.rewardModelLoss(logits: w, mask: p.mask, positive: positive, sequences: Float(training.count))
                        lossSum += Double(loss.scalar)
                        return loss
                    }
                } else {
                    logits = rm.head.scores(states)
                }
                let omega = try OREALTokenWeights.weights(logits: logits, mask: p.mask, positive: positive, rescale: rm.rescale)
                for (j, i) in chunk.enumerated() {
                    samples[i].tokenWeights = p.completion(omega, row: j)
                    let w = p.completion(logits, row: j)
                    if learn && !w.isEmpty { correct += (w.reduce(0, +) > 0) == positive[j] ? 1 : 0; count += 1 }
                }
            }
        }
        guard !training.isEmpty else { return [:] }
        let gradNorm = clipGradientNorm(rm.head, maxNorm: rm.maxGradNorm > 0 ? rm.maxGradNorm : .infinity)
        guard gradNorm.isFinite, lossSum.isFinite else {
            throw TrainingError.nonFinite(step: step + 1, quantity: "token_level_rm_loss", value: Float(lossSum), rows: [])
        }
        rm.optimizer.step(rm.head)
        let weights = training.flatMap { samples[$0].tokenWeights ?? [] }
        return ["oreal/token_rm_loss": Float(lossSum), "oreal/token_rm_grad_norm": gradNorm,
                "oreal/token_rm_accuracy": Float(correct / max(count, 1)),
                "oreal/token_weight_rollout_mean": weights.isEmpty ? 0 : weights.reduce(0, +) / Float(weights.count)]
    }
}
