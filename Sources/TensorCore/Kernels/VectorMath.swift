// Vectorised transcendental functions on SIMD16<Float> (Cephes-style range reduction and minimax
// polynomials). libm's expf/tanhf are scalar calls; these keep softmax, GELU, SiLU and sigmoid
// loops in vector registers. Accuracy: exp within ~2 ulp over the float range, tanh within ~3 ulp.
public typealias Vec = SIMD16<Float>

@usableFromInline let vecWidth = 16

public enum VMath {
    /// e^x for x in [−87.3, 88.72] (ln of the largest Float); inputs outside are clamped, so results
    /// saturate at ~1.2e-38 below and ~3.4e38 above. Within range: relative error < 4e-7.
    /// n = ⌊x·log₂e⌋ is found with the 1.5·2²³ rounding trick (on x·log₂e − ½) and 2ⁿ is assembled from
    /// exponent bits, so the whole function is plain vector arithmetic (generic SIMD conversions
    /// such as `rounded` or `SIMD16<Int32>(_:)` are per-lane calls and ~20× slower). Flooring keeps
    /// n ≤ 127 up to ln FLT_MAX, so the exponent bits never encode infinity; the reduced argument
    /// lies in [0, ln 2), where the Cephes polynomial is accurate to 2.8e-7.
    @_transparent
    public static func exp(_ x0: Vec) -> Vec {
        let x1 = x0.replacing(with: -87.3, where: x0 .< -87.3)
        var x = x1.replacing(with: 88.722, where: x1 .> 88.722)
        let r = (x * 1.44269504088896341 - 0.5) + 12582912.0
        let n = r - 12582912.0
        let bits = unsafeBitCast(r, to: SIMD16<UInt32>.self) &- 0x4B40_0000
        x = x - n * 0.693359375
        x = x - n * -2.12194440e-4
        let z = x * x
        var y: Vec = Vec(repeating: 1.9875691500e-4)
        y = y * x + 1.3981999507e-3
        y = y * x + 8.3334519073e-3
        y = y * x + 4.1665795894e-2
        y = y * x + 1.6666665459e-1
        y = y * x + 5.0000001201e-1
        y = y * z + x + 1
        return y * unsafeBitCast((bits &+ 127) &* 8_388_608, to: Vec.self)
    }

    /// tanh(x): odd polynomial near zero (no cancellation), 1 - 2/(e^{2|x|}+1) elsewhere.
    @_transparent
    public static func tanh(_ x: Vec) -> Vec {
        let ax = vabs(x)
        // Small |x|: x + x^3 P(x^2)
        let z = x * x
        var p: Vec = Vec(repeating: -5.70498872745e-3)
        p = p * z + 2.06390887954e-2
        p = p * z - 5.37397155531e-2
        p = p * z + 1.33314422036e-1
        p = p * z - 3.33332819422e-1
        let small = p * z * x + x
        // Large |x|
        let e = exp(ax + ax)
        var large = 1 - 2 / (e + 1)
        large = large.replacing(with: -large, where: x .< 0)
        return small.replacing(with: large, where: ax .>= 0.625)
    }

    /// 1 / (1 + e^{-x}), stable for large |x|.
    @_transparent
    public static func sigmoid(_ x: Vec) -> Vec {
        1 / (1 + exp(-x))
    }

    /// log(1 + e^x), stable: max(x,0) + log1p(e^{-|x|}) (log1p computed in scalar for accuracy).
    @inlinable @inline(__always)
    public static func softplus(_ x: Vec) -> Vec {
        let e = exp(-vabs(x))
        var out = Vec()
        for i in 0 ..< vecWidth { out[i] = Swift.max(x[i], 0) + Float.log1pApprox(e[i]) }
        return out
    }

    /// |x| lane-wise.
    @inlinable @inline(__always)
    public static func vabs(_ x: Vec) -> Vec { x.replacing(with: -x, where: x .< 0) }

    /// Loads `n ≤ 16` floats (zero-padded).
    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Float>, _ n: Int) -> Vec {
        if n == vecWidth { return UnsafeRawPointer(p).loadUnaligned(as: Vec.self) }
        var v = Vec()
        for i in 0 ..< n { v[i] = p[i] }
        return v
    }

    /// Stores the first `n ≤ 16` lanes.
    @inlinable @inline(__always)
    public static func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
        if n == vecWidth { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self); return }
        for i in 0 ..< n { p[i] = v[i] }
    }
}

extension Float {
    /// log(1+x) for x in [0, 1], accurate for small x.
    @inlinable @inline(__always)
    static func log1pApprox(_ x: Float) -> Float {
        let u = 1 + x
        if u == 1 { return x }
        return Float(_logf(u)) * x / (u - 1)
    }
}

#if canImport(Glibc)
import Glibc
@inlinable @inline(__always) func _logf(_ x: Float) -> Float { Glibc.logf(x) }
#elseif canImport(Darwin)
import Darwin
@inlinable @inline(__always) func _logf(_ x: Float) -> Float { Darwin.logf(x) }
#endif
