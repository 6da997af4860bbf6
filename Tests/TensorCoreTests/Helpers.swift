// Shared helpers for the TensorCore tests: whole-tensor comparison with evidence, and the small
// index arithmetic the naive (Double, plain-loop) reference kernels use.
import Foundation
import TensorCore
import TestSupport
import Testing

/// Compares whole tensors and records the evidence (max |Δ|, where, first mismatches) on failure.
/// Positions where both sides hold the same infinity count as equal.
func expectClose(_ actual: Tensor, _ expected: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4,
                 _ label: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    var a = actual, e = expected
    if a.shape == e.shape {
        for i in 0 ..< a.count where a[flat: i].isInfinite && a[flat: i] == e[flat: i] {
            a[flat: i] = 0
            e[flat: i] = 0
        }
    }
    let report = compareClose(a, e, atol: atol, rtol: rtol)
    #expect(report.ok, "\(label()): \(report)", sourceLocation: sourceLocation)
}

/// Expects two tensors to be identical element for element (same shape, same bits up to ±0).
func expectEqual(_ actual: Tensor, _ expected: Tensor, _ label: @autoclosure () -> String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(label()): shape \(actual.shape) vs \(expected.shape)",
            sourceLocation: sourceLocation)
    if actual.shape == expected.shape {
        expectClose(actual, expected, atol: 0, rtol: 0, label(), sourceLocation: sourceLocation)
    }
}

/// Row-major strides of `shape`.
func stridesOf(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        s[i] = acc
        acc *= shape[i]
    }
    return s
}

/// Multi-index of flat index `f` in `shape`.
func unravel(_ f: Int, _ shape: [Int]) -> [Int] {
    var idx = [Int](repeating: 0, count: shape.count)
    var rem = f
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        idx[i] = rem % shape[i]
        rem /= shape[i]
    }
    return idx
}

/// Flat index of multi-index `idx` in `shape`.
func ravel(_ idx: [Int], _ shape: [Int]) -> Int {
    var f = 0
    for (i, d) in zip(idx, shape) { f = f * d + i }
    return f
}

/// The elements as Doubles.
func doubles(_ t: Tensor) -> [Double] { t.scalars.map(Double.init) }

/// A tensor from Doubles (rounded to Float).
func tensor(_ shape: [Int], _ values: [Double]) -> Tensor {
    Tensor(shape: shape, data: values.map { Float($0) })
}

/// Uniform values in [low, high) from a seed.
func uniformTensor(_ shape: [Int], seed: UInt64, low: Float, high: Float) -> Tensor {
    var g = RandomGenerator(seed: seed)
    return Tensor.randomUniform(shape, low: low, high: high, using: &g)
}

/// Values on a half-integer grid in [-2, 2] excluding 0: exact in Float, with many ties (for
/// comparisons) and never zero (safe divisors).
func gridTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var g = RandomGenerator(seed: seed)
    let grid: [Float] = [-2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2]
    let n = Tensor.elementCount(shape)
    return Tensor(shape: shape, data: (0 ..< n).map { _ in grid[Int(g.next() % UInt64(grid.count))] })
}

/// Naive transpose of the last two axes.
func naiveTransposeLast(_ t: Tensor) -> Tensor {
    let r = t.rank, M = t.shape[r - 2], N = t.shape[r - 1]
    let batch = t.count / max(M * N, 1)
    let x = t.scalars
    var out = [Float](repeating: 0, count: t.count)
    for b in 0 ..< batch {
        for i in 0 ..< M { for j in 0 ..< N { out[b * M * N + j * M + i] = x[b * M * N + i * N + j] } }
    }
    var s = t.shape
    s.swapAt(r - 2, r - 1)
    return Tensor(shape: s, data: out)
}

/// Naive batched product in Double: a [batch..., M, K] · b [batch..., K, N] or b [K, N] shared.
func naiveMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let M = a.shape[a.rank - 2], K = a.shape[a.rank - 1], N = b.shape[b.rank - 1]
    precondition(b.shape[b.rank - 2] == K)
    let batch = a.count / (M * K)
    let shared = b.rank == 2
    let x = a.scalars, y = b.scalars
    var out = [Double](repeating: 0, count: batch * M * N)
    for p in 0 ..< batch {
        let ao = p * M * K, bo = shared ? 0 : p * K * N
        for i in 0 ..< M {
            for j in 0 ..< N {
                var s = 0.0
                for k in 0 ..< K { s += Double(x[ao + i * K + k]) * Double(y[bo + k * N + j]) }
                out[p * M * N + i * N + j] = s
            }
        }
    }
    return tensor(Array(a.shape.dropLast(2)) + [M, N], out)
}

/// Naive NumPy broadcast of a and b, applying `f` in Double.
func naiveBroadcast(_ a: Tensor, _ b: Tensor, _ f: (Double, Double) -> Double) -> Tensor {
    let r = max(a.rank, b.rank)
    let pa = [Int](repeating: 1, count: r - a.rank) + a.shape
    let pb = [Int](repeating: 1, count: r - b.rank) + b.shape
    let out = (0 ..< r).map { max(pa[$0], pb[$0]) }
    let x = a.scalars, y = b.scalars
    let n = Tensor.elementCount(out)
    var vals = [Double](repeating: 0, count: n)
    for f0 in 0 ..< n {
        let idx = unravel(f0, out)
        let ia = (0 ..< r).map { pa[$0] == 1 ? 0 : idx[$0] }
        let ib = (0 ..< r).map { pb[$0] == 1 ? 0 : idx[$0] }
        vals[f0] = f(Double(x[ravel(ia, pa)]), Double(y[ravel(ib, pb)]))
    }
    return tensor(out, vals)
}
