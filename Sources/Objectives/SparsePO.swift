// SparsePO: TDPO1 with sparse token masks on the reward and the KL (docs/design/objectives.md §3.3).
import Autograd
import TensorCore

/// SparsePO, Christopoulou et al. 2024, arXiv 2410.05102
/// (`huawei-noah/HEBO:SparsePO/src/trainers/sparse_trainer.py`, `get_batch_loss_metrics`):
///
/// - u = Σ_t M^w m^{u,w}_t Δ^w_t − Σ_t M^l m^{u,l}_t Δ^l_t.
/// - With true KLs (the code's "token KL" is the *negative* Σ_v q(log p − log q)):
///   L = −log σ(β[u − (Σ_t M^l m^{d,l}_t KL^l_t(q‖p) − Σ_t M^w m^{d,w}_t KL^w_t(q‖p))])
///       + λ_u(‖m^{u,w}⊙M^w‖₁ + ‖m^{u,l}⊙M^l‖₁) + λ_d(‖m^{d,w}⊙M^w‖₁ + ‖m^{d,l}⊙M^l‖₁), mean over pairs.
/// - With every mask equal to 1 this is exactly TDPO1 (docs/design/objectives.md §6, invariant 2; there is no
///   stop-gradient in SparsePO, so it is TDPO1, not TDPO2).
///
/// Masks: fixed MaPO activation masks (`activationMask(…)`, or `tokenWeights[.sparsePOReward]` /
/// `[.sparsePOKL]`; a missing KL mask means the "common" mask m^d = m^u), or learned masks passed as
/// Variables to `compute(_:rewardMask:klMask:normalizer:)` (e.g. from `SparsePOMaskNetwork`).
/// Defaults: β = 0.1, λ_u = λ_d = 0, mask on reward and on KL.
/// Rewards are logged as β(Σ m^u Δ + Σ m^d KL), the TDPO convention that matches the loss's margin
/// (the repo logs β(Σ m^u Δ − Σ m^d KL), which disagrees with its own loss).
public struct SparsePO: Objective {
    public var beta: Float
    public var rewardL1: Float
    public var klL1: Float
    public var maskOnReward: Bool
    public var maskOnKL: Bool

    public init(beta: Float = 0.1, rewardL1: Float = 0, klL1: Float = 0, maskOnReward: Bool = true, maskOnKL: Bool = true) {
        precondition(beta > 0, "SparsePO: beta must be > 0, got \(beta)")
        self.beta = beta
        self.rewardL1 = rewardL1
        self.klL1 = klL1
        self.maskOnReward = maskOnReward
        self.maskOnKL = maskOnKL
    }

    public var name: String { "sparsepo" }

    /// Fixed masks from `tokenWeights`.
    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        guard let mu = batch.tokenWeights[.sparsePOReward] else {
            preconditionFailure("SparsePO: needs tokenWeights[.sparsePOReward] (or pass learned masks)")
        }
        let md = batch.tokenWeights[.sparsePOKL] ?? mu
        return compute(batch, rewardMask: Variable(Masking.zeroed(mu, mask: batch.mask)),
                       klMask: Variable(Masking.zeroed(md, mask: batch.mask)), normalizer: normalizer)
    }

    /// Masks as Variables (learned masks carry gradient: ∂L/∂m^{u,w}_t = −βσ(−z)Δ^w_t + λ_u).
    /// - Parameters:
    ///   - rewardMask: m^u, [B, T], ≥ 0.
    ///   - klMask: m^d, [B, T], ≥ 0 (pass the same Variable for the "common" network).
    public func compute(_ batch: TokenBatch, rewardMask: Variable, klMask: Variable, normalizer: Normalizer) -> ObjectiveOutput {
        let pairs = PreferencePairs(batch, who: "SparsePO")
        let mask = batch.mask
        let delta = batch.policyLogps - batch.requireReferenceLogps("SparsePO")
        let kl = TokenDivergence.forwardKL(policyLogits: batch.requirePolicyLogits("SparsePO"),
                                           referenceLogits: batch.requireReferenceLogits("SparsePO"), mask: mask)
        let rewardTerms = maskOnReward ? delta * rewardMask : delta
        let klTerms = maskOnKL ? kl * klMask : kl
        let (uw, ul) = Pairs.split(Masking.rowSum(rewardTerms, mask: mask))
        let (dw, dl) = Pairs.split(Masking.rowSum(klTerms, mask: mask))
        let z = ((uw - ul) - (dl - dw)) * beta
        var perPair = (-z).softplus()
        if maskOnReward && rewardL1 != 0 {
            let (nw, nl) = Pairs.split(Masking.rowSum(rewardMask.abs(), mask: mask))
            perPair = perPair + (nw + nl) * rewardL1
        }
        if maskOnKL && klL1 != 0 {
            let (nw, nl) = Pairs.split(Masking.rowSum(klMask.abs(), mask: mask))
            perPair = perPair + (nw + nl) * klL1
        }
        let loss = meanOverItems(perPair, count: normalizer.items)
        var metrics = preferenceMetrics(chosenRewards: (uw.value + dw.value) * beta, rejectedRewards: (ul.value + dl.value) * beta,
                                        chosenLogps: pairs.chosenLogps.value, rejectedLogps: pairs.rejectedLogps.value)
        let (klw, kll) = Pairs.split(kl.value.sum(axis: 1))
        metrics.merge(klMetrics(kl.value, chosen: klw, rejected: kll, mask: mask)) { a, _ in a }
        let (muc, mur) = Pairs.split(rewardMask.value)
        let (mc, mr) = Pairs.split(mask)
        metrics["mask/reward_chosen_mean"] = maskedMean(muc, mask: mc)
        metrics["mask/reward_rejected_mean"] = maskedMean(mur, mask: mr)
        metrics["mask/reward_sparsity"] = maskedMean(rewardMask.value.equal(Tensor(0)), mask: mask)
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }

    /// MaPO activation masks (`apply_activation_mapping`, `zn_rescale`): for each hooked reference
    /// activation [B, T, d], take the mean over d, z-normalise over the valid tokens of each row,
    /// min–max rescale to [0, 1], multiply by the mask; average within each hook type, then across
    /// types. A row whose values are all equal (single token, constant activations) gets mask 1 on
    /// its valid tokens instead of the reference code's 0/0 = NaN.
    /// - Parameters:
    ///   - activations: per hook type (MLP, attention, residual, logits…), the hooked tensors, each [B, T, d].
    ///   - mask: [B, T].
    /// - Returns: [B, T] in [0, 1], 0 at masked positions.
    public static func activationMask(_ activations: [[Tensor]], mask: Tensor) -> Tensor {
        precondition(!activations.isEmpty && activations.allSatisfy { !$0.isEmpty }, "SparsePO.activationMask: no activations")
        let B = mask.shape[0], T = mask.shape[1]
        let m = mask.scalars
        func mapped(_ a: Tensor) -> Tensor {
            precondition(Array(a.shape.prefix(2)) == [B, T], "SparsePO.activationMask: activation \(a.shape) for mask \(mask.shape)")
            let x = a.mean(axis: -1).scalars
            var out = [Float](repeating: 0, count: B * T)
            for b in 0 ..< B {
                let idx = (0 ..< T).map { b * T + $0 }.filter { m[$0] != 0 }
                guard !idx.isEmpty else { continue }
                let vals = idx.map { Double(x[$0]) }
                let mean = vals.reduce(0, +) / Double(vals.count)
                let variance = vals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(vals.count)
                let std = variance.squareRoot()
                let z = vals.map { std > 0 ? ($0 - mean) / std : 0 }
                let lo = z.min()!, hi = z.max()!
                for (k, i) in idx.enumerated() { out[i] = hi > lo ? Float((z[k] - lo) / (hi - lo)) : 1 }
            }
            return Tensor(shape: [B, T], data: out)
        }
        var total = Tensor(shape: [B, T], repeating: 0)
        for group in activations {
            var g = Tensor(shape: [B, T], repeating: 0)
            for a in group { g = g + mapped(a) }
            total = total + g * (1 / Float(group.count))
        }
        return total * (1 / Float(activations.count))
    }
}

/// SparsePO's learnable mask network (`SimpleMaskAllLayers`,
/// `huawei-noah/HEBO:SparsePO/src/masks/mask_models.py`) over the reference model's hidden states of
/// every layer: m_t = ReLU(Σ_l c_l · ReLU(w_lᵀ LN(h^(l)_t) + b_l)), one shared LayerNorm (affine).
/// Dropout (0.01 in the recipes) is a training-time detail left to the caller. Parameters are plain
/// Variables so an optimizer can update them; the reference hidden states are constants.
public struct SparsePOMaskNetwork {
    /// Shared LayerNorm weight and bias, [d].
    public var normWeight: Variable
    public var normBias: Variable
    /// Per-layer projections w_l, each [d, 1], and biases b_l, each [1].
    public var layerWeights: [Variable]
    public var layerBiases: [Variable]
    /// Mixer c, [L, 1] (no bias).
    public var mixer: Variable
    public var eps: Float

    public init(normWeight: Variable, normBias: Variable, layerWeights: [Variable], layerBiases: [Variable],
                mixer: Variable, eps: Float = 1e-5) {
        precondition(layerWeights.count == layerBiases.count && mixer.shape == [layerWeights.count, 1],
                     "SparsePOMaskNetwork: \(layerWeights.count) weights, \(layerBiases.count) biases, mixer \(mixer.shape)")
        self.normWeight = normWeight
        self.normBias = normBias
        self.layerWeights = layerWeights
        self.layerBiases = layerBiases
        self.mixer = mixer
        self.eps = eps
    }

    public var parameters: [Variable] { [normWeight, normBias] + layerWeights + layerBiases + [mixer] }

    /// - Parameter hidden: one [B, T, d] reference hidden state per layer.
    /// - Returns: the mask, [B, T], ≥ 0.
    public func callAsFunction(_ hidden: [Tensor]) -> Variable {
        precondition(hidden.count == layerWeights.count, "SparsePOMaskNetwork: \(hidden.count) hidden states for \(layerWeights.count) layers")
        let perLayer = zip(hidden.indices, hidden).map { l, h -> Variable in
            let n = Functional.layerNorm(Variable(h), weight: normWeight, bias: normBias, eps: eps)
            return (n.matmul(layerWeights[l]) + layerBiases[l]).relu()  // [B, T, 1]
        }
        let stacked = Variable.concatenate(perLayer, axis: -1)  // [B, T, L]
        let m = stacked.matmul(mixer).relu()  // [B, T, 1]
        return m.reshaped(Array(m.shape.dropLast()))
    }
}
