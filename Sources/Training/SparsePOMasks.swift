// SparsePO with learned token masks (`--loss sparsepo-learned`; Christopoulou et al. 2024,
// arXiv:2410.05102, the "SparsePO" variant with a mask network; docs/design/objectives.md §3.3).
// `--loss sparsepo` keeps the fixed MaPO activation masks.
//
// What feeds the network. The reference implementation (`huawei-noah/HEBO:SparsePO`,
// `src/trainers/sparse_trainer.py` `get_batch_loss_metrics` → `concatenated_forward(model, batch,
// ref_chosen_states=…)`, and `src/masks/pipeline_gpt2.py` with `mask_model=simple_all`) runs the
// *reference* model with `output_hidden_states=True` and hands `hidden_states[1:]` — every layer's
// output, the last one after the final norm — to `SimpleMaskAllLayers`, each sliced `[:, :-1]` so
// position t scores the predicted token t + 1. We do the same with
// `LayerActivations.huggingFaceHiddenStates` of the reference: the masks depend on the mask
// network's parameters only (the reference is frozen), and the policy's gradient reaches them
// through the loss, as in the paper.
//
// Training. The network's parameters live in `SparsePOMaskModule`, wrapped with the policy in one
// module (`SparsePOTrainable`: keys `model.…` and `sparsepo_mask.…`) so the policy's AdamW, gradient
// clipping, checkpoints and exact resume cover them, as `ModelWithHead` does for a reward head.
// `sparsepo-learned` uses one "common" network, m^u = m^d (the recipes' `rw_kl_independent=False`);
// `sparsepo-learned-indp` gives the KL mask its own network (`rw_kl_independent=True`, keys
// `sparsepo_kl_mask.…`).
//
// Differences from the reference code, on purpose:
//  - Initialisation: w_l as PyTorch's Linear (U(±1/√C)), but b_l = 1 and c = 1/L instead of
//    PyTorch's random b_l and c. With random c every c_l can be negative, and then the final ReLU
//    zeroes every mask and its gradient from the first step (a dead network). Ours starts with
//    masks near 1 on every token, i.e. near TDPO1 (SparsePO with unit masks), and learns sparsity
//    from there.
//  - No mask dropout (0.01 in the recipes): runs stay deterministic, so resume is bit-exact without
//    saving a dropout generator.
import Autograd
import Models
import NN
import Objectives
import TensorCore

/// One per-layer scorer of `SimpleMaskAllLayers` (`SimpleMaskLayer.w`): w_l [C, 1], b_l [1].
public final class SparsePOMaskLayer: Module {
    public var weight: Variable
    public var bias: Variable

    init(hiddenSize C: Int, rng: inout RandomGenerator) {
        let bound = 1 / Float(C).squareRoot()
        weight = Variable(Tensor.randomUniform([C, 1], low: -bound, high: bound, using: &rng), requiresGrad: true)
        bias = Variable(Tensor(shape: [1], repeating: 1), requiresGrad: true)
        super.init()
    }
}

/// The parameters of SparsePO's learned mask network as a module (keys `layer_norm.weight`,
/// `layer_norm.bias`, `layers.<l>.weight`, `layers.<l>.bias`, `mixer`), evaluated by
/// `SparsePOMaskNetwork`: m_t = ReLU(Σ_l c_l · ReLU(w_lᵀ LN(h^(l)_t) + b_l)).
public final class SparsePOMaskModule: Module {
    /// The shared LayerNorm (affine), [C].
    public var layerNorm: LayerNorm
    public var layers: [SparsePOMaskLayer]
    /// c, [L, 1] (no bias).
    public var mixer: Variable

    /// - Parameters:
    ///   - hiddenSize: C of the model whose hidden states feed the network (the reference).
    ///   - layerCount: L, one scorer per decoder layer.
    public init(hiddenSize: Int, layerCount: Int, seed: UInt64) {
        precondition(hiddenSize > 0 && layerCount > 0, "SparsePOMaskModule: hidden size \(hiddenSize), \(layerCount) layers")
        var rng = RandomGenerator(seed: seed)
        layerNorm = LayerNorm(hiddenSize, eps: 1e-5)
        layers = (0 ..< layerCount).map { _ in SparsePOMaskLayer(hiddenSize: hiddenSize, rng: &rng) }
        mixer = Variable(Tensor(shape: [layerCount, 1], repeating: 1 / Float(layerCount)), requiresGrad: true)
        super.init()
    }

    /// The network over this module's parameters (the same Variables, so gradients land here).
    public var network: SparsePOMaskNetwork {
        SparsePOMaskNetwork(normWeight: layerNorm.weight, normBias: layerNorm.bias ?? Variable(Tensor(shape: layerNorm.weight.shape)),
                            layerWeights: layers.map(\.weight), layerBiases: layers.map(\.bias), mixer: mixer, eps: layerNorm.eps)
    }

    /// - Parameter hidden: one [B, T, C] hidden state per layer (constants).
    /// - Returns: the mask [B, T], ≥ 0, differentiable in the parameters.
    public func callAsFunction(_ hidden: [Tensor]) -> Variable { network(hidden) }
}

/// The policy and the mask network(s) as one trained module.
final class SparsePOTrainable: Module {
    let model: any LanguageModel
    let sparsepoMask: SparsePOMaskModule
    /// The KL mask's network in the "indp" variant.
    let sparsepoKlMask: SparsePOMaskModule?

    init(model: any LanguageModel, mask: SparsePOMaskModule, klMask: SparsePOMaskModule? = nil) {
        self.model = model
        self.sparsepoMask = mask
        self.sparsepoKlMask = klMask
        super.init()
    }
}

extension PreferenceMethod {
    /// The objective with this batch's learned masks bound into every `LearnedMaskSparsePO`
    /// (also inside mixes). `klMask` nil: the common mask serves both.
    static func bindingLearnedMasks(_ objective: any Objective, mask: Variable, klMask: Variable? = nil) -> any Objective {
        if var o = objective as? LearnedMaskSparsePO {
            o.masks = (mask, klMask ?? mask)
            return o
        }
        if var mix = objective as? ObjectiveMix {
            mix.components = mix.components.map { (objective: bindingLearnedMasks($0.objective, mask: mask, klMask: klMask), weight: $0.weight) }
            return mix
        }
        return objective
    }
}

extension Trainer {
    /// The reference's logits [B, T, V] (shifted, no graph) and its hidden states for the mask
    /// network (Hugging Face's `hidden_states[1:]`, each [B, T, C] at the scoring positions), from
    /// one reference forward.
    func referenceLogitsAndLayers(_ b: BatchTensors) -> (logits: Tensor, layers: [Tensor]) {
        guard let inspect = reference as? any ActivationInspecting else {
            preconditionFailure("sparsepo-learned: the reference must expose its layers (checked when the trainer was built)")
        }
        let L = b.ids.shape[1]
        return withoutGradients {
            let acts = inspect.layerActivations(b.ids, attentionMask: nil)
            let z = inspect.logits(fromHidden: acts.final).value.slice(axis: 1, 0 ..< L - 1)
            return (z, acts.huggingFaceHiddenStates.map { $0.value.slice(axis: 1, 0 ..< L - 1) })
        }
    }
}
