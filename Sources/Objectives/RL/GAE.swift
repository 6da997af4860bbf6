// Generalised advantage estimation over token rewards with a value head.
import Support
import TensorCore

/// GAE, Schulman et al. 2015, arXiv 1506.02438, as PPO for LMs uses it (arXiv 1707.06347,
/// InstructGPT arXiv 2203.02155). Backwards over the trained tokens of each row:
///   δ_t = r_t + γ V_next − V_t,   A_t = δ_t + γλ A_next,   G_t = A_t + V_t,
/// where "next" is the next *trained* token (V after the last one is 0). Masked positions inside a
/// response (tool/observation tokens) are skipped while V_next and A_next are carried through them,
/// exactly as `volcengine/verl:verl/trainer/ppo/core_algos.py` (`compute_gae_advantage_return`)
/// does: a hole in the middle gives the same advantages as the response without the hole. Returns
/// are taken before whitening; whitening (verl's `masked_whiten`, on by default there and in TRL's
/// PPO) is over the trained tokens of the whole batch.
///
/// Defaults: γ = 1, λ = 0.95 (TRL PPO and OpenRLHF; verl uses λ = 1), whitening on.
public struct GAE: AdvantageEstimator {
    public var gamma: Float
    public var lambda: Float
    public var whiten: Bool

    public init(gamma: Float = 1, lambda: Float = 0.95, whiten: Bool = true) throws {
        try requireRange("gamma", gamma, 0 ... 1)
        try requireRange("lam", lambda, 0 ... 1)
        self.gamma = gamma
        self.lambda = lambda
        self.whiten = whiten
    }

    public var name: String { "gae" }
    public var readsValues: Bool { true }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let r = try batch.finiteRows(batch.tokenRewards, "tokenRewards")
        let v = try batch.required(batch.values, "values", by: name)
        let m = batch.mask.scalars
        let B = batch.rowCount, T = batch.length
        var adv = [Float](repeating: 0, count: B * T)
        var ret = [Float](repeating: 0, count: B * T)
        let g = Double(gamma), gl = Double(gamma) * Double(lambda)
        for i in 0 ..< B {
            var nextValue = 0.0, lastGAE = 0.0
            for t in stride(from: T - 1, through: 0, by: -1) {
                let k = i * T + t
                guard m[k] != 0 else { continue }
                let value = Double(v[k])
                let delta = Double(r[k]) + g * nextValue - value
                lastGAE = delta + gl * lastGAE
                adv[k] = Float(lastGAE)
                ret[k] = Float(lastGAE + value)
                nextValue = value
            }
        }
        if whiten { adv = AdvantageStatistics.maskedWhiten(adv, mask: m) }
        return Advantages(advantages: Tensor(shape: [B, T], data: adv), returns: Tensor(shape: [B, T], data: ret))
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "gae", summary: "Generalised advantage estimation with a value head (PPO)",
                         arxiv: ["1506.02438", "1707.06347"],
                         inputs: ["token rewards", "values V_t"],
                         defaults: ["gamma": "1.0", "lam": "0.95", "whiten_advantages": "true"]),
        make: { s in try GAE(gamma: s.gamma ?? 1, lambda: s.lambda ?? 0.95, whiten: s.whiten ?? true) })
}
