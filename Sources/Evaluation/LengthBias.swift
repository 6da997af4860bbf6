// Length-correlation analysis of a reward model ("A Long Way to Go", Singhal et al., arXiv
// 2310.03716): how much the reward follows the response's length. Spearman's ρ between reward and
// length over every scored response, how often the chosen response is the longer one, and the pair
// accuracy split by whether the chosen response is longer or shorter; the length-balanced accuracy
// is the mean of those two accuracies, so a reward model that just prefers longer answers scores
// 0.5 on it whatever the data's length mix.

public struct LengthBias: Sendable, Equatable, Codable {
    /// Spearman ρ(reward, length) over all responses (nil when either is constant).
    public var spearman: Double?
    /// Fraction of pairs whose chosen response is longer.
    public var chosenLonger: Double
    /// Accuracy on pairs whose chosen response is longer / shorter / as long (nil when none).
    public var accuracyChosenLonger: Double?
    public var accuracyChosenShorter: Double?
    public var accuracyEqual: Double?
    /// Mean of the longer and shorter accuracies (nil unless both exist).
    public var balancedAccuracy: Double?
    public var pairsChosenLonger: Int
    public var pairsChosenShorter: Int

    /// - Parameters: per pair, the lengths and scores of the chosen and rejected response, and
    ///   whether the pair was ranked right.
    public init(chosenLength: [Int], rejectedLength: [Int], chosenScore: [Double], rejectedScore: [Double], correct: [Bool]) {
        let n = correct.count
        precondition(chosenLength.count == n && rejectedLength.count == n && chosenScore.count == n && rejectedScore.count == n,
                     "LengthBias: every per-pair array needs \(n) entries")
        spearman = RankCorrelation.spearman((chosenLength + rejectedLength).map(Double.init), chosenScore + rejectedScore)
        var longer: [Bool] = [], shorter: [Bool] = [], equal: [Bool] = []
        for i in 0 ..< n {
            if chosenLength[i] > rejectedLength[i] { longer.append(correct[i]) }
            else if chosenLength[i] < rejectedLength[i] { shorter.append(correct[i]) }
            else { equal.append(correct[i]) }
        }
        func acc(_ xs: [Bool]) -> Double? { xs.isEmpty ? nil : Double(xs.filter { $0 }.count) / Double(xs.count) }
        chosenLonger = n == 0 ? 0 : Double(longer.count) / Double(n)
        accuracyChosenLonger = acc(longer)
        accuracyChosenShorter = acc(shorter)
        accuracyEqual = acc(equal)
        if let a = accuracyChosenLonger, let b = accuracyChosenShorter { balancedAccuracy = (a + b) / 2 } else { balancedAccuracy = nil }
        pairsChosenLonger = longer.count
        pairsChosenShorter = shorter.count
    }
}
