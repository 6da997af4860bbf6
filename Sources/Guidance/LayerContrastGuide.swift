// Layer-contrastive decoding (docs/design/decoding.md §6).
import Foundation
import Models
import TensorCore

/// DoLa, Chuang et al. 2023, arXiv 2309.03883 (ActLCD, arXiv 2505.23657, decides per step whether
/// to apply the same contrast). The premature distribution q_M is the policy's hidden state after
/// its first M layers, put through the final norm and the LM head; the mature one is the base
/// distribution q_N. The contrast is log q_N − log q_M on the adaptive plausibility set
/// V_head = {v : q_N(v) ≥ α · max_w q_N(w)} (α = 0.1), −∞ elsewhere. As a guide,
/// g(v) = −log q_M(v) on V_head and −∞ off it, so z + 1·g = log q_N − log q_M + const: weight 1 is
/// DoLa, other weights scale the contrast. The early layers run with a KV cache of their own
/// (M/N of a forward per token) because the base forward does not expose its intermediate layers.
final class LayerContrastGuide: NextTokenLogProbGuide {
    /// α of the plausibility constraint (the paper's value).
    static let plausibilityAlpha: Float = 0.1
    let stepper: CachedStepper
    /// log q_M, the premature distribution.
    var nextLogProbabilities: Tensor?

    init(model: any LanguageModel, exitLayers: Int) {
        stepper = CachedStepper(model: model, exitLayers: exitLayers)
    }

    var name: String { "layer-contrast" }

    func scores(base: Tensor, candidates: [[Int]]?, into out: UnsafeMutablePointer<Float>) {
        guard let premature = nextLogProbabilities else { preconditionFailure("layer-contrast: scores before begin") }
        let B = base.shape[0], V = base.shape[1]
        let z = base.unsafePointer, q = premature.unsafePointer
        // q_N(v) ≥ α·max q_N  ⇔  z(v) − max z ≥ log α (the softmax normaliser cancels).
        let logAlpha = Foundation.log(Self.plausibilityAlpha)
        for b in 0 ..< B {
            var m = -Float.infinity
            for v in 0 ..< V where z[b * V + v] > m { m = z[b * V + v] }
            for v in 0 ..< V {
                let i = b * V + v
                out[i] = z[i] - m >= logAlpha ? -q[i] : -.infinity
            }
        }
    }
}
