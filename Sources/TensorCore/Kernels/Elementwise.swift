// Elementwise kernels on raw buffers. Legend: n = element count.
// Each kernel is split over the cores in contiguous chunks; the inner loops are SIMD16 or plain
// loops the compiler vectorises. Kernels are specialised through the `VecUnary` protocol (static
// dispatch), not closures.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pointwise functions of one tensor. Each has a matching derivative in `CPU.unaryBackward`.
public enum UnaryOp: String, Sendable, CaseIterable {
    case neg, exp, log, sqrt, rsqrt, tanh, sigmoid, relu, gelu, geluErf, silu, softplus, abs, square, reciprocal
}

@usableFromInline protocol VecUnary { static func apply(_ v: Vec) -> Vec }

@usableFromInline enum NegK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { -v } }
@usableFromInline enum ExpK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { VMath.exp(v) } }
@usableFromInline enum SqrtK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { v.squareRoot() } }
@usableFromInline enum RsqrtK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { 1 / v.squareRoot() } }
@usableFromInline enum TanhK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { VMath.tanh(v) } }
@usableFromInline enum SigmoidK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { VMath.sigmoid(v) } }
@usableFromInline enum ReluK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { v.replacing(with: 0, where: v .< 0) } }
@usableFromInline enum GeluK: VecUnary {
    /// 0.5·x·(1 + tanh(u)) = x·σ(2u) with u = √(2/π)(x + 0.044715x³): one exp and one division, no
    /// polynomial branch (2× faster than the tanh form, and no cancellation near zero).
    @inline(__always) @usableFromInline static func apply(_ x: Vec) -> Vec {
        let minus2u = -1.5957691216057308 * (x + 0.044715 * x * x * x)
        return x / (1 + VMath.exp(minus2u))
    }
}
@usableFromInline enum SiluK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { v * VMath.sigmoid(v) } }
@usableFromInline enum SoftplusK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { VMath.softplus(v) } }
@usableFromInline enum AbsK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { VMath.vabs(v) } }
@usableFromInline enum SquareK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { v * v } }
@usableFromInline enum RecipK: VecUnary { @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec { 1 / v } }
@usableFromInline enum LogK: VecUnary {
    @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec {
        var o = Vec()
        for i in 0 ..< vecWidth { o[i] = logf(v[i]) }
        return o
    }
}
@usableFromInline enum GeluErfK: VecUnary {
    @inline(__always) @usableFromInline static func apply(_ v: Vec) -> Vec {
        var o = Vec()
        for i in 0 ..< vecWidth { o[i] = 0.5 * v[i] * (1 + erff(v[i] * 0.7071067811865476)) }
        return o
    }
}

/// Minimum elements per thread for cheap elementwise loops.
@usableFromInline let elementwiseGrain = 1 << 15

public enum CPU {
    @inline(__always)
    static func mapChunk<K: VecUnary>(_: K.Type, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i < n {
            let m = min(vecWidth, n - i)
            VMath.store(K.apply(VMath.load(x + i, m)), y + i, m)
            i += vecWidth
        }
    }

    static func map<K: VecUnary>(_ k: K.Type, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let box = UnsafeSendableBox((x, y))
        Parallel.forRanges(n, grain: elementwiseGrain) { r in
            let (x, y) = box.value
            mapChunk(k, x + r.lowerBound, y + r.lowerBound, r.count)
        }
    }

    /// y = op(x) over n elements.
    public static func unary(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch op {
        case .neg: map(NegK.self, x, y, n)
        case .exp: map(ExpK.self, x, y, n)
        case .log: map(LogK.self, x, y, n)
        case .sqrt: map(SqrtK.self, x, y, n)
        case .rsqrt: map(RsqrtK.self, x, y, n)
        case .tanh: map(TanhK.self, x, y, n)
        case .sigmoid: map(SigmoidK.self, x, y, n)
        case .relu: map(ReluK.self, x, y, n)
        case .gelu: map(GeluK.self, x, y, n)
        case .geluErf: map(GeluErfK.self, x, y, n)
        case .silu: map(SiluK.self, x, y, n)
        case .softplus: map(SoftplusK.self, x, y, n)
        case .abs: map(AbsK.self, x, y, n)
        case .square: map(SquareK.self, x, y, n)
        case .reciprocal: map(RecipK.self, x, y, n)
        }
    }

    /// gx = gy · op'(x), given the forward input x and output y (whichever is cheaper is used).
    public static func unaryBackward(
        _ op: UnaryOp, x: UnsafePointer<Float>, y: UnsafePointer<Float>, gy: UnsafePointer<Float>,
        gx: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        let box = UnsafeSendableBox((x, y, gy, gx))
        Parallel.forRanges(n, grain: elementwiseGrain / 2) { r in
            let (x0, y0, gy0, gx0) = box.value
            let lo = r.lowerBound
            let x = x0 + lo, y = y0 + lo, gy = gy0 + lo, gx = gx0 + lo
            let m = r.count
            switch op {
            case .neg: for i in 0 ..< m { gx[i] = -gy[i] }
            case .exp: for i in 0 ..< m { gx[i] = gy[i] * y[i] }
            case .log: for i in 0 ..< m { gx[i] = gy[i] / x[i] }
            case .sqrt: for i in 0 ..< m { gx[i] = gy[i] * 0.5 / y[i] }
            case .rsqrt: for i in 0 ..< m { gx[i] = gy[i] * -0.5 * y[i] * y[i] * y[i] }
            case .tanh: for i in 0 ..< m { gx[i] = gy[i] * (1 - y[i] * y[i]) }
            case .sigmoid: for i in 0 ..< m { gx[i] = gy[i] * y[i] * (1 - y[i]) }
            case .relu: for i in 0 ..< m { gx[i] = x[i] > 0 ? gy[i] : 0 }
            case .gelu:
                // y = x·s, s = σ(2u): dy/dx = s + 2x·s(1−s)·du/dx, du/dx = √(2/π)(1 + 3·0.044715x²).
                var i = 0
                while i < m {
                    let w = min(vecWidth, m - i)
                    let xv = VMath.load(x + i, w)
                    let s = 1 / (1 + VMath.exp(-1.5957691216057308 * (xv + 0.044715 * xv * xv * xv)))
                    let du = 0.7978845608028654 * (1 + 3 * 0.044715 * xv * xv)
                    let d = s + 2 * xv * s * (1 - s) * du
                    VMath.store(d * VMath.load(gy + i, w), gx + i, w)
                    i += vecWidth
                }
            case .geluErf:
                for i in 0 ..< m {
                    let v = x[i]
                    let cdf = 0.5 * (1 + erff(v * 0.7071067811865476))
                    let pdf = expf(-0.5 * v * v) * 0.3989422804014327
                    gx[i] = gy[i] * (cdf + v * pdf)
                }
            case .silu:
                var i = 0
                while i < m {
                    let w = min(vecWidth, m - i)
                    let xv = VMath.load(x + i, w)
                    let s = VMath.sigmoid(xv)
                    VMath.store(VMath.load(gy + i, w) * s * (1 + xv * (1 - s)), gx + i, w)
                    i += vecWidth
                }
            case .softplus:
                var i = 0
                while i < m {
                    let w = min(vecWidth, m - i)
                    VMath.store(VMath.load(gy + i, w) * VMath.sigmoid(VMath.load(x + i, w)), gx + i, w)
                    i += vecWidth
                }
            case .abs: for i in 0 ..< m { gx[i] = x[i] > 0 ? gy[i] : (x[i] < 0 ? -gy[i] : 0) }
            case .square: for i in 0 ..< m { gx[i] = 2 * x[i] * gy[i] }
            case .reciprocal: for i in 0 ..< m { gx[i] = -gy[i] * y[i] * y[i] }
            }
        }
    }

    /// y = x^p elementwise.
    public static func pow(_ x: UnsafePointer<Float>, _ p: Float, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let box = UnsafeSendableBox((x, y))
        Parallel.forRanges(n, grain: elementwiseGrain) { r in
            let (x, y) = box.value
            if p == 2 { for i in r { y[i] = x[i] * x[i] } } else { for i in r { y[i] = powf(x[i], p) } }
        }
    }

    /// y = a·x + b elementwise (scale and shift by scalars).
    public static func affine(_ x: UnsafePointer<Float>, scale a: Float, shift b: Float, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let box = UnsafeSendableBox((x, y))
        Parallel.forRanges(n, grain: elementwiseGrain) { r in
            let (x, y) = box.value
            for i in r { y[i] = a * x[i] + b }
        }
    }

    /// y = min(max(x, lo), hi).
    public static func clamp(_ x: UnsafePointer<Float>, lo: Float, hi: Float, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let box = UnsafeSendableBox((x, y))
        Parallel.forRanges(n, grain: elementwiseGrain) { r in
            let (x, y) = box.value
            for i in r { y[i] = Swift.min(Swift.max(x[i], lo), hi) }
        }
    }

    /// y += a·x (axpy without BLAS: keeps gradient accumulation on our threads).
    public static func accumulate(_ x: UnsafePointer<Float>, scale a: Float = 1, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        let box = UnsafeSendableBox((x, y))
        Parallel.forRanges(n, grain: elementwiseGrain) { r in
            let (x, y) = box.value
            if a == 1 { for i in r { y[i] += x[i] } } else { for i in r { y[i] += a * x[i] } }
        }
    }
}
