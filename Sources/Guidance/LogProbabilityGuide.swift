// GenARM and UniR-style logit addition: a second causal LM's next-token log-probabilities added to
// the base logits at every step (docs/design/decoding.md §4–§5).
import Models
import TensorCore

/// g(v) = log π_r(v | prefix), the full vocabulary, from the guide model's own KV cache (one
/// position per generated token).
/// - `genarm` (Xu et al. 2024, arXiv 2410.08193): π_r is an autoregressive reward model (trained by
///   `GenARMLoss`); decoding from π_base · π_r^(1/β) is z + (1/β)·log π_r, so the weight is 1/β.
///   Several `genarm` guides with their own weights give the paper's multi-objective combination.
/// - `logits` (UniR, Kim et al. 2025, arXiv 2505.19075): π_r is a small module trained on top of a
///   frozen base; the paper adds the module's logits, z_b + α·z_r. log π_r = z_r − logsumexp(z_r)
///   differs from z_r by one constant per row, which the softmax cancels, so the sampled
///   distribution is the paper's.
final class LogProbabilityGuide: NextTokenLogProbGuide {
    let name: String
    let stepper: CachedStepper
    var nextLogProbabilities: Tensor?

    init(name: String, model: any LanguageModel) {
        self.name = name
        stepper = CachedStepper(model: model)
    }

    func scores(base: Tensor, candidates: [[Int]]?, into out: UnsafeMutablePointer<Float>) {
        guard let current = nextLogProbabilities else { preconditionFailure("\(name): scores before begin") }
        precondition(current.shape == base.shape, "\(name): guide logits \(current.shape) vs base \(base.shape)")
        out.update(from: current.unsafePointer, count: current.count)
    }
}
