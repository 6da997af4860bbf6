// Pointwise kernels against Foundation's libm in Double, and broadcasting binary operations
// against a naive index-mapping reference.
import Foundation
import TensorCore
import TestSupport
import Testing

struct BroadcastCase: Sendable, CustomTestStringConvertible {
    var a: [Int], b: [Int], what: String
    var testDescription: String { "\(a) ∘ \(b) (\(what))" }
}

/// The scalar reference for each binary op, in Double.
func referenceBinary(_ op: BinaryOp) -> (Double, Double) -> Double {
    switch op {
    case .add: return { $0 + $1 }
    case .sub: return { $0 - $1 }
    case .mul: return { $0 * $1 }
    case .div: return { $0 / $1 }
    case .maximum: return { Swift.max($0, $1) }
    case .minimum: return { Swift.min($0, $1) }
    case .greater: return { $0 > $1 ? 1 : 0 }
    case .greaterEqual: return { $0 >= $1 ? 1 : 0 }
    case .less: return { $0 < $1 ? 1 : 0 }
    case .lessEqual: return { $0 <= $1 ? 1 : 0 }
    case .equal: return { $0 == $1 ? 1 : 0 }
    case .notEqual: return { $0 != $1 ? 1 : 0 }
    }
}

/// The scalar reference for each unary op, from Foundation's libm in Double.
func referenceUnary(_ op: UnaryOp) -> (Double) -> Double {
    switch op {
    case .neg: return { -$0 }
    case .exp: return { Foundation.exp($0) }
    case .log: return { Foundation.log($0) }
    case .sqrt: return { $0.squareRoot() }
    case .rsqrt: return { 1 / $0.squareRoot() }
    case .tanh: return { Foundation.tanh($0) }
    case .sigmoid: return { 1 / (1 + Foundation.exp(-$0)) }
    case .relu: return { Swift.max($0, 0) }
    case .gelu: return { x in 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) }
    case .geluErf: return { x in 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot())) }
    case .silu: return { $0 / (1 + Foundation.exp(-$0)) }
    case .softplus: return { Foundation.log1p(Foundation.exp($0)) }
    case .abs: return { Swift.abs($0) }
    case .square: return { $0 * $0 }
    case .reciprocal: return { 1 / $0 }
    }
}

@Suite("Unary ops")
struct UnaryTests {
    static func needsPositive(_ op: UnaryOp) -> Bool { [.log, .sqrt, .rsqrt, .reciprocal].contains(op) }

    /// 40 003 elements: above the parallel grain, with a ragged SIMD tail.
    @Test("Each UnaryOp matches libm (relative 1e-6)", arguments: UnaryOp.allCases)
    func matchesLibm(_ op: UnaryOp) {
        let n = 40_003
        let x = Self.needsPositive(op)
            ? uniformTensor([n], seed: 21, low: 0.01, high: 8)
            : uniformTensor([n], seed: 21, low: -9, high: 9)
        let f = referenceUnary(op)
        let expected = tensor([n], doubles(x).map(f))
        // Functions that cancel near −∞ (gelu's 1 + tanh) are compared with a small absolute floor.
        expectClose(x.applying(op), expected, atol: 2e-7, rtol: 1e-6, "\(op)")
    }

    @Test("Wide-range inputs: exp, tanh, sigmoid, softplus, silu saturate correctly")
    func wideRange() {
        let x = Tensor([-87, -60, -30, -15, -5, -1e-3, -1e-7, 0, 1e-7, 1e-3, 0.6, 0.65, 5, 15, 30, 60, 88])
        // (gelu/geluErf are left out: their 1 + tanh / 1 + erf cancels in Float32 near −5 by design.)
        for op in [UnaryOp.exp, .tanh, .sigmoid, .softplus, .silu] {
            let expected = tensor(x.shape, doubles(x).map(referenceUnary(op)))
            expectClose(x.applying(op), expected, atol: 0, rtol: 2e-6, "\(op)")
        }
    }

    @Test("exp is accurate up to the top of its documented input range (88.7)")
    func expNearOverflow() {
        let below = Tensor([80, 85, 88, 88.3])
        expectClose(below.exp(), tensor(below.shape, doubles(below).map { Foundation.exp($0) }), atol: 0, rtol: 2e-6, "exp ≤ 88.3")
        // Up to ln(Float.greatestFiniteMagnitude) the result stays finite and accurate (2ⁿ is built as
        // 2·2ⁿ⁻¹, so n = 128 does not overflow the exponent bits).
        do {
            let top = Tensor([88.4, 88.5, 88.6, 88.7])
            expectClose(top.exp(), tensor(top.shape, doubles(top).map { Foundation.exp($0) }), atol: 0, rtol: 2e-6, "exp > 88.38")
            #expect(Tensor([89, 1000]).exp().scalars.allSatisfy { $0.isFinite })
        }
    }

    @Test("Named wrappers call the matching op")
    func wrappers() {
        let x = uniformTensor([37], seed: 22, low: 0.1, high: 3)
        let pairs: [(Tensor, UnaryOp)] = [
            (x.exp(), .exp), (x.log(), .log), (x.sqrt(), .sqrt), (x.rsqrt(), .rsqrt), (x.tanh(), .tanh),
            (x.sigmoid(), .sigmoid), (x.relu(), .relu), (x.gelu(), .gelu), (x.geluErf(), .geluErf),
            (x.silu(), .silu), (x.softplus(), .softplus), (x.abs(), .abs), (x.squared(), .square),
            (x.reciprocal(), .reciprocal), (-x, .neg),
        ]
        for (y, op) in pairs { expectEqual(y, x.applying(op), "\(op)") }
    }

    @Test("pow, affine, clamp")
    func scalarParameterised() {
        let x = uniformTensor([1000], seed: 23, low: 0.05, high: 4)
        for p: Float in [2, 3, 0.5, -1.5, 0] {
            expectClose(x.pow(p), tensor(x.shape, doubles(x).map { Foundation.pow($0, Double(p)) }),
                        atol: 0, rtol: 1e-6, "pow \(p)")
        }
        let z = uniformTensor([1000], seed: 24, low: -3, high: 3)
        expectClose(z.affine(scale: -1.5, shift: 0.25), tensor(z.shape, doubles(z).map { -1.5 * $0 + 0.25 }),
                    atol: 1e-6, rtol: 1e-6, "affine")
        expectClose(z * 2 + 1, tensor(z.shape, doubles(z).map { 2 * $0 + 1 }), atol: 1e-6, "x * 2 + 1")
        expectClose(1 - z, tensor(z.shape, doubles(z).map { 1 - $0 }), atol: 1e-6, "1 - x")
        expectClose(z / 4 - 3, tensor(z.shape, doubles(z).map { $0 / 4 - 3 }), atol: 1e-6, "x / 4 - 3")
        expectEqual(z.clamped(min: -0.5, max: 1), tensor(z.shape, doubles(z).map { Swift.min(Swift.max($0, -0.5), 1) }),
                    "clamp")
        expectEqual(z.clamped(min: 0), z.relu(), "clamp(min: 0) = relu")
    }
}

@Suite("Broadcasting binary ops")
struct BinaryTests {
    static let cases: [BroadcastCase] = [
        BroadcastCase(a: [2, 3, 4], b: [2, 3, 4], what: "same shape"),
        BroadcastCase(a: [2, 3, 4], b: [], what: "scalar right"),
        BroadcastCase(a: [], b: [2, 3, 4], what: "scalar left"),
        BroadcastCase(a: [2, 3, 4], b: [1], what: "one-element right"),
        BroadcastCase(a: [2, 3, 4], b: [4], what: "bias row"),
        BroadcastCase(a: [4], b: [2, 3, 4], what: "bias row left"),
        BroadcastCase(a: [2, 3, 4], b: [1, 3, 4], what: "trailing block"),
        BroadcastCase(a: [1, 1, 4], b: [2, 3, 4], what: "leading ones left"),
        BroadcastCase(a: [2, 3, 4], b: [2, 3, 1], what: "[B,T,1] column"),
        BroadcastCase(a: [2, 3, 1], b: [2, 3, 4], what: "[B,T,1] column left"),
        BroadcastCase(a: [2, 1, 3], b: [4, 1], what: "general"),
        BroadcastCase(a: [4, 1], b: [2, 1, 3], what: "general left"),
        BroadcastCase(a: [1, 3], b: [2, 1], what: "outer product"),
        BroadcastCase(a: [2, 3, 4], b: [1, 3, 1], what: "middle axis"),
        BroadcastCase(a: [2, 3, 4], b: [2, 1, 4], what: "middle broadcast"),
        BroadcastCase(a: [3, 1, 5], b: [1, 4, 1], what: "both broadcast"),
        BroadcastCase(a: [], b: [], what: "scalars"),
        BroadcastCase(a: [64, 1031], b: [1031], what: "large bias row (parallel)"),
        BroadcastCase(a: [64, 1031], b: [64, 1], what: "large column (parallel)"),
        BroadcastCase(a: [64, 1031], b: [64, 1031], what: "large same (parallel)"),
        BroadcastCase(a: [8, 1, 1031], b: [8, 1], what: "large general"),
    ]

    @Test("Every BinaryOp matches the naive broadcast", arguments: cases)
    func allOps(_ c: BroadcastCase) {
        let a = gridTensor(c.a, seed: 31), b = gridTensor(c.b, seed: 32)
        for op in BinaryOp.allCases {
            let y = a.binary(op, b)
            expectClose(y, naiveBroadcast(a, b, referenceBinary(op)), atol: 0, rtol: 1e-7, "\(op) \(c.testDescription)")
        }
        expectEqual(a + b, a.binary(.add, b), "+")
        expectEqual(a - b, a.binary(.sub, b), "-")
        expectEqual(a * b, a.binary(.mul, b), "*")
        expectEqual(a / b, a.binary(.div, b), "/")
        expectEqual(a.maximum(b), a.binary(.maximum, b), "maximum")
        expectEqual(a.minimum(b), a.binary(.minimum, b), "minimum")
        expectEqual(a.greater(b), a.binary(.greater, b), "greater")
        expectEqual(a.greaterEqual(b), a.binary(.greaterEqual, b), "greaterEqual")
        expectEqual(a.less(b), a.binary(.less, b), "less")
        expectEqual(a.lessEqual(b), a.binary(.lessEqual, b), "lessEqual")
        expectEqual(a.equal(b), a.binary(.equal, b), "equal")
        expectEqual(a.notEqual(b), a.binary(.notEqual, b), "notEqual")
    }

    @Test("Random (non-grid) operands", arguments: [cases[4], cases[8], cases[10], cases[15]])
    func randomOperands(_ c: BroadcastCase) {
        let a = randomTensor(c.a, seed: 33), b = uniformTensor(c.b, seed: 34, low: 0.5, high: 2)
        for op in [BinaryOp.add, .sub, .mul, .div] {
            expectClose(a.binary(op, b), naiveBroadcast(a, b, referenceBinary(op)), atol: 1e-6, rtol: 1e-6,
                        "\(op) \(c.testDescription)")
        }
    }

    @Test("broadcastShape follows NumPy rules")
    func broadcastShape() {
        #expect(CPU.broadcastShape([2, 1, 3], [4, 1]) == [2, 4, 3])
        #expect(CPU.broadcastShape([], [3]) == [3])
        #expect(CPU.broadcastShape([5, 1], [1]) == [5, 1])
        #expect(CPU.broadcastShape([2, 3], [3, 2]) == nil)
        #expect(CPU.broadcastShape([3], [4]) == nil)
    }

    @Test("broadcasted(to:) and reduceToShape (the inverse, used by every broadcasting VJP)",
          arguments: [([3], [2, 3]), ([2, 1], [2, 3]), ([], [2, 3]), ([1], [4]), ([4, 1], [2, 4, 3]),
                      ([2, 1, 3], [2, 4, 3]), ([1, 3, 1], [2, 3, 4]), ([3, 4], [2, 3, 4]), ([2, 3], [2, 3]),
                      ([1, 1], [2, 3])])
    func broadcastAndReduce(_ from: [Int], _ to: [Int]) {
        let x = randomTensor(from, seed: 35)
        let padded = [Int](repeating: 1, count: to.count - from.count) + from
        // Naive broadcast copy.
        let xs = x.scalars
        let expected = Tensor(shape: to, data: (0 ..< Tensor.elementCount(to)).map { f in
            let idx = unravel(f, to)
            return xs[ravel((0 ..< to.count).map { padded[$0] == 1 ? 0 : idx[$0] }, padded)]
        })
        expectEqual(x.broadcasted(to: to), expected, "broadcasted \(from) → \(to)")
        // Naive sum back to `from`.
        let g = randomTensor(to, seed: 36)
        var sums = [Double](repeating: 0, count: x.count)
        let gs = g.scalars
        for f in 0 ..< g.count {
            let idx = unravel(f, to)
            sums[ravel((0 ..< to.count).map { padded[$0] == 1 ? 0 : idx[$0] }, padded)] += Double(gs[f])
        }
        expectClose(CPU.reduceToShape(g, from), tensor(from, sums), atol: 1e-5, "reduceToShape \(to) → \(from)")
    }

    @Test("where(condition, a, b) broadcasts all three")
    func whereSelect() {
        let c = Tensor(shape: [2, 1, 4], data: [1, 0, 0, 1, 0, 1, 1, 0])
        let a = randomTensor([3, 4], seed: 37), b = Tensor(-7)
        let y = Tensor.where(c, a, b)
        #expect(y.shape == [2, 3, 4])
        let cs = c.scalars, asv = a.scalars
        let expected = Tensor(shape: [2, 3, 4], data: (0 ..< 24).map { f in
            let i = unravel(f, [2, 3, 4])
            return cs[i[0] * 4 + i[2]] != 0 ? asv[i[1] * 4 + i[2]] : -7
        })
        expectEqual(y, expected, "where")
    }

    @Test("+= accumulates in place and broadcasts when shapes differ")
    func plusEquals() {
        let a0 = randomTensor([3, 4], seed: 38), b = randomTensor([3, 4], seed: 39), row = randomTensor([4], seed: 40)
        var a = a0
        a += b
        expectClose(a, naiveBroadcast(a0, b, +), atol: 1e-6, "+= same shape")
        #expect(a0.scalars != a.scalars && !a.sharesStorage(with: a0), "the original is untouched")
        var c = a0
        c += row
        expectClose(c, naiveBroadcast(a0, row, +), atol: 1e-6, "+= row")
    }
}
