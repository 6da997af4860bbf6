// Seeded randomness. Every random choice in TokenAlign takes a `RandomGenerator` built from a seed,
// so the same seed gives the same numbers on every run and platform.
import Support
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// xoshiro256** (Blackman & Vigna 2018), seeded through SplitMix64. Value type: copying it forks
/// the stream, which makes "resume from checkpoint" a matter of saving `state`.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    public var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        state = (seeder.next(), seeder.next(), seeder.next(), seeder.next())
    }

    public static func == (a: RandomGenerator, b: RandomGenerator) -> Bool {
        a.state.0 == b.state.0 && a.state.1 == b.state.1 && a.state.2 == b.state.2 && a.state.3 == b.state.3
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = (state.3 << 45) | (state.3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller).
    public mutating func nextNormal() -> Float {
        var u1 = nextDouble()
        while u1 <= 0 { u1 = nextDouble() }
        let u2 = nextDouble()
        return Float((-2 * Foundation_log(u1)).squareRoot() * Foundation_cos(2 * Double.pi * u2))
    }

    /// An index drawn from unnormalised non-negative `weights`.
    public mutating func categorical(weights: UnsafeBufferPointer<Float>) -> Int {
        var total: Double = 0
        for w in weights { total += Double(w) }
        precondition(total > 0, "categorical: weights sum to \(total)")
        let u = nextDouble() * total
        var acc: Double = 0
        for (i, w) in weights.enumerated() {
            acc += Double(w)
            if u < acc { return i }
        }
        return weights.count - 1
    }
}

@inline(__always) func Foundation_log(_ x: Double) -> Double { log(x) }
@inline(__always) func Foundation_cos(_ x: Double) -> Double { cos(x) }

extension Tensor {
    /// Independent N(mean, std²) entries.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, std: Float = 1, using g: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let p = t.unsafeMutablePointer
        for i in 0 ..< t.count { p[i] = mean + std * g.nextNormal() }
        return t
    }

    /// Independent U[low, high) entries.
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1, using g: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let p = t.unsafeMutablePointer
        for i in 0 ..< t.count { p[i] = low + (high - low) * g.nextFloat() }
        return t
    }

    /// One sample per row from probabilities (last axis), returned as indices of shape self.shape.dropLast().
    public func sampleCategorical(using g: inout RandomGenerator) -> IndexTensor {
        let V = shape.last ?? 1
        let rows = count / Swift.max(V, 1)
        var out = [Int32](repeating: 0, count: rows)
        for r in 0 ..< rows {
            out[r] = Int32(g.categorical(weights: UnsafeBufferPointer(start: unsafePointer + r * V, count: V)))
        }
        return IndexTensor(shape: Array(shape.dropLast()), data: out)
    }
}
