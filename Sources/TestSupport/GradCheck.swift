// Finite-difference gradient checking. The analytic gradient of the scalar projection
// L = Σ w ⊙ f(inputs) (w fixed random) is compared with central differences
// (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h for every input element, the sums accumulated in Double.
import Autograd
import TensorCore

public struct GradCheckResult: CustomStringConvertible {
    public var ok: Bool
    public var worst: Float
    public var details: [String]
    public var description: String { ok ? "ok (worst relative error \(worst))" : details.prefix(8).joined(separator: "\n") }
}

/// - Parameters:
///   - inputs: values for the differentiable inputs (small shapes).
///   - f: builds the output from Variables wrapping `inputs`.
///   - step: finite-difference step h.
public func gradcheck(_ inputs: [Tensor], step: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 2e-2, seed: UInt64 = 7,
                      _ f: ([Variable]) -> Variable) -> GradCheckResult {
    var rng = RandomGenerator(seed: seed)
    // Output shape and projection weights.
    let probeOut = withoutGradients { f(inputs.map { Variable($0) }) }
    let w = Tensor.randomNormal(probeOut.shape, using: &rng)

    func projected(_ xs: [Tensor]) -> Double {
        let y = withoutGradients { f(xs.map { Variable($0) }) }.value
        var acc = 0.0
        let yp = y.scalars, wp = w.scalars
        for i in 0 ..< yp.count { acc += Double(yp[i]) * Double(wp[i]) }
        return acc
    }

    let vars = inputs.map { Variable($0, requiresGrad: true) }
    let out = f(vars)
    out.backward(seed: w)

    var details: [String] = []
    var worst: Float = 0
    for (k, x) in inputs.enumerated() {
        let analytic = vars[k].grad ?? Tensor(shape: x.shape, repeating: 0)
        for i in 0 ..< x.count {
            var plus = inputs, minus = inputs
            plus[k][flat: i] += step
            minus[k][flat: i] -= step
            let numeric = Float((projected(plus) - projected(minus)) / Double(2 * step))
            let a = analytic[flat: i]
            let err = abs(a - numeric)
            let rel = err / max(abs(numeric), 1e-3)
            if rel > worst && err > atol { worst = rel }
            if err > atol + rtol * abs(numeric) || err.isNaN {
                details.append("input \(k) element \(i): analytic \(a), numeric \(numeric)")
            }
        }
    }
    return GradCheckResult(ok: details.isEmpty, worst: worst, details: details)
}
