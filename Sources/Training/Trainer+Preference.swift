// The inputs of preference objectives for one batch: policy logits, reference log-probs (live or
// cached), auxiliary ("guide") models, SparsePO masks (fixed or learned), RRPO segments, T-REG's
// contrastive passes, and KTO's mismatched-completion KL baseline (docs/design/objectives.md §5).
import Autograd
import Datasets
import Models
import Objectives
import TensorCore

extension Trainer {
    func preferenceOutput(_ method: PreferenceMethod, _ b: BatchTensors, indices: [Int], set: String, normalizer: Normalizer) -> ObjectiveOutput {
        let logits = Forward.shiftedLogits(policy, b.ids)
        var refLogits: Tensor?
        var refLogps: Tensor
        var activationMask: Tensor?
        var learnedMask: Variable?, learnedKLMask: Variable?
        if configuration.precomputeRefLogProbs {
            refLogps = cachedReference(indices: indices, set: set, shape: b.mask.shape)
        } else {
            let L = b.ids.shape[1]
            var z: Tensor
            if method.learnedSparsePOMasks, let network = sparsePOMask {
                // SparsePO's learned masks from every layer of the reference (one forward serves
                // the logits too); the mask carries gradient into the mask network.
                let r = referenceLogitsAndLayers(b)
                z = r.logits
                learnedMask = network(r.layers)
                learnedKLMask = sparsePOKLMask.map { $0(r.layers) }
                if method.sparsePOMasks, let last = r.layers.last {
                    activationMask = SparsePO.activationMask([[last], [z]], mask: b.mask)
                }
            } else if method.sparsePOMasks, let reference {
                // SparsePO's MaPO masks from the reference's activations: its final hidden states
                // and its logits (two hook types), aligned to the predicted tokens.
                let h = withoutGradients { reference.hiddenStates(b.ids, attentionMask: nil, cache: nil).value }
                z = withoutGradients { reference.logits(fromHidden: Variable(h)).value }.slice(axis: 1, 0 ..< L - 1)
                activationMask = SparsePO.activationMask([[h.slice(axis: 1, 0 ..< L - 1)], [z]], mask: b.mask)
            } else {
                z = Forward.frozenLogits(reference!, b.ids)
            }
            refLogps = TokenBatch.tokenLogps(logits: z, labels: b.labels, mask: b.mask)
            if method.needsReferenceLogits { refLogits = z }
        }
        var aux: [AuxiliaryKey: AuxiliaryOutputs] = [:]
        for (k, g) in guides.enumerated() {
            let spec = method.auxiliary[k]
            let z = Forward.frozenLogits(g, b.ids)
            aux[spec.key] = AuxiliaryOutputs(logps: TokenBatch.tokenLogps(logits: z, labels: b.labels, mask: b.mask),
                                             logits: spec.logits ? z : nil)
        }
        if let prefixes = method.contrastivePrefixIDs {
            aux[.betterPrompt] = AuxiliaryOutputs(logps: prefixedLogps(prefixes.better, b))
            aux[.worsePrompt] = AuxiliaryOutputs(logps: prefixedLogps(prefixes.worse, b))
        }
        var weights: [TokenWeightKey: Tensor] = [:]
        if method.sparsePOMasks {
            weights[.sparsePOReward] = activationMask ?? Tensor(shape: b.mask.shape, repeating: 1)
        }
        var segments: IndexTensor?
        if method.segments {
            // One segment per response: the trained tokens (plus annotated error spans).
            let m = b.mask.scalars, labels = b.tokenLabels?.scalars
            var seg = [Int32](repeating: 0, count: m.count)
            for i in 0 ..< m.count where m[i] > 0 || (labels?[i] ?? 0) > 0 { seg[i] = 1 }
            segments = IndexTensor(shape: b.mask.shape, data: seg)
        }
        let batch = TokenBatch(policyLogits: logits, labels: b.labels, mask: b.mask, structure: .pairs,
                               referenceLogits: refLogits, referenceLogps: refLogps, auxiliary: aux,
                               tokenRewards: b.tokenRewards, tokenWeights: weights, segmentIDs: segments)
        var batchForObjective = batch
        if !method.needsPolicyLogits { batchForObjective.policyLogits = nil }
        var objective = method.objective
        if let learnedMask { objective = PreferenceMethod.bindingLearnedMasks(objective, mask: learnedMask, klMask: learnedKLMask) }
        var out = objective.compute(batchForObjective, normalizer: normalizer)
        if out.metrics[MetricName.rewardsAccuracies] == nil {
            // Objectives without pair metrics (AlignDistil, SimPO's own margins aside): report TRL's
            // DPO implicit-reward metrics β·Σ(ℓ − ℓ^ref) so every method is comparable.
            let seq = (batch.policyLogps.value - refLogps) * b.mask
            let r = seq.sum(axis: 1) * configuration.beta
            let lp = (batch.policyLogps.value * b.mask).sum(axis: 1)
            let P = b.mask.shape[0] / 2
            let rc = r.rows(0 ..< P), rr = r.rows(P ..< 2 * P)
            out.metrics[MetricName.rewardsChosen] = rc.mean().scalar
            out.metrics[MetricName.rewardsRejected] = rr.mean().scalar
            out.metrics[MetricName.rewardsAccuracies] = rc.greater(rr).mean().scalar
            out.metrics[MetricName.rewardsMargins] = (rc - rr).mean().scalar
            out.metrics[MetricName.logpsChosen] = lp.rows(0 ..< P).mean().scalar
            out.metrics[MetricName.logpsRejected] = lp.rows(P ..< 2 * P).mean().scalar
        }
        out.metrics.merge(TokenRewardStatistics.metrics(policyLogps: batch.policyLogps.value, referenceLogps: refLogps,
                                                        mask: b.mask, beta: configuration.beta)) { a, _ in a }
        return out
    }

    func unpairedOutput(_ kto: KTO, _ b: BatchTensors, indices: [Int], set: String, normalizer: Normalizer) -> ObjectiveOutput {
        let data = (set == "eval" ? eval : train) ?? train
        let rows = data.subset(indices)
        let logits = Forward.shiftedLogits(policy, b.ids)
        // With --precompute-ref the reference's row log-probs and KL sums come from the cache
        // (ReferenceCache+KTO.swift), computed on the same batches.
        let cached = configuration.precomputeRefLogProbs ? cachedKTOReference(set: set, data: data, indices: indices, shape: b.mask.shape) : nil
        let refLogps = cached?.logps ?? referenceTokenLogps(b)
        var values: [SequenceValueKey: Tensor] = [:]
        if kto.lossType == .kto, let kl = rows.mismatchedCollate(padID: padID) {
            let k = BatchTensors(kl)
            let pol = TokenBatch.tokenLogps(logits: Forward.frozenLogits(policy, k.ids), labels: k.labels, mask: k.mask)
            values[.klPolicyLogps] = (pol * k.mask).sum(axis: 1)
            values[.klReferenceLogps] = cached?.klSums ?? referenceSequenceSums(k)
        }
        let batch = TokenBatch(policyLogits: logits, labels: b.labels, mask: b.mask, structure: .unpaired(desirable: rows.desirable),
                               referenceLogps: refLogps, sequenceValues: values)
        var unlinked = batch
        unlinked.policyLogits = nil
        return kto.compute(unlinked, normalizer: normalizer)
    }

    /// The reference's log-probs (no graph) of the batch's predicted tokens with `prefix` in front
    /// of every row: [B, T], aligned with the unprefixed batch (T-REG's contrastive prompting; the
    /// paper scores tokens with the reference model, arXiv 2412.02685).
    func prefixedLogps(_ prefix: [Int], _ b: BatchTensors) -> Tensor {
        let model = reference ?? policy
        let B = b.ids.shape[0], L = b.ids.shape[1], k = prefix.count
        guard k > 0 else { return TokenBatch.tokenLogps(logits: Forward.frozenLogits(model, b.ids), labels: b.labels, mask: b.mask) }
        let p = prefix.map { Int32(truncatingIfNeeded: $0) }
        var ids = [Int32](); ids.reserveCapacity(B * (k + L))
        for r in 0 ..< B { ids += p; ids += b.ids.data[r * L ..< (r + 1) * L] }
        let z = Forward.frozenLogits(model, IndexTensor(shape: [B, k + L], data: ids))  // [B, k + L − 1, V]
        return TokenBatch.tokenLogps(logits: z.slice(axis: 1, k ..< k + L - 1), labels: b.labels, mask: b.mask)
    }

}
