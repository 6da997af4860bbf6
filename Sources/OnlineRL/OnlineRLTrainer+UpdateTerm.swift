// The loop's side of `PolicyUpdateTerm` (docs/design/online-rl.md §18): build the term from the
// configuration, attach its targets to the rollout batch, and in each optimizer step add its loss
// over the mini-batch's targets, micro-batch by micro-batch, to the policy loss's gradients.
import Autograd
import Distributed
import NN
import Objectives
import TensorCore

extension OnlineRLTrainer {
    /// The update term the configuration asks for, nil for none: RLMEC's imitation term
    /// (`rlmec_imitation_coef` > 0) reads the rewriter of the run's `rlmec` reward.
    static func makeUpdateTerm(_ c: OnlineRLConfiguration, rewardFunctions: [any RewardFunction]) throws -> (any PolicyUpdateTerm)? {
        guard c.rlmecImitationCoef > 0 else { return nil }
        guard let rewriter = rewardFunctions.lazy.compactMap({ $0 as? RLMECReward }).first else {
            throw RewardError("rlmec_imitation_coef: RLMEC's imitation term corrects the wrong rollouts with the rewriter of an rlmec reward; add --reward rlmec:DIR[,TEMPLATE_FILE] or set rlmec_imitation_coef to 0")
        }
        guard World.current.size == 1 else {
            throw RewardError("rlmec_imitation_coef: the imitation term is not supported with more than one process (its targets are not shared between ranks)")
        }
        return RLMECImitationTerm(reward: rewriter, coefficient: c.rlmecImitationCoef, maxNewTokens: c.maxCompletionLength)
    }

    /// Once per rollout batch, after the advantages: each trained sample's target (untrained ones —
    /// truncated under `mask_truncated_completions` — get none).
    func attachUpdateTargets(_ samples: inout [RolloutSample], metrics: inout [String: Float]) throws {
        guard let term = updateTerm, !samples.isEmpty else { return }
        let (targets, m) = try term.targets(for: completions(samples, from: prompts))
        guard targets.count == samples.count else {
            throw RewardError("\(term.name): \(targets.count) targets for \(samples.count) samples")
        }
        for i in samples.indices { samples[i].updateTarget = samples[i].trained ? targets[i] : nil }
        metrics.merge(m) { a, _ in a }
    }

    /// The term's loss over the targets of `mini`'s samples, its gradients added to the ones already
    /// accumulated: one teacher-forced pass (temperature 1: an SFT term on the target's tokens) per
    /// `per_device_train_batch_size` targets, all divided by the mini-batch's target-token count.
    /// Returns the loss and the metrics weighted by each micro-batch's share of the targets.
    func accumulateUpdateTerm(_ mini: [RolloutSample]) throws -> (loss: Double, metrics: [String: Double]) {
        guard let term = updateTerm else { return (0, [:]) }
        let rows = mini.compactMap { s in
            s.updateTarget.map {
                RolloutSample(promptIndex: s.promptIndex, group: s.group, promptIDs: s.promptIDs, ids: $0.ids, rolloutLogps: [], entropies: [],
                              truncated: false, text: "", tokenWeights: $0.weights)
            }
        }
        guard !rows.isEmpty else { return (0, [:]) }
        let size = configuration.perDeviceTrainBatchSize
        let padded = stride(from: 0, to: rows.count, by: size).map { PaddedRollout(Array(rows[$0 ..< min($0 + size, rows.count)]), padID: padID, forLoss: true) }
        let tokens = padded.reduce(Float(0)) { $0 + $1.mask.sum().scalar }
        var total = 0.0, sums: [String: Double] = [:]
        var failure: Error?
        for p in padded {
            guard let weights = p.field({ $0.tokenWeights }) else { continue }
            _ = try valueAndGrad(trainable, accumulate: true) {
                let h = self.policy.hiddenStates(p.ids, attentionMask: nil, cache: nil)
                let states = h.slice(axis: 1, 0 ..< p.ids.shape[1] - 1)
                let logps = Functional.tokenLogProbs(logits: self.policy.logits(fromHidden: states), labels: p.labels, mask: p.mask)
                do {
                    let out = try term.loss(logps: logps, weights: weights, mask: p.mask, targetTokens: tokens)
                    return Self.tally(out, share: Double(p.samples.count) / Double(rows.count), skipping: MetricName.imitationLoss,
                                      total: &total, sums: &sums)
                } catch {
                    failure = error
                    return (logps * 0).sum()
                }
            }
            if let failure { throw failure }
        }
        sums[MetricName.imitationLoss] = total
        return (total, sums)
    }

    /// A micro-batch's share of an update: its loss added to `total`, its metrics (but `skipping`, which
    /// the caller sets from the total) times `share` added to `sums`; returns the loss to differentiate.
    static func tally(_ out: ObjectiveOutput, share: Double, skipping: String, total: inout Double, sums: inout [String: Double]) -> Variable {
        total += Double(out.loss.scalar)
        for (k, v) in out.metrics where k != skipping { sums[k, default: 0] += Double(v) * share }
        return out.loss
    }
}
