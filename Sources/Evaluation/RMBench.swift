// RM-Bench's style-by-difficulty accuracy (Liu et al., arXiv 2410.16184; THU-KEG/RM-Bench, README
// `compute_accuracy`). Each prompt has k chosen and k rejected responses in styles of rising
// "fanciness" (concise, detailed plain, detailed markdown for k = 3). Cell (i, j) of the k×k matrix
// is the fraction of prompts where chosen style i scores strictly above rejected style j. Hard is
// the mean of the strict upper triangle (the chosen answer is plainer than the rejected one),
// normal the diagonal, easy the strict lower triangle.

public enum RMBench {
    public struct Result: Sendable, Equatable, Codable {
        /// Row i = chosen style i, column j = rejected style j.
        public var matrix: [[Double]]
        public var hard: Double
        public var normal: Double
        public var easy: Double
        public var prompts: Int
        /// Mean of all k² cells (= (hard + normal + easy)/3 for k = 3).
        public var average: Double
    }

    /// - Precondition: every prompt has the same number k ≥ 2 of chosen and rejected scores.
    public static func score(chosen: [[Double]], rejected: [[Double]]) -> Result {
        precondition(chosen.count == rejected.count && !chosen.isEmpty, "RMBench.score: \(chosen.count) chosen rows for \(rejected.count) rejected rows")
        let k = chosen[0].count
        precondition(k >= 2 && chosen.allSatisfy { $0.count == k } && rejected.allSatisfy { $0.count == k },
                     "RMBench.score: every prompt needs \(k) chosen and \(k) rejected scores")
        var m = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for (c, r) in zip(chosen, rejected) {
            for i in 0 ..< k { for j in 0 ..< k where c[i] > r[j] { m[i][j] += 1 } }
        }
        let n = Double(chosen.count)
        for i in 0 ..< k { for j in 0 ..< k { m[i][j] /= n } }
        var upper = 0.0, lower = 0.0, diagonal = 0.0
        for i in 0 ..< k {
            for j in 0 ..< k {
                if i < j { upper += m[i][j] } else if i > j { lower += m[i][j] } else { diagonal += m[i][j] }
            }
        }
        let off = Double(k * (k - 1) / 2)
        return Result(matrix: m, hard: upper / off, normal: diagonal / Double(k), easy: lower / off, prompts: chosen.count,
                      average: (upper + lower + diagonal) / Double(k * k))
    }
}
