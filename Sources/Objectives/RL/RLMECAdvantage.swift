// RLMEC's advantage: the token reward itself.
import Support
import TensorCore

/// RLMEC, Chen et al. 2024, arXiv 2401.06081 (authors' code `RUCAIBox/RLMEC`, `train_rlmec.py`):
/// every sampled token is weighted by its own reward from the generative reward model, with no
/// critic, no baseline and no normalisation,
///   A_t = r_t,   G_t = r_t.
/// The rewriter's rewards already carry the sign and the scale the objective wants (clip(p − 0.5, 0,
/// 0.5) on a correct solution, clip(p − 0.5, −0.1, 0) on a wrong one; docs/design/rewards.md §10), and
/// where they sit is the whole point: a reward-to-go or a group normalisation of the summed reward
/// would move the credit of the one wrong token onto every token before it. A KL-in-reward term, if
/// the run has one, is part of r_t here as for every estimator. It is an estimator (rather than an
/// option of the `rlmec` loss) because turning rewards into advantages is what the registry's
/// estimators do; the `rlmec` policy loss reads any advantages.
public struct RLMECAdvantage: AdvantageEstimator {
    public init() {}

    public var name: String { "rlmec" }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let r = try batch.finiteRows(batch.tokenRewards, "tokenRewards")
        let m = batch.mask.scalars
        var a = [Float](repeating: 0, count: r.count)
        for k in 0 ..< r.count where m[k] != 0 { a[k] = r[k] }
        let t = Tensor(shape: batch.mask.shape, data: a)
        return Advantages(advantages: t, returns: t)
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "rlmec", summary: "The token reward itself as the advantage: A_t = r_t (no critic, no baseline; RLMEC)",
                         arxiv: ["2401.06081"], inputs: ["token rewards"], defaults: [:]),
        make: { _ in RLMECAdvantage() })
}
