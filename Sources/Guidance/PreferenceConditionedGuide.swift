// PAD-style personalised guidance (docs/design/decoding.md §7).
import Foundation
import Models
import TensorCore

/// PAD, Chen et al. 2024, arXiv 2410.04070: a personalised reward model conditioned on a textual
/// preference p scores the base model's top-k candidates C with a DPO-style implicit token reward
/// normalised over C,
///   r(v) = log-softmax_C(z_p)(v) − log-softmax_C(z)(v),   z′(v) = z(v) + w·r(v)  (paper: w = 1.5, k = 10),
/// z the base logits and z_p the preference-conditioned model's. Our analogue needs no trained
/// PersRM: the policy itself, with the description prepended to every prompt (its own KV cache),
/// plays the personalised model, so r measures how much the preference shifts the policy's choice
/// among its own candidates.
final class PreferenceConditionedGuide: Guide {
    let stepper: CachedStepper
    /// The token ids of the preference description, put before every prompt.
    let prefix: [Int]
    private var conditioned: Tensor?

    init(model: any LanguageModel, preference: [Int]) {
        stepper = CachedStepper(model: model)
        prefix = preference
    }

    var name: String { "pad" }
    var scoresCandidates: Bool { true }
    var forwardTokens: Int { stepper.forwardTokens }

    func check(capacity: Int) throws {
        try GuideModels.checkCapacity(stepper.model, capacity: capacity + prefix.count, guide: name)
    }

    func begin(prompts: [[Int]], padTokenID: Int, capacity: Int) {
        let h = stepper.prefill(prompts.map { prefix + $0 }, padTokenID: padTokenID, capacity: capacity + prefix.count)
        conditioned = stepper.logits(h)
    }

    func accept(_ tokens: [Int]) {
        conditioned = stepper.logits(stepper.step(tokens))
    }

    func scores(base: Tensor, candidates: [[Int]]?, into out: UnsafeMutablePointer<Float>) {
        guard let candidates, let conditioned else { preconditionFailure("pad scores candidates after begin") }
        let V = base.shape[1]
        let z = base.unsafePointer, zp = conditioned.unsafePointer
        for (b, c) in candidates.enumerated() {
            let lb = Self.logSumExp(z + b * V, c), lp = Self.logSumExp(zp + b * V, c)
            for v in c { out[b * V + v] = (zp[b * V + v] - lp) - (z[b * V + v] - lb) }
        }
    }

    /// log Σ_{v ∈ c} exp(row[v]).
    static func logSumExp(_ row: UnsafePointer<Float>, _ c: [Int]) -> Float {
        var m = -Float.infinity
        for v in c where row[v] > m { m = row[v] }
        var s: Float = 0
        for v in c { s += Foundation.exp(row[v] - m) }
        return m + Foundation.log(s)
    }
}
