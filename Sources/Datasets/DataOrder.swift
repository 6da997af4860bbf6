// Seeded data order: per-epoch shuffles and the train/eval split. Support's SplitMix64 (Steele et
// al. 2014) keeps this target free of TensorCore; the same seed gives the same order on every platform.
import Support

public enum DataOrder {
    /// A permutation of 0..<count for one epoch: a pure function of (seed, epoch), so a resumed run
    /// rebuilds exactly the order it was interrupted in.
    public static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var g = SplitMix64(seed: seed ^ (0xD1B5_4A32_D192_ED03 &* UInt64(epoch + 1)))
        var p = Array(0 ..< count)
        // Fisher–Yates with our own bounded draws (not `shuffle(using:)`, whose algorithm may change).
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = Int(g.next() % UInt64(i + 1))
                p.swapAt(i, j)
            }
        }
        return p
    }

    /// Splits indices 0..<count into train and eval by a seeded shuffle; `evalFraction` of the rows
    /// (rounded, at least 1 when the fraction is positive and count > 1) go to eval.
    public static func split(count: Int, evalFraction: Double, seed: UInt64) -> (train: [Int], eval: [Int]) {
        precondition(evalFraction >= 0 && evalFraction < 1, "DataOrder.split: evalFraction \(evalFraction) must be in [0, 1)")
        guard evalFraction > 0, count > 1 else { return (Array(0 ..< count), []) }
        let nEval = min(count - 1, max(1, Int((Double(count) * evalFraction).rounded())))
        let p = permutation(count: count, seed: seed &+ 0x5EED, epoch: -1)
        return (p[nEval...].sorted(), p[..<nEval].sorted())
    }
}
