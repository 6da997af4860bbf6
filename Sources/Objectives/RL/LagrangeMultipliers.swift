// Lagrange multipliers for constraint rewards: the dual side of constrained RLHF.

/// Constrained RLHF: maximise the task reward R subject to constraints on the batch means J_j of
/// other reward functions, each with a threshold θ_j and a bound (`ConstraintBound`): a cost kept
/// at or below its budget (Safe RLHF, Dai et al., arXiv 2310.12773: E[C] ≤ d) or a component reward
/// kept at or above its floor (Moskovitz et al., arXiv 2310.04373: one multiplier per component RM,
/// each held at its proxy point). With σ_j = −1 for a cost and +1 for a floor, the Lagrangian
/// J_R + Σ_j λ_j σ_j (J_j − θ_j) gives the policy, per token, the reward
///
///     r̃_t = (r_t + Σ_j σ_j λ_j c^j_t) / (1 + Σ_j λ_j)
///
/// (`coefficients` are the σ_j λ_j, `normaliser` the 1 + Σ λ_j). Safe RLHF divides by 1 + λ so the
/// scale of the policy's advantages stays bounded however large λ grows: the reward and the cost
/// become a convex combination with weights 1/(1+λ) and λ/(1+λ); with several constraints the same
/// division by 1 + Σλ_j keeps every weight in [0, 1]. The multipliers take one projected dual step
/// per rollout batch, λ_j ← max(0, λ_j + η g_j) (then min(λ_max, ·) if a cap is set) with g_j = J_j − θ_j for a cost and θ_j − J_j for a
/// floor: a violated constraint gains weight, a satisfied one decays to exactly 0 and then leaves
/// the reward untouched.
///
/// λ is parameterised directly, not as log λ. Safe RLHF's released trainer keeps log λ and takes
/// gradient steps on the loss −λ(J_C − d) (costs averaged over a window of episodes, λ capped),
/// which keeps λ > 0, so a constraint can never switch off; the projected step here is the plain
/// dual (sub)gradient ascent both papers write down, reaches λ = 0 exactly (so a constraint that
/// never binds gives the unconstrained run bit for bit), and its whole state is the λ values
/// (checkpointed as such). Each batch is judged by its own mean (no window); an optional cap λ_max
/// (Safe RLHF's `lambda_max`) bounds how far one constraint can drown the task reward.
public struct LagrangeMultipliers: Sendable, Equatable {
    /// θ_j, one per constraint.
    public let thresholds: [Float]
    /// Whether constraint j is a cost (≤ θ_j) or a floor (≥ θ_j).
    public let bounds: [ConstraintBound]
    /// η of the dual step (0: the multipliers stay at their initial values).
    public let learningRate: Float
    /// λ_max, if set: the projection is onto [0, λ_max].
    public let maximum: Float?
    /// λ_j ≥ 0.
    public private(set) var values: [Float]

    /// - Throws: `RLInputError.invalidSetting` for a non-finite threshold, a bound count that is
    ///   not the threshold count, η < 0, λ₀ < 0, or λ_max ≤ 0 or below λ₀.
    public init(thresholds: [Float], bounds: [ConstraintBound], learningRate: Float, initial: Float, maximum: Float? = nil) throws {
        guard thresholds.allSatisfy(\.isFinite) else {
            throw RLInputError.invalidSetting(key: "constraint_thresholds", value: "\(thresholds)", reason: "thresholds must be finite")
        }
        guard bounds.count == thresholds.count else {
            throw RLInputError.invalidSetting(key: "constraint_bounds", value: "\(bounds.map(\.rawValue))",
                                              reason: "expected one bound per threshold (\(thresholds.count))")
        }
        guard learningRate.isFinite, learningRate >= 0 else {
            throw RLInputError.invalidSetting(key: "constraint_lr", value: "\(learningRate)", reason: "must be a finite number ≥ 0")
        }
        guard initial.isFinite, initial >= 0 else {
            throw RLInputError.invalidSetting(key: "constraint_init", value: "\(initial)", reason: "must be a finite number ≥ 0")
        }
        if let m = maximum, !(m.isFinite && m > 0 && m >= initial) {
            throw RLInputError.invalidSetting(key: "constraint_max", value: "\(m)", reason: "must be a finite number > 0 and ≥ constraint_init (\(initial))")
        }
        self.thresholds = thresholds
        self.bounds = bounds
        self.learningRate = learningRate
        self.maximum = maximum
        values = [Float](repeating: initial, count: thresholds.count)
    }

    /// Restores saved multipliers (exact resume).
    /// - Throws: `RLInputError.invalidSetting` when the count differs or a value is negative or not finite.
    public mutating func restore(_ saved: [Float]) throws {
        guard saved.count == values.count, saved.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw RLInputError.invalidSetting(key: "lagrange_multipliers", value: "\(saved)", reason: "expected \(values.count) finite values ≥ 0")
        }
        values = saved
    }

    /// One projected dual step from the constrained quantities' batch means J_j.
    /// - Throws: `RLInputError.invalidSetting` when the count differs or a mean is not finite.
    public mutating func update(constraintMeans means: [Float]) throws {
        guard means.count == values.count, means.allSatisfy(\.isFinite) else {
            throw RLInputError.invalidSetting(key: "constraints", value: "\(means)", reason: "expected \(values.count) finite constraint means")
        }
        for j in values.indices {
            let stepped = max(0, values[j] + learningRate * bounds[j].violation(mean: means[j], threshold: thresholds[j]))
            values[j] = maximum.map { min($0, stepped) } ?? stepped
        }
    }

    /// σ_j λ_j: the weight of constraint j's token rewards in the numerator of r̃.
    public var coefficients: [Float] { zip(bounds, values).map { $0.sign * $1 } }

    /// 1 + Σ_j λ_j: what the weighted sum is divided by (exactly 1 while every λ is 0).
    public var normaliser: Float { values.reduce(1, +) }
}
