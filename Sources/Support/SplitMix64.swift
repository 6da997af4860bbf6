// The one seeded 64-bit generator every Foundation-only module shares: SplitMix64 (Steele, Lea &
// Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014). It is tiny, passes BigCrush
// and gives the same numbers on every platform and Swift version, unlike `SystemRandomNumberGenerator`
// or the standard library's unspecified `random(in:)` algorithms. TensorCore seeds xoshiro256** with
// it, CreditBench draws its tasks from it, data order and bootstrap resampling use it directly.

/// SplitMix64: a Weyl sequence (`state += γ`) passed through a 64-bit finaliser. `Codable` as
/// `{"state": …}`, so a saved stream resumes exactly.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The golden-ratio increment γ = ⌊2⁶⁴/φ⌋ (odd), the step of the Weyl sequence.
    public static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The position in the Weyl sequence; the next output is `mix(state + golden)`.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The finaliser (a variant of MurmurHash3's fmix64 with Stafford's "Mix13" constants): a
    /// bijection of 64-bit words whose outputs look independent for neighbouring inputs. Also
    /// usable alone as a seeded hash.
    @inline(__always)
    public static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= Self.golden
        return Self.mix(state)
    }
}
