// Majority voting (self-consistency, arXiv 2203.11171) and reward-weighted majority voting over the
// final answers of N samples.
//
// Ties: among answers with the same count (or the same summed weight), the one that appears first
// in sample order wins, and the chosen sample is that answer's first sample. Deterministic, and
// with N = 1 both votes return the only sample.

public enum Voting {
    /// The winning answer, the index of its first sample, and its share of the votes (count / N,
    /// or its weight / the total weight; 0 when the total weight is 0).
    public struct Outcome: Sendable, Equatable {
        public var answer: String
        public var sample: Int
        public var share: Double

        public init(answer: String, sample: Int, share: Double) {
            self.answer = answer
            self.sample = sample
            self.share = share
        }
    }

    /// Plain majority: every sample counts 1.
    public static func majority(_ answers: [String]) -> Outcome? {
        weighted(answers, weights: [Double](repeating: 1, count: answers.count))
    }

    /// Weighted majority: answer a scores Σ_{i: answer_i = a} w_i.
    public static func weighted(_ answers: [String], weights: [Double]) -> Outcome? {
        precondition(answers.count == weights.count, "Voting: \(answers.count) answers, \(weights.count) weights")
        guard !answers.isEmpty else { return nil }
        var order: [String] = [], first: [String: Int] = [:], total: [String: Double] = [:]
        for (i, a) in answers.enumerated() {
            if first[a] == nil { first[a] = i; order.append(a) }
            total[a, default: 0] += weights[i]
        }
        var best = order[0]
        for a in order.dropFirst() where total[a]! > total[best]! { best = a }
        let sum = weights.reduce(0, +)
        return Outcome(answer: best, sample: first[best]!, share: sum == 0 ? 0 : total[best]! / sum)
    }
}
