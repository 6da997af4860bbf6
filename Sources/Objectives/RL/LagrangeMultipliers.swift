// Lagrange multipliers for constraint rewards: the dual side of constrained RLHF.

/// Constrained RLHF, Moskovitz et al. 2023, arXiv 2310.04373: maximise the task reward subject to
/// each constraint reward's batch mean J_j staying at or above its threshold θ_j. The Lagrangian
/// Σ_task w r + Σ_j λ_j (J_j − θ_j) gives the policy the mixed reward Σ_task w_k r_k + Σ_j λ_j w_j r_j
/// (`mixedWeights`), and the multipliers take one projected gradient step per rollout batch on the
/// dual, λ_j ← max(0, λ_j − η (J_j − θ_j)): a violated constraint (J < θ) gains weight, a satisfied
/// one decays towards 0 and stops distorting the task reward. The paper's thresholds are the proxy
/// points past which a component reward model stops tracking quality; here they are given.
public struct LagrangeMultipliers: Sendable, Equatable {
    /// θ_j, one per constraint.
    public let thresholds: [Float]
    /// η of the dual step.
    public let learningRate: Float
    /// λ_j ≥ 0.
    public private(set) var values: [Float]

    /// - Throws: `RLInputError.invalidSetting` for a non-finite threshold, η ≤ 0 or λ₀ < 0.
    public init(thresholds: [Float], learningRate: Float, initial: Float) throws {
        guard thresholds.allSatisfy(\.isFinite) else {
            throw RLInputError.invalidSetting(key: "constraints", value: "\(thresholds)", reason: "thresholds must be finite")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw RLInputError.invalidSetting(key: "constraint_lr", value: "\(learningRate)", reason: "must be a finite number > 0")
        }
        guard initial.isFinite, initial >= 0 else {
            throw RLInputError.invalidSetting(key: "constraint_init", value: "\(initial)", reason: "must be a finite number ≥ 0")
        }
        self.thresholds = thresholds
        self.learningRate = learningRate
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

    /// One projected dual step from the constraint rewards' batch means J_j.
    /// - Throws: `RLInputError.invalidSetting` when the count differs or a mean is not finite.
    public mutating func update(constraintMeans means: [Float]) throws {
        guard means.count == values.count, means.allSatisfy(\.isFinite) else {
            throw RLInputError.invalidSetting(key: "constraints", value: "\(means)", reason: "expected \(values.count) finite constraint means")
        }
        for j in values.indices {
            values[j] = max(0, values[j] - learningRate * (means[j] - thresholds[j]))
        }
    }

    /// The reward weights of the mixed reward: each constrained reward's weight times its λ, the
    /// others unchanged. `indices[j]` is the position of constraint j among the rewards.
    public func mixedWeights(_ weights: [Float], constraintIndices indices: [Int]) -> [Float] {
        var w = weights
        for (j, k) in indices.enumerated() where w.indices.contains(k) { w[k] *= values[j] }
        return w
    }
}
