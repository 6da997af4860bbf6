// Reductions over each axis (with and without keepDims), softmax / log-softmax (including extreme
// rows) and cumulative sums, against naive Double loops.
import Foundation
import TensorCore
import TestSupport
import Testing

/// Naive reduction of `x` over `axis` with `f` applied to the values along it.
func naiveReduce(_ x: Tensor, axis: Int, keepDims: Bool, _ f: ([Double]) -> Double) -> Tensor {
    let a = axis < 0 ? axis + x.rank : axis
    var outShape = x.shape
    outShape[a] = 1
    let xs = x.scalars
    let n = Tensor.elementCount(outShape)
    var vals = [Double](repeating: 0, count: n)
    for o in 0 ..< n {
        var idx = unravel(o, outShape)
        var line: [Double] = []
        for j in 0 ..< x.shape[a] {
            idx[a] = j
            line.append(Double(xs[ravel(idx, x.shape)]))
        }
        vals[o] = f(line)
    }
    if !keepDims { outShape.remove(at: a) }
    return tensor(outShape, vals)
}

func naiveLogSumExp(_ v: [Double]) -> Double {
    let m = v.max()!
    if m == -.infinity { return m }
    return m + Foundation.log(v.reduce(0) { $0 + Foundation.exp($1 - m) })
}

func naiveSoftmaxRows(_ x: Tensor, log: Bool) -> Tensor {
    let V = x.shape.last!, xs = doubles(x)
    var out = [Double](repeating: 0, count: xs.count)
    for r in 0 ..< xs.count / V {
        let row = Array(xs[r * V ..< (r + 1) * V])
        let lse = naiveLogSumExp(row)
        for j in 0 ..< V { out[r * V + j] = log ? row[j] - lse : Foundation.exp(row[j] - lse) }
    }
    return tensor(x.shape, out)
}

struct ReduceCase: Sendable, CustomTestStringConvertible {
    var shape: [Int], axis: Int
    var testDescription: String { "\(shape) axis \(axis)" }
}

@Suite("Reductions")
struct ReductionTests {
    static let cases: [ReduceCase] = [
        ReduceCase(shape: [3, 4, 5], axis: 0), ReduceCase(shape: [3, 4, 5], axis: 1), ReduceCase(shape: [3, 4, 5], axis: 2),
        ReduceCase(shape: [3, 4, 5], axis: -1), ReduceCase(shape: [3, 4, 5], axis: -3), ReduceCase(shape: [7], axis: 0),
        ReduceCase(shape: [1, 5], axis: 0), ReduceCase(shape: [5, 1], axis: 1),
        ReduceCase(shape: [600, 100], axis: 1),     // contiguous rows, parallel
        ReduceCase(shape: [8, 300, 20], axis: 1),   // strided, parallel
        ReduceCase(shape: [300, 8, 20], axis: 0),
    ]

    @Test("sum / mean / max / min / logSumExp over an axis, keepDims both ways", arguments: cases)
    func reduceAxis(_ c: ReduceCase) {
        let x = randomTensor(c.shape, seed: 41, scale: 3)
        for keep in [false, true] {
            let tag = "\(c.testDescription) keepDims \(keep)"
            expectClose(x.sum(axis: c.axis, keepDims: keep),
                        naiveReduce(x, axis: c.axis, keepDims: keep) { $0.reduce(0, +) }, atol: 1e-4, rtol: 1e-5, "sum \(tag)")
            expectClose(x.mean(axis: c.axis, keepDims: keep),
                        naiveReduce(x, axis: c.axis, keepDims: keep) { $0.reduce(0, +) / Double($0.count) },
                        atol: 1e-5, rtol: 1e-5, "mean \(tag)")
            expectEqual(x.max(axis: c.axis, keepDims: keep), naiveReduce(x, axis: c.axis, keepDims: keep) { $0.max()! },
                        "max \(tag)")
            expectEqual(x.min(axis: c.axis, keepDims: keep), naiveReduce(x, axis: c.axis, keepDims: keep) { $0.min()! },
                        "min \(tag)")
            expectClose(x.logSumExp(axis: c.axis, keepDims: keep),
                        naiveReduce(x, axis: c.axis, keepDims: keep, naiveLogSumExp), atol: 1e-5, rtol: 1e-6, "logSumExp \(tag)")
        }
    }

    @Test("logSumExp is stable for large values and handles -inf")
    func logSumExpExtremes() {
        let x = Tensor(shape: [3, 4], data: [1e4, 1e4 - 1, 1e4 - 2, 1e4 - 3,
                                             -1e4, -1e4 - 1, -1e4 - 2, -1e4 - 3,
                                             -.infinity, 0.5, -.infinity, -.infinity])
        let expected = naiveReduce(x, axis: 1, keepDims: false, naiveLogSumExp)
        expectClose(x.logSumExp(axis: 1), expected, atol: 1e-3, rtol: 1e-6, "contiguous")
        expectClose(x.transposed().logSumExp(axis: 0), expected, atol: 1e-3, rtol: 1e-6, "strided")
        let allMasked = Tensor(shape: [1, 3], repeating: -.infinity)
        #expect(allMasked.logSumExp(axis: 1).scalar == -.infinity)
    }

    @Test("Whole-tensor sum / mean / max / min")
    func fullReductions() {
        let x = randomTensor([7, 11, 13], seed: 42)
        let xs = doubles(x)
        #expect(Swift.abs(Double(x.sum().scalar) - xs.reduce(0, +)) < 1e-4)
        #expect(Swift.abs(Double(x.mean().scalar) - xs.reduce(0, +) / Double(xs.count)) < 1e-6)
        #expect(Double(x.max().scalar) == xs.max()!)
        #expect(Double(x.min().scalar) == xs.min()!)
        #expect(x.sum().shape == [] && x.max().shape == [])
        // Many elements: accumulated in chunks in Double, so the error stays small.
        let ones = Tensor.ones([1_000_003])
        #expect(ones.sum().scalar == 1_000_003)
    }
}

@Suite("Softmax family and scans")
struct SoftmaxTests {
    @Test("softmax and logSoftmax over the last axis", arguments: [[1, 1], [5], [3, 7], [2, 3, 17], [64, 1000]])
    func random(_ shape: [Int]) {
        let x = randomTensor(shape, seed: 43, scale: 4)
        expectClose(x.softmax(), naiveSoftmaxRows(x, log: false), atol: 1e-6, rtol: 1e-5, "softmax \(shape)")
        expectClose(x.logSoftmax(), naiveSoftmaxRows(x, log: true), atol: 1e-5, rtol: 1e-6, "logSoftmax \(shape)")
        // Rows sum to one.
        let sums = x.softmax().sum(axis: -1)
        expectClose(sums, Tensor(shape: sums.shape, repeating: 1), atol: 1e-5, "softmax row sums \(shape)")
    }

    @Test("Large values (1e4) and rows of -inf except one entry")
    func extremes() {
        let V = 19
        var data: [Float] = (0 ..< V).map { 1e4 + Float($0 % 5) }          // large, would overflow naively
        data += (0 ..< V).map { -1e4 - Float($0 % 3) }                      // large negative
        data += (0 ..< V).map { $0 == 7 ? 2.5 : -.infinity }               // masked except one
        data += (0 ..< V).map { $0 < 3 ? -.infinity : Float($0) * 0.1 }    // some masked
        let x = Tensor(shape: [4, V], data: data)
        let p = x.softmax(), lp = x.logSoftmax()
        #expect(p.scalars.allSatisfy { $0.isFinite } && lp.scalars[0 ..< 2 * V].allSatisfy { $0.isFinite })
        expectClose(p, naiveSoftmaxRows(x, log: false), atol: 1e-6, rtol: 1e-5, "softmax")
        // Row 0 lives near 1e4, where one Float32 ulp is ~1e-3.
        expectClose(lp, naiveSoftmaxRows(x, log: true), atol: 1e-3, rtol: 1e-6, "logSoftmax")
        // The single surviving entry gets probability one (log-probability zero); the rest -inf / 0.
        let row = p.row(2).scalars, lrow = lp.row(2).scalars
        #expect(row[7] == 1 && lrow[7] == 0)
        #expect((0 ..< V).filter { $0 != 7 }.allSatisfy { row[$0] < 1e-30 && lrow[$0] == -.infinity })
    }

    @Test("A fully masked row softmaxes to zeros (the attention convention)")
    func fullyMasked() {
        let x = Tensor(shape: [2, 3], data: [-.infinity, -.infinity, -.infinity, 0, 1, 2])
        expectEqual(x.softmax().row(0), Tensor.zeros([3]), "masked row")
    }

    @Test("cumulativeSum and reverseCumulativeSum along each axis", arguments: [0, 1, 2, -1])
    func scans(_ axis: Int) {
        let x = randomTensor([3, 4, 5], seed: 44)
        let a = axis < 0 ? axis + 3 : axis
        let xs = doubles(x)
        var fwd = [Double](repeating: 0, count: xs.count), rev = fwd
        for f in 0 ..< xs.count {
            let idx = unravel(f, x.shape)
            var j = idx
            for k in 0 ..< x.shape[a] {
                j[a] = k
                if k <= idx[a] { fwd[f] += xs[ravel(j, x.shape)] }
                if k >= idx[a] { rev[f] += xs[ravel(j, x.shape)] }
            }
        }
        expectClose(x.cumulativeSum(axis: axis), tensor(x.shape, fwd), atol: 1e-5, "cumulativeSum axis \(axis)")
        expectClose(x.reverseCumulativeSum(axis: axis), tensor(x.shape, rev), atol: 1e-5, "reverseCumulativeSum axis \(axis)")
    }
}
