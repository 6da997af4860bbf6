// Dynamic entropy weighting (GTPO / GRPO-S, arXiv 2508.04349): how a set of responses splits an
// entropy bonus among its members. Shared by the token form (one set per position) and the
// sequence form (one set per group).

enum EntropyShares {
    /// Guards 1/H for the wrong responses' inverse-entropy shares (a token the policy was certain
    /// of has H = 0).
    static let inverseEpsilon = 1e-6

    /// n · x_k / Σ_j x_j for the n members of one set: the shares average 1, so uniform weights
    /// give every member exactly 1. All-zero weights also give 1 each (nothing tells the members
    /// apart), which keeps the uniform-entropy reduction to GRPO exact even at H = 0.
    static func scaled(_ x: [Double]) -> [Double] {
        let total = x.reduce(0, +)
        guard total > 0 else { return [Double](repeating: 1, count: x.count) }
        let n = Double(x.count)
        return x.map { n * $0 / total }
    }

    /// The weight a member's entropy H gets: H itself for correct responses (reward exploration on
    /// a right path), 1/(H + ε) for wrong ones (punish confident mistakes hardest).
    static func weight(_ h: Double, correct: Bool) -> Double {
        correct ? max(h, 0) : 1 / (max(h, 0) + inverseEpsilon)
    }

    /// The shaped reward of one member: α₁ R + α₂ · share for a correct response (R > 0),
    /// −α₁ − α₂ · share for a wrong one (the paper's −1 outcome for failures).
    static func shaped(reward r: Float, correct: Bool, share: Double, entropyWeight: Double) -> Double {
        correct ? Double(r) + entropyWeight * share : -1 - entropyWeight * share
    }
}
