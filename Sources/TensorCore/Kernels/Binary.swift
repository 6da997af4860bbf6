// Binary elementwise kernels with NumPy broadcasting. Fast paths cover the shapes models use
// (same shape, scalar, a trailing-axes operand such as a bias, a per-row column such as [B,T,1]);
// anything else is first materialised by `broadcastCopy` and then runs the same-shape loop.

public enum BinaryOp: String, Sendable, CaseIterable {
    case add, sub, mul, div, maximum, minimum
    case greater, greaterEqual, less, lessEqual, equal, notEqual
}

@usableFromInline protocol BinaryKernel { static func apply(_ a: Float, _ b: Float) -> Float }
@usableFromInline enum AddB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
@usableFromInline enum SubB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
@usableFromInline enum MulB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
@usableFromInline enum DivB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
@usableFromInline enum MaxB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a >= b ? a : b } }
@usableFromInline enum MinB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a <= b ? a : b } }
@usableFromInline enum GtB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a > b ? 1 : 0 } }
@usableFromInline enum GeB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 } }
@usableFromInline enum LtB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a < b ? 1 : 0 } }
@usableFromInline enum LeB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 } }
@usableFromInline enum EqB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }
@usableFromInline enum NeB: BinaryKernel { @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a != b ? 1 : 0 } }

/// How operand shapes relate to the output; decides the loop.
enum BroadcastPattern {
    case same                 // a, b, out identical
    case bScalar, aScalar
    case bRow(inner: Int)     // b repeats every `inner` elements (trailing axes)
    case aRow(inner: Int)
    case bColumn(inner: Int)  // b holds one value per run of `inner` elements (shape [..., 1])
    case aColumn(inner: Int)
    case general
}

extension CPU {
    /// The broadcast shape of two shapes (NumPy rules), or nil if incompatible.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0 ..< r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    static func stripLeadingOnes(_ s: [Int]) -> [Int] {
        var s = s
        while let f = s.first, f == 1, s.count > 0 { s.removeFirst() }
        return s
    }

    static func pattern(a: [Int], b: [Int], out: [Int]) -> BroadcastPattern {
        let na = Tensor.elementCount(a), nb = Tensor.elementCount(b)
        if a == b { return .same }
        if nb == 1 && na == Tensor.elementCount(out) { return .bScalar }
        if na == 1 && nb == Tensor.elementCount(out) { return .aScalar }
        let sa = stripLeadingOnes(a), sb = stripLeadingOnes(b), so = stripLeadingOnes(out)
        if sa == so, so.count >= sb.count, Array(so.suffix(sb.count)) == sb { return .bRow(inner: nb) }
        if sb == so, so.count >= sa.count, Array(so.suffix(sa.count)) == sa { return .aRow(inner: na) }
        if sa == so, sb.count == so.count, let last = sb.last, last == 1, Array(sb.dropLast()) == Array(so.dropLast()) {
            return .bColumn(inner: so.last!)
        }
        if sb == so, sa.count == so.count, let last = sa.last, last == 1, Array(sa.dropLast()) == Array(so.dropLast()) {
            return .aColumn(inner: so.last!)
        }
        return .general
    }

    static func run<K: BinaryKernel>(
        _: K.Type, _ pat: BroadcastPattern, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ y: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        let box = UnsafeSendableBox((a, b, y))
        switch pat {
        case .same:
            Parallel.forRanges(n, grain: elementwiseGrain) { r in
                let (a, b, y) = box.value
                for i in r { y[i] = K.apply(a[i], b[i]) }
            }
        case .bScalar:
            let s = b[0]
            Parallel.forRanges(n, grain: elementwiseGrain) { r in
                let (a, _, y) = box.value
                for i in r { y[i] = K.apply(a[i], s) }
            }
        case .aScalar:
            let s = a[0]
            Parallel.forRanges(n, grain: elementwiseGrain) { r in
                let (_, b, y) = box.value
                for i in r { y[i] = K.apply(s, b[i]) }
            }
        case .bRow(let inner), .aRow(let inner):
            let bIsRow: Bool = { if case .bRow = pat { return true } else { return false } }()
            Parallel.forEachRow(n / max(inner, 1), width: inner, grain: elementwiseGrain) { row in
                let o = row * inner
                if bIsRow {
                    for j in 0 ..< inner { y[o + j] = K.apply(a[o + j], b[j]) }
                } else {
                    for j in 0 ..< inner { y[o + j] = K.apply(a[j], b[o + j]) }
                }
            }
        case .bColumn(let inner), .aColumn(let inner):
            let bIsCol: Bool = { if case .bColumn = pat { return true } else { return false } }()
            Parallel.forEachRow(n / max(inner, 1), width: inner, grain: elementwiseGrain) { row in
                let o = row * inner
                if bIsCol {
                    let s = b[row]
                    for j in 0 ..< inner { y[o + j] = K.apply(a[o + j], s) }
                } else {
                    let s = a[row]
                    for j in 0 ..< inner { y[o + j] = K.apply(s, b[o + j]) }
                }
            }
        case .general:
            preconditionFailure("general broadcast must be materialised before run")
        }
    }

    /// y = a ∘ b for operands already classified by `pattern`.
    static func binary(_ op: BinaryOp, _ pat: BroadcastPattern, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                       _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch op {
        case .add: run(AddB.self, pat, a, b, y, n)
        case .sub: run(SubB.self, pat, a, b, y, n)
        case .mul: run(MulB.self, pat, a, b, y, n)
        case .div: run(DivB.self, pat, a, b, y, n)
        case .maximum: run(MaxB.self, pat, a, b, y, n)
        case .minimum: run(MinB.self, pat, a, b, y, n)
        case .greater: run(GtB.self, pat, a, b, y, n)
        case .greaterEqual: run(GeB.self, pat, a, b, y, n)
        case .less: run(LtB.self, pat, a, b, y, n)
        case .lessEqual: run(LeB.self, pat, a, b, y, n)
        case .equal: run(EqB.self, pat, a, b, y, n)
        case .notEqual: run(NeB.self, pat, a, b, y, n)
        }
    }

    /// Copies `x` (shape `from`) broadcast to shape `to` into `y`.
    public static func broadcastCopy(_ x: UnsafePointer<Float>, from: [Int], to: [Int], _ y: UnsafeMutablePointer<Float>) {
        let r = to.count
        let padded = [Int](repeating: 1, count: r - from.count) + from
        // Source strides, zero along broadcast axes.
        var strides = [Int](repeating: 0, count: r)
        var s = 1
        for i in stride(from: r - 1, through: 0, by: -1) {
            strides[i] = padded[i] == 1 ? 0 : s
            s *= padded[i]
        }
        let n = Tensor.elementCount(to)
        if n == 0 { return }
        let inner = r > 0 ? to[r - 1] : 1
        let innerStride = r > 0 ? strides[r - 1] : 0
        let outerCount = n / max(inner, 1)
        var idx = [Int](repeating: 0, count: max(r - 1, 0))
        var o = 0
        for _ in 0 ..< outerCount {
            var src = 0
            for i in 0 ..< idx.count { src += idx[i] * strides[i] }
            if innerStride == 0 {
                let v = x[src]
                for j in 0 ..< inner { y[o + j] = v }
            } else {
                for j in 0 ..< inner { y[o + j] = x[src + j] }
            }
            o += inner
            var k = idx.count - 1
            while k >= 0 {
                idx[k] += 1
                if idx[k] < to[k] { break }
                idx[k] = 0
                k -= 1
            }
        }
    }

    /// Sums `g` (shape `from`) down to shape `to` (the inverse of broadcasting); used by VJPs.
    public static func reduceToShape(_ g: Tensor, _ to: [Int]) -> Tensor {
        if g.shape == to { return g }
        let n = Tensor.elementCount(to)
        if n == 1 { return Tensor(shape: to, data: [g.sum().scalar]) }
        let r = g.rank
        let padded = [Int](repeating: 1, count: r - to.count) + to
        // Fast path: `to` equals the trailing axes (bias gradients): sum rows.
        let so = stripLeadingOnes(padded)
        if Array(g.shape.suffix(so.count)) == so, padded.prefix(r - so.count).allSatisfy({ $0 == 1 }) {
            let inner = Tensor.elementCount(so)
            return g.reshaped([g.count / inner, inner]).sum(axis: 0).reshaped(to)
        }
        // General: sum each broadcast axis in turn.
        var t = g
        for i in 0 ..< r where padded[i] == 1 && g.shape[i] != 1 {
            t = t.sum(axis: i, keepDims: true)
        }
        return t.reshaped(to)
    }
}
