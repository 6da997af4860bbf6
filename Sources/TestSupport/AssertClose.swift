// Whole-tensor comparison that reports evidence: the largest difference, where it is, and the first
// mismatching pairs.
import TensorCore

public struct CloseReport: CustomStringConvertible, Sendable {
    public var ok: Bool
    public var maxAbsDifference: Float
    public var worstIndex: Int
    public var mismatches: [(index: Int, actual: Float, expected: Float)]
    public var shapeProblem: String?

    public var description: String {
        if let shapeProblem { return shapeProblem }
        let pairs = mismatches.prefix(5).map { "[\($0.index)] \($0.actual) vs \($0.expected)" }.joined(separator: ", ")
        return "max |Δ| = \(maxAbsDifference) at flat index \(worstIndex); \(mismatches.count) mismatches; first: \(pairs)"
    }
}

/// Checks |actual − expected| ≤ atol + rtol·|expected| elementwise (NaNs never match).
public func compareClose(_ actual: Tensor, _ expected: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4) -> CloseReport {
    guard actual.shape == expected.shape else {
        return CloseReport(ok: false, maxAbsDifference: .infinity, worstIndex: -1, mismatches: [],
                           shapeProblem: "shape \(actual.shape) vs expected \(expected.shape)")
    }
    var worst: Float = 0, worstIndex = 0
    var bad: [(Int, Float, Float)] = []
    let a = actual.scalars, e = expected.scalars
    for i in 0 ..< a.count {
        let d = abs(a[i] - e[i])
        let allowed = atol + rtol * abs(e[i])
        if d.isNaN || d > allowed {
            if bad.count < 100 { bad.append((i, a[i], e[i])) }
        }
        if d.isNaN || d > worst { worst = d.isNaN ? .infinity : d; worstIndex = i }
    }
    return CloseReport(ok: bad.isEmpty, maxAbsDifference: worst, worstIndex: worstIndex,
                       mismatches: bad.map { (index: $0.0, actual: $0.1, expected: $0.2) }, shapeProblem: nil)
}
