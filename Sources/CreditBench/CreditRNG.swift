// A small seeded random number generator for CreditBench.
//
// CreditBench must not import TensorCore (docs/design/README.md: it sits beside Datasets, above Tokenizers
// only), so it draws from Support's SplitMix64 (Steele, Lea & Flood 2014), the same mixer that
// seeds xoshiro. It gives the same numbers on every platform and Swift version, unlike
// `SystemRandomNumberGenerator` or the standard library's `Int.random(in:)` algorithms, whose exact
// draws are not specified. That is why every draw below goes through our own `int(in:)` rather
// than `Int.random(in:using:)`.
import Support

/// A SplitMix64 stream per (seed, stream) with the draws the tasks need. Example `i` of a data set
/// uses stream `i`, so an example does not change when more examples are requested.
public struct CreditRNG: RandomNumberGenerator, Sendable {
    private var base: SplitMix64

    /// The generator's position (SplitMix64's Weyl state).
    public var state: UInt64 { base.state }

    /// A generator for `seed`; `stream` selects an independent sequence (e.g. the example index).
    public init(seed: UInt64, stream: UInt64 = 0) {
        // Mix the stream in through one SplitMix step so neighbouring streams are uncorrelated.
        base = SplitMix64(seed: SplitMix64.mix((seed ^ SplitMix64.golden) &+ stream &* 0xBF58_476D_1CE4_E5B9))
    }

    public mutating func next() -> UInt64 { base.next() }

    /// A uniform integer in `range` (Lemire's multiply-shift; the tiny bias is irrelevant here and
    /// the result is reproducible everywhere).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) &+ 1
        if span == 0 { return Int(bitPattern: UInt(next())) }  // the full 64-bit range
        let r = next().multipliedFullWidth(by: span).high
        return range.lowerBound + Int(r)
    }

    /// A uniform integer in `range` (must not be empty).
    public mutating func int(in range: Range<Int>) -> Int {
        precondition(!range.isEmpty, "CreditRNG.int(in:): empty range \(range)")
        return int(in: range.lowerBound ... range.upperBound - 1)
    }

    /// A uniform number in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A uniformly chosen element (the collection must not be empty).
    public mutating func pick<C: Collection>(_ c: C) -> C.Element where C.Index == Int {
        c[c.startIndex + int(in: 0 ..< c.count)]
    }

    /// Index drawn with probability proportional to `weights` (all ≥ 0, some > 0).
    public mutating func weighted(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var x = unit() * total
        for (i, w) in weights.enumerated() {
            if x < w { return i }
            x -= w
        }
        return weights.count - 1
    }

    /// Fisher–Yates shuffle with our own draws (reproducible across platforms).
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, int(in: 0 ... i))
        }
    }
}
