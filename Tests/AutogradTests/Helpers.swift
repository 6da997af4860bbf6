// Input generators and comparison helpers for the autograd tests. Every generator is seeded, and
// those for non-smooth ops keep inputs away from the kinks by much more than the finite-difference
// step, so central differences never straddle one.
import Autograd
import TensorCore
import TestSupport
import Testing

/// Compares whole tensors and records the evidence (max |Δ|, where, first mismatches) on failure.
func expectClose(_ actual: Tensor?, _ expected: Tensor?, atol: Float, rtol: Float = 0,
                 _ label: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard let actual, let expected else {
        #expect(actual == nil && expected == nil, "\(label()): one side has no tensor", sourceLocation: sourceLocation)
        return
    }
    let report = compareClose(actual, expected, atol: atol, rtol: rtol)
    #expect(report.ok, "\(label()): \(report)", sourceLocation: sourceLocation)
}

enum Inputs {
    /// N(0, scale²) entries.
    static func normal(_ shape: [Int], _ seed: UInt64, scale: Float = 1) -> Tensor {
        randomTensor(shape, seed: seed, scale: scale)
    }

    /// U[low, high) entries.
    static func uniform(_ shape: [Int], _ seed: UInt64, _ low: Float, _ high: Float) -> Tensor {
        var g = RandomGenerator(seed: seed)
        return Tensor.randomUniform(shape, low: low, high: high, using: &g)
    }

    /// Normal entries pushed away from zero: sign(z)·(minMagnitude + |z|).
    static func awayFromZero(_ shape: [Int], _ seed: UInt64, minMagnitude: Float = 0.2) -> Tensor {
        let z = normal(shape, seed)
        return Tensor(shape: shape, data: z.scalars.map { $0 < 0 ? $0 - minMagnitude : $0 + minMagnitude })
    }

    /// Normal entries moved off the given points by at least `margin`.
    static func avoiding(_ points: [Float], margin: Float, _ shape: [Int], _ seed: UInt64) -> Tensor {
        let z = normal(shape, seed)
        return Tensor(shape: shape, data: z.scalars.map { v in
            var v = v
            for p in points where Swift.abs(v - p) < margin { v = v < p ? p - 2 * margin : p + 2 * margin }
            return v
        })
    }

    /// Distinct values at least 0.2 apart in random order (no ties for max reductions).
    static func distinct(_ shape: [Int], _ seed: UInt64) -> Tensor {
        var g = RandomGenerator(seed: seed)
        let n = Tensor.elementCount(shape)
        var vals = (0 ..< n).map { Float($0) * 0.25 - Float(n) * 0.125 }
        for i in stride(from: n - 1, to: 0, by: -1) { vals.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        return Tensor(shape: shape, data: vals.map { $0 + (g.nextFloat() - 0.5) * 0.04 })
    }

    /// Odd (or even) multiples of 0.25 in [-2, 2] plus noise below 0.05: any odd entry and any even
    /// entry differ by at least 0.15, so maximum / minimum never tie.
    static func quarterGrid(_ shape: [Int], _ seed: UInt64, odd: Bool) -> Tensor {
        var g = RandomGenerator(seed: seed)
        let n = Tensor.elementCount(shape)
        return Tensor(shape: shape, data: (0 ..< n).map { _ in
            let k = Float(Int(g.next() % 8) - 4) * 2 + (odd ? 1 : 0)
            return k * 0.25 + (g.nextFloat() - 0.5) * 0.08
        })
    }

    /// A 0/1 tensor with roughly half ones.
    static func mask(_ shape: [Int], _ seed: UInt64) -> Tensor {
        var g = RandomGenerator(seed: seed)
        return Tensor(shape: shape, data: (0 ..< Tensor.elementCount(shape)).map { _ in g.next() % 2 == 0 ? 0 : 1 })
    }

    /// Indices in 0..<n.
    static func indices(_ shape: [Int], below n: Int, _ seed: UInt64) -> IndexTensor {
        var g = RandomGenerator(seed: seed)
        return IndexTensor(shape: shape, data: (0 ..< Tensor.elementCount(shape)).map { _ in Int32(g.next() % UInt64(n)) })
    }
}

/// Runs `fused` and `composed` on fresh leaves built from the same inputs, seeds both backward passes
/// with the same random upstream gradient, and compares the outputs and every input's gradient.
func expectFusedMatchesComposed(_ inputs: [Tensor], atol: Float = 1e-5, _ label: String,
                                fused: ([Variable]) -> Variable, composed: ([Variable]) -> Variable,
                                sourceLocation: SourceLocation = #_sourceLocation) {
    let a = inputs.map { Variable($0, requiresGrad: true) }, b = inputs.map { Variable($0, requiresGrad: true) }
    let ya = fused(a), yb = composed(b)
    expectClose(ya.value, yb.value, atol: atol, "\(label): forward", sourceLocation: sourceLocation)
    let seed = randomTensor(ya.shape, seed: 4242)
    ya.backward(seed: seed)
    yb.backward(seed: seed)
    for k in inputs.indices {
        expectClose(a[k].grad, b[k].grad, atol: atol, "\(label): gradient of input \(k)", sourceLocation: sourceLocation)
    }
}
