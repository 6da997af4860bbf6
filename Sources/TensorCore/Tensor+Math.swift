// Arithmetic, pointwise functions, reductions and softmax on `Tensor` values. These are the
// graph-free forward computations; `Autograd` wraps them with VJP rules.

extension Tensor {
    // MARK: Pointwise

    /// op(self) elementwise.
    public func applying(_ op: UnaryOp) -> Tensor {
        let y = Tensor(uninitializedShape: shape)
        CPU.unary(op, unsafePointer, y.unsafeMutablePointer, count)
        return y
    }

    public func exp() -> Tensor { applying(.exp) }
    public func log() -> Tensor { applying(.log) }
    public func sqrt() -> Tensor { applying(.sqrt) }
    public func rsqrt() -> Tensor { applying(.rsqrt) }
    public func tanh() -> Tensor { applying(.tanh) }
    public func sigmoid() -> Tensor { applying(.sigmoid) }
    public func relu() -> Tensor { applying(.relu) }
    /// GELU, tanh approximation (GPT-2's `gelu_new`).
    public func gelu() -> Tensor { applying(.gelu) }
    /// GELU with the exact erf form.
    public func geluErf() -> Tensor { applying(.geluErf) }
    public func silu() -> Tensor { applying(.silu) }
    public func softplus() -> Tensor { applying(.softplus) }
    public func abs() -> Tensor { applying(.abs) }
    public func squared() -> Tensor { applying(.square) }
    public func reciprocal() -> Tensor { applying(.reciprocal) }

    /// self^p elementwise.
    public func pow(_ p: Float) -> Tensor {
        let y = Tensor(uninitializedShape: shape)
        CPU.pow(unsafePointer, p, y.unsafeMutablePointer, count)
        return y
    }

    /// a·self + b.
    public func affine(scale a: Float, shift b: Float = 0) -> Tensor {
        let y = Tensor(uninitializedShape: shape)
        CPU.affine(unsafePointer, scale: a, shift: b, y.unsafeMutablePointer, count)
        return y
    }

    public func clamped(min lo: Float = -.infinity, max hi: Float = .infinity) -> Tensor {
        let y = Tensor(uninitializedShape: shape)
        CPU.clamp(unsafePointer, lo: lo, hi: hi, y.unsafeMutablePointer, count)
        return y
    }

    // MARK: Binary with broadcasting

    /// self ∘ other with NumPy broadcasting.
    public func binary(_ op: BinaryOp, _ other: Tensor) -> Tensor {
        guard let out = CPU.broadcastShape(shape, other.shape) else {
            preconditionFailure("\(op): shapes \(shape) and \(other.shape) do not broadcast")
        }
        let pat = CPU.pattern(a: shape, b: other.shape, out: out)
        let y = Tensor(uninitializedShape: out)
        if case .general = pat {
            let a = broadcasted(to: out), b = other.broadcasted(to: out)
            CPU.binary(op, .same, a.unsafePointer, b.unsafePointer, y.unsafeMutablePointer, y.count)
        } else {
            CPU.binary(op, pat, unsafePointer, other.unsafePointer, y.unsafeMutablePointer, y.count)
        }
        return y
    }

    /// A materialised copy broadcast to `target`.
    public func broadcasted(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(CPU.broadcastShape(shape, target) == target, "broadcasted: \(shape) to \(target)")
        let y = Tensor(uninitializedShape: target)
        CPU.broadcastCopy(unsafePointer, from: shape, to: target, y.unsafeMutablePointer)
        return y
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.binary(.add, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.binary(.sub, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.binary(.mul, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.binary(.div, b) }
    public static func + (a: Tensor, b: Float) -> Tensor { a.affine(scale: 1, shift: b) }
    public static func - (a: Tensor, b: Float) -> Tensor { a.affine(scale: 1, shift: -b) }
    public static func * (a: Tensor, b: Float) -> Tensor { a.affine(scale: b) }
    public static func / (a: Tensor, b: Float) -> Tensor { a.affine(scale: 1 / b) }
    public static func * (a: Float, b: Tensor) -> Tensor { b.affine(scale: a) }
    public static func + (a: Float, b: Tensor) -> Tensor { b.affine(scale: 1, shift: a) }
    public static func - (a: Float, b: Tensor) -> Tensor { b.affine(scale: -1, shift: a) }
    public static prefix func - (a: Tensor) -> Tensor { a.applying(.neg) }

    /// In place when `a` owns its storage; otherwise out of place (one pass cheaper than copying
    /// a shared buffer and then accumulating into the copy).
    public static func += (a: inout Tensor, b: Tensor) {
        if a.shape == b.shape && isKnownUniquelyReferenced(&a.storage) {
            CPU.accumulate(b.unsafePointer, into: a.unsafeMutablePointer, a.count)
        } else {
            a = a + b
        }
    }

    public func maximum(_ o: Tensor) -> Tensor { binary(.maximum, o) }
    public func minimum(_ o: Tensor) -> Tensor { binary(.minimum, o) }
    /// 1 where self > o, else 0.
    public func greater(_ o: Tensor) -> Tensor { binary(.greater, o) }
    public func greaterEqual(_ o: Tensor) -> Tensor { binary(.greaterEqual, o) }
    public func less(_ o: Tensor) -> Tensor { binary(.less, o) }
    public func lessEqual(_ o: Tensor) -> Tensor { binary(.lessEqual, o) }
    public func equal(_ o: Tensor) -> Tensor { binary(.equal, o) }
    public func notEqual(_ o: Tensor) -> Tensor { binary(.notEqual, o) }

    /// Elementwise select: `condition != 0 ? a : b` (all three broadcast together).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        guard let s1 = CPU.broadcastShape(condition.shape, a.shape), let out = CPU.broadcastShape(s1, b.shape) else {
            preconditionFailure("where: shapes \(condition.shape), \(a.shape), \(b.shape) do not broadcast")
        }
        let c = condition.broadcasted(to: out), x = a.broadcasted(to: out), z = b.broadcasted(to: out)
        let y = Tensor(uninitializedShape: out)
        let box = UnsafeSendableBox((c.unsafePointer, x.unsafePointer, z.unsafePointer, y.unsafeMutablePointer))
        Parallel.forRanges(y.count, grain: elementwiseGrain) { r in
            let (c, x, z, y) = box.value
            for i in r { y[i] = c[i] != 0 ? x[i] : z[i] }
        }
        return y
    }

    // MARK: Reductions

    /// Splits `shape` around `axis` into (outer, n, inner).
    public func reductionExtents(axis: Int) -> (outer: Int, n: Int, inner: Int) {
        let a = normalizedAxis(axis)
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        return (outer, shape[a], inner)
    }

    func reduced(_ op: ReduceOp, axis: Int, keepDims: Bool) -> Tensor {
        let a = normalizedAxis(axis)
        let (outer, n, inner) = reductionExtents(axis: a)
        var s = shape
        if keepDims { s[a] = 1 } else { s.remove(at: a) }
        let y = Tensor(uninitializedShape: s)
        CPU.reduce(op, unsafePointer, outer: outer, n: n, inner: inner, y.unsafeMutablePointer)
        return y
    }

    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { reduced(.sum, axis: axis, keepDims: keepDims) }
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        let n = shape[normalizedAxis(axis)]
        return reduced(.sum, axis: axis, keepDims: keepDims).affine(scale: 1 / Float(Swift.max(n, 1)))
    }
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { reduced(.max, axis: axis, keepDims: keepDims) }
    public func min(axis: Int, keepDims: Bool = false) -> Tensor { reduced(.min, axis: axis, keepDims: keepDims) }
    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor { reduced(.logSumExp, axis: axis, keepDims: keepDims) }

    /// Sum of all elements (rank-0 result), accumulated in Double for accuracy.
    public func sum() -> Tensor {
        let s: Double = withUnsafeBufferPointer { p in
            var acc = 0.0
            var i = 0
            let n = p.count
            while i < n {
                let e = Swift.min(n, i + 4096)
                var part: Float = 0
                for j in i ..< e { part += p[j] }
                acc += Double(part)
                i = e
            }
            return acc
        }
        return Tensor(Float(s))
    }

    public func mean() -> Tensor { Tensor(sum().scalar / Float(Swift.max(count, 1))) }
    public func max() -> Tensor { reshaped([1, count]).max(axis: 1).reshaped([]) }
    public func min() -> Tensor { reshaped([1, count]).min(axis: 1).reshaped([]) }

    // MARK: Softmax family (last axis)

    public func softmax() -> Tensor {
        let V = shape.last ?? 1
        let y = Tensor(uninitializedShape: shape)
        CPU.softmax(unsafePointer, y.unsafeMutablePointer, R: count / Swift.max(V, 1), V: V)
        return y
    }

    public func logSoftmax() -> Tensor {
        let V = shape.last ?? 1
        let y = Tensor(uninitializedShape: shape)
        CPU.logSoftmax(unsafePointer, y.unsafeMutablePointer, R: count / Swift.max(V, 1), V: V)
        return y
    }

    /// Inclusive cumulative sum along `axis`.
    public func cumulativeSum(axis: Int) -> Tensor {
        let (outer, n, inner) = reductionExtents(axis: axis)
        let y = Tensor(uninitializedShape: shape)
        let x = unsafePointer, out = y.unsafeMutablePointer
        for o in 0 ..< outer {
            let base = o * n * inner
            for i in 0 ..< inner { out[base + i] = x[base + i] }
            for j in 1 ..< Swift.max(n, 1) {
                let cur = base + j * inner, prev = cur - inner
                for i in 0 ..< inner { out[cur + i] = out[prev + i] + x[cur + i] }
            }
        }
        return y
    }

    /// Reverse (right-to-left) inclusive cumulative sum along `axis`: the VJP of `cumulativeSum`.
    public func reverseCumulativeSum(axis: Int) -> Tensor {
        let (outer, n, inner) = reductionExtents(axis: axis)
        let y = Tensor(uninitializedShape: shape)
        let x = unsafePointer, out = y.unsafeMutablePointer
        for o in 0 ..< outer where n > 0 {
            let base = o * n * inner
            let last = base + (n - 1) * inner
            for i in 0 ..< inner { out[last + i] = x[last + i] }
            for j in stride(from: n - 2, through: 0, by: -1) {
                let cur = base + j * inner, next = cur + inner
                for i in 0 ..< inner { out[cur + i] = out[next + i] + x[cur + i] }
            }
        }
        return y
    }

    /// Maximum absolute difference to `other` (same shape).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "maxAbsDifference: \(shape) vs \(other.shape)")
        var m: Float = 0
        let a = unsafePointer, b = other.unsafePointer
        for i in 0 ..< count {
            let d = Swift.abs(a[i] - b[i])
            if d > m || d.isNaN { m = d.isNaN ? .infinity : d }
        }
        return m
    }
}
