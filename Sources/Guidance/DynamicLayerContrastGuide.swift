// DoLa with its dynamic premature layer (docs/design/decoding.md §6).
import Foundation
import Models
import TensorCore

/// DoLa, Chuang et al. 2023, arXiv 2309.03883, §2.2: at every step and for every row, the premature
/// layer M is the candidate whose early-exit distribution q_M differs most from the final q_N, and
/// the contrast of `LayerContrastGuide` (the plausibility set, α = 0.1) is applied with that q_M.
/// The difference is the one the authors' released code and transformers' `dola_layers` compute,
/// D(q_N, q_j) = ½·[KL(m‖q_N) + KL(m‖q_j)] with m = ½(q_N + q_j), over the full vocabulary
/// (§6 of the design doc says how this differs from the textbook Jensen–Shannon divergence).
/// One cached pass runs the layers up to the deepest candidate and reads every candidate's hidden
/// state on the way; one LM-head product turns the k stacked states into logits.
final class DynamicLayerContrastGuide: NextTokenLogProbGuide {
    let stepper: CachedStepper
    /// The candidate depths, ascending.
    let bucket: [Int]
    /// log q_j for every candidate, [k·B, V]: candidate j's rows at j·B ..< (j+1)·B.
    var nextLogProbabilities: Tensor?
    /// The layer chosen for each row at each step, in step order (for reports and tests).
    private(set) var selectedLayers: [[Int]] = []
    /// Scratch rows for the step's final distribution: log q_N, q_N, and one candidate's q_j.
    private var finalLog: [Float] = [], finalProbability: [Float] = [], candidateProbability: [Float] = []

    init(model: any LanguageModel, bucket: [Int], finalNorm: Bool) {
        precondition(!bucket.isEmpty, "layer-contrast: an empty bucket")
        self.bucket = bucket
        stepper = CachedStepper(model: model, exits: CachedStepper.Exits(depths: bucket, finalNorm: finalNorm))
    }

    var name: String { "layer-contrast" }

    func scores(base: Tensor, candidates: [[Int]]?, into out: UnsafeMutablePointer<Float>) {
        guard let premature = nextLogProbabilities else { preconditionFailure("layer-contrast: scores before begin") }
        let B = base.shape[0], V = base.shape[1], k = bucket.count
        precondition(premature.shape == [k * B, V], "layer-contrast: \(premature.shape) premature log-probs for \(k) layers × \(B) rows × \(V)")
        if finalLog.count != V {
            finalLog = [Float](repeating: 0, count: V)
            finalProbability = finalLog
            candidateProbability = finalLog
        }
        var chosen = [Int](repeating: bucket[0], count: B)
        for b in 0 ..< B {
            let z = base.unsafePointer + b * V
            var best = 0
            if k > 1 {
                var bestDivergence = -Double.infinity
                for j in 0 ..< k {
                    let d = divergence(final: z, candidate: premature.unsafePointer + (j * B + b) * V, count: V, finalReady: j > 0)
                    if d > bestDivergence { bestDivergence = d; best = j }  // first on ties, as torch's argmax
                }
            }
            chosen[b] = bucket[best]
            LayerContrastGuide.contrastRow(base: z, premature: premature.unsafePointer + (best * B + b) * V, count: V, into: out + b * V)
        }
        selectedLayers.append(chosen)
    }

    /// ½·Σ_v m(v)·(2·log m(v) − log q_N(v) − log q_j(v)) with m = ½(q_N + q_j): DoLa's
    /// ½[KL(m‖q_N) + KL(m‖q_j)] (0·log 0 = 0). `final` is the row's base logits; its log-softmax
    /// and softmax are written into the scratch rows unless `finalReady` says this row's are there.
    private func divergence(final z: UnsafePointer<Float>, candidate lq: UnsafePointer<Float>, count V: Int, finalReady: Bool) -> Double {
        finalLog.withUnsafeMutableBufferPointer { lpBuffer in
            finalProbability.withUnsafeMutableBufferPointer { pBuffer in
                candidateProbability.withUnsafeMutableBufferPointer { qBuffer in
                    let lp = lpBuffer.baseAddress!, p = pBuffer.baseAddress!, q = qBuffer.baseAddress!
                    if !finalReady {
                        let lse = CPU.rowLogSumExp(z, V)
                        for v in 0 ..< V { lp[v] = z[v] - lse }
                        Self.exponentiate(lp, into: p, count: V)
                    }
                    Self.exponentiate(lq, into: q, count: V)
                    var sum = 0.0
                    for v in 0 ..< V {
                        let m = 0.5 * (p[v] + q[v])
                        if m > 0 { sum += Double(m * (2 * logf(m) - lp[v] - lq[v])) }
                    }
                    return 0.5 * sum
                }
            }
        }
    }

    /// y = exp(x) over a row, sixteen lanes at a time.
    private static func exponentiate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count V: Int) {
        var j = 0
        while j < V {
            let w = Swift.min(16, V - j)
            VMath.store(VMath.exp(VMath.load(x + j, w)), y + j, w)
            j += w
        }
    }
}
