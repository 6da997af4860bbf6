// Which side of its threshold a constrained quantity must stay on.
import Support

/// The direction of a constraint of constrained RLHF. `upper` is Safe RLHF's cost (arXiv 2310.12773:
/// E[C] ≤ d, the cost pulls the policy's reward down); `lower` is a component reward that must stay
/// high enough (arXiv 2310.04373: E[r_j] ≥ θ_j, the reward pushes it up). Both are one case of the
/// same Lagrangian once the quantity is signed: σ = −1 for a cost, +1 for a floor.
public enum ConstraintBound: String, SettingChoice, Sendable, Equatable {
    case upper
    case lower

    /// σ: the sign the quantity enters the policy's reward with.
    public var sign: Float { self == .upper ? -1 : 1 }

    /// g = −σ(J − θ): how far the batch mean J is on the wrong side of θ (positive: violated, the
    /// multiplier grows; negative: satisfied, it shrinks). J − θ for a cost, θ − J for a floor.
    public func violation(mean: Float, threshold: Float) -> Float {
        self == .upper ? mean - threshold : threshold - mean
    }
}
