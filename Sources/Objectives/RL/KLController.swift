// KL coefficient controllers for KL-in-reward.

/// Chooses β for KL-in-reward from step to step.
public protocol KLController: Sendable {
    /// The current β.
    var value: Float { get }
    /// Updates β after `steps` samples with the observed mean KL.
    mutating func update(currentKL: Float, steps: Int)
}

/// A constant β (verl's default controller `fixed`; TRL PPO).
public struct FixedKLController: KLController {
    public private(set) var value: Float

    public init(coefficient: Float) { value = coefficient }

    public mutating func update(currentKL: Float, steps: Int) {}
}

/// The adaptive controller of Ziegler et al. 2019, arXiv 1909.08593 (§2.2), used by InstructGPT
/// (arXiv 2203.02155) and `volcengine/verl:verl/trainer/ppo/core_algos.py` (`AdaptiveKLController`):
///   e = clip(KL/target − 1, −0.2, 0.2),   β ← β · (1 + e · steps/horizon).
/// It moves β up when the policy drifts past the target KL and down when it stays below, by at most
/// 20% per horizon. verl's adaptive settings: target 0.1, horizon 10000.
public struct AdaptiveKLController: KLController {
    public private(set) var value: Float
    public var target: Float
    public var horizon: Float

    /// - Throws: `RLInputError.invalidSetting` unless target > 0 and horizon > 0.
    public init(coefficient: Float, target: Float = 0.1, horizon: Float = 10_000) throws {
        guard target > 0 else { throw RLInputError.invalidSetting(key: "target_kl", value: "\(target)", reason: "must be > 0") }
        guard horizon > 0 else { throw RLInputError.invalidSetting(key: "horizon", value: "\(horizon)", reason: "must be > 0") }
        value = coefficient
        self.target = target
        self.horizon = horizon
    }

    public mutating func update(currentKL: Float, steps: Int) {
        let error = min(max(currentKL / target - 1, -0.2), 0.2)
        value *= 1 + error * Float(steps) / horizon
    }
}
