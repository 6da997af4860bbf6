// Reward-model losses: Bradley–Terry on a scalar head (docs/design/objectives.md §1.4), per-token RM
// losses from token labels or spans (docs/design/objectives.md §1.5), and a token RM trained from
// sequence preferences (summed token rewards, or implicit DPO rewards; docs/design/objectives.md §1.6).
import Autograd
import TensorCore

/// Bradley–Terry loss on scalar rewards: mean_pairs[−log σ(r_c − r_r − μ)] + λ_c·mean_pairs[(r_c + r_r)²].
/// InstructGPT, Ouyang et al. 2022, arXiv 2203.02155; centring: Eisenstein et al. 2023, arXiv 2312.09244.
/// TRL `RewardTrainer.compute_loss` (`huggingface/trl:trl/trainer/reward_trainer.py`).
///
/// A tie pair (RRM's neutral pairs, arXiv 2409.13156: two answers to other prompts, neither better
/// for this one) has the target P(chosen ≻ rejected) = ½, so its term is the cross-entropy against
/// ½: −½ log σ(d) − ½ log σ(−d) = softplus(−d) + d/2 with d = r_c − r_r, minimised at d = 0, whatever
/// order the file gives the two responses (docs/design/rewards.md §6.1). A tie pair's margin is
/// ignored.
/// - Parameters:
///   - chosen: r_c, [P].
///   - rejected: r_r, [P].
///   - margin: μ, [P] (TRL's `margin` column), or nil.
///   - tie: t, [P], 1 for a tie pair and 0 otherwise, or nil (no ties).
///   - centerCoefficient: λ_c (`center_rewards_coefficient`); nil = off (TRL default), 0.01 recommended.
///   - pairCount: the optimizer batch's pair count for gradient accumulation (nil = P).
public func bradleyTerryLoss(chosen: Variable, rejected: Variable, margin: Tensor? = nil, tie: Tensor? = nil,
                             centerCoefficient: Float? = nil, pairCount: Float? = nil) -> Variable {
    var diff = chosen - rejected
    if let margin { diff = diff - (tie.map { margin * (1 - $0) } ?? margin) }
    var perPair = (-diff).softplus()
    if let tie { perPair = perPair + diff * (tie * 0.5) }
    var loss = meanOverItems(perPair, count: pairCount)
    if let c = centerCoefficient {
        loss = loss + meanOverItems((chosen + rejected).squared(), count: pairCount) * c
    }
    return loss
}

/// Where a sequence-level reward head is read.
public enum ScoreReadout: Sendable {
    /// The last valid (mask = 1) position of each row: TRL reads the score at the last non-pad token.
    case lastValidToken
}

/// One-hot [B, T] of the last position with mask 1 in each row (all zeros for an empty row).
func lastValidOneHot(_ mask: Tensor) -> Tensor {
    let B = mask.shape[0], T = mask.shape[1]
    var out = Tensor(shape: [B, T], repeating: 0)
    let m = mask.scalars
    for b in 0 ..< B {
        if let t = (0 ..< T).last(where: { m[b * T + $0] != 0 }) { out[b, t] = 1 }
    }
    return out
}

/// Bradley–Terry reward model on the batch's per-position scalar head (`TokenBatch.scores`),
/// read at the last valid token of each response. Structure `.pairs`. Margin from
/// `sequenceValues[.margin]` ([P]) when present.
///
/// Metrics: TRL `RewardTrainer`'s `accuracy`, `margin`, `min_reward`, `mean_reward`, `max_reward`,
/// plus `rewards/chosen`, `rewards/rejected`, `rewards/accuracies`, `rewards/margins` (means of r_c, r_r).
public struct BradleyTerryRM: Objective {
    /// λ_c; nil = off (TRL default). 0.01 is the recommended value.
    public var centerCoefficient: Float?
    public var readout: ScoreReadout

    public init(centerCoefficient: Float? = nil, readout: ScoreReadout = .lastValidToken) {
        self.centerCoefficient = centerCoefficient
        self.readout = readout
    }

    public var name: String { "reward" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        _ = batch.pairCount
        guard let scores = batch.scores else { preconditionFailure("BradleyTerryRM: TokenBatch.scores [B, T] is required") }
        let r = Masking.rowSum(scores, mask: lastValidOneHot(batch.mask))  // [B]
        let (rc, rr) = Pairs.split(r)
        let loss = bradleyTerryLoss(chosen: rc, rejected: rr, margin: batch.sequenceValues[.margin], tie: batch.sequenceValues[.tie],
                                    centerCoefficient: centerCoefficient, pairCount: normalizer.items)
        return ObjectiveOutput(loss: loss, metrics: rewardModelMetrics(all: r.value, chosen: rc.value, rejected: rr.value,
                                                                       tie: batch.sequenceValues[.tie]))
    }
}

/// TRL `RewardTrainer`'s metrics on sequence rewards (all rows, and the chosen / rejected halves).
/// Tie pairs (`tie` = 1) have no right order: accuracy and margin are over the other pairs (nan when
/// every pair is a tie), the reward statistics over every row.
func rewardModelMetrics(all: Tensor, chosen: Tensor, rejected: Tensor, tie: Tensor? = nil) -> [String: Float] {
    var rc = chosen, rr = rejected
    if let tie, tie.scalars.contains(1) {
        let kept = tie.scalars.indices.filter { tie.scalars[$0] == 0 }
        rc = Tensor(shape: [kept.count], data: kept.map { chosen.scalars[$0] })
        rr = Tensor(shape: [kept.count], data: kept.map { rejected.scalars[$0] })
    }
    var metrics: [String: Float] = [
        MetricName.accuracy: rc.greater(rr).mean().scalar,
        MetricName.margin: (rc - rr).mean().scalar,
        MetricName.minReward: all.min().scalar,
        MetricName.meanReward: all.mean().scalar,
        MetricName.maxReward: all.max().scalar,
    ]
    metrics[MetricName.rewardsChosen] = rc.mean().scalar
    metrics[MetricName.rewardsRejected] = rr.mean().scalar
    metrics[MetricName.rewardsAccuracies] = metrics[MetricName.accuracy]
    metrics[MetricName.rewardsMargins] = metrics[MetricName.margin]
    return metrics
}

// MARK: - Token-level reward models

/// A labelled token span [start, end) of one response, in predicted-token positions.
public struct LabeledSpan: Equatable, Sendable {
    public var start: Int
    public var end: Int
    public var label: Float
    public init(start: Int, end: Int, label: Float) {
        self.start = start
        self.end = end
        self.label = label
    }
}

/// Builders for per-token RM targets.
public enum TokenLabels {
    /// Where a span's label is supervised.
    public enum Placement: Sendable {
        /// Only at the span's last token, as FGRLHF places segment rewards and reads its RM at the
        /// segment separator (Wu et al. 2023, arXiv 2306.01693; `allenai/FineGrainedRLHF`).
        case spanEnd
        /// At every token of the span (TLDR-style token labels, arXiv 2410.04734).
        case everyToken
    }

    /// Targets and the supervised-position mask, both [B, T], from labelled spans (one list per row).
    /// Positions outside every span are unsupervised (mask 0). Spans are clamped to [0, T).
    public static func fromSpans(_ spans: [[LabeledSpan]], length T: Int, placement: Placement) -> (targets: Tensor, mask: Tensor) {
        let B = spans.count
        var targets = Tensor(shape: [B, T], repeating: 0)
        var mask = Tensor(shape: [B, T], repeating: 0)
        for (b, row) in spans.enumerated() {
            for s in row {
                let lo = Swift.max(0, s.start), hi = Swift.min(T, s.end)
                guard lo < hi else { continue }
                let range = placement == .spanEnd ? (hi - 1) ..< hi : lo ..< hi
                for t in range {
                    targets[b, t] = s.label
                    mask[b, t] = 1
                }
            }
        }
        return (targets, mask)
    }
}

/// Per-token reward-model loss on the head scores `TokenBatch.scores` [B, T] against targets in
/// `TokenBatch.tokenRewards` [B, T], at the positions where `TokenBatch.mask` is 1:
///
/// - `binaryCrossEntropy`: scores are logits of P(token good), targets in [0, 1] (hard labels as in
///   TLDR, arXiv 2410.04734; soft TVM targets, arXiv 2407.12863):
///   y·softplus(−s) + (1−y)·softplus(s).
/// - `squaredError`: (s − y)² regression (TVM's MSE option; FGRLHF-style ±w span rewards).
///
/// Build span targets with `TokenLabels.fromSpans` (FGRLHF: label at each segment's last token).
/// Default reduction `tokenMean`.
public struct TokenRewardModelLoss: Objective {
    public enum Kind: String, Sendable { case binaryCrossEntropy, squaredError }
    public var kind: Kind
    public var reduction: Reduction

    public init(kind: Kind = .binaryCrossEntropy, reduction: Reduction = .tokenMean) {
        self.kind = kind
        self.reduction = reduction
    }

    public var name: String { "token_rm" }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        guard let s = batch.scores else { preconditionFailure("TokenRewardModelLoss: TokenBatch.scores [B, T] is required") }
        guard let y = batch.tokenRewards else { preconditionFailure("TokenRewardModelLoss: TokenBatch.tokenRewards (targets) is required") }
        let safeY = Masking.zeroed(y, mask: batch.mask)
        let perToken: Variable
        switch kind {
        case .binaryCrossEntropy:
            perToken = (-s).softplus() * safeY + s.softplus() * (1 - safeY)
        case .squaredError:
            perToken = (s - safeY).squared()
        }
        var loss = reduce(perToken, mask: batch.mask, reduction, normalizer: normalizer)
        if reduction.isPerSequence { loss = meanOverItems(loss, count: normalizer.sequences) }
        var metrics: [String: Float] = ["mean_score": maskedMean(s.value, mask: batch.mask)]
        if kind == .binaryCrossEntropy {
            let hit = s.value.greater(Tensor(0)).equal(safeY.greater(Tensor(0.5)))
            metrics["token_accuracy"] = maskedMean(hit, mask: batch.mask)
        }
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}

/// A token-level RM trained from *sequence* preferences: the sequence score is an aggregate of
/// token rewards, trained with Bradley–Terry on pairs, so token rewards are learned without token
/// labels (arXiv 2406.02756's preference-consistent variant, arXiv 2501.02790's `avg` aggregation).
///
/// - `.head`: token rewards are the scalar head `TokenBatch.scores` [B, T].
/// - `.implicit(beta)`: the token RM is an LM and its token reward is the implicit DPO reward
///   r_t = β(ℓ_t − ℓ^ref_t) (Rafailov et al. 2024, "From r to Q*", arXiv 2404.12358); with `.sum`
///   aggregation this is exactly DPO, and the trained model's r̂_t feeds TGDPO or RTO.
///
/// Metrics: `rewards/*` on the aggregated sequence rewards, `logps/*`, and the mean token reward.
public struct TokenRewardModelPreferenceLoss: Objective {
    public enum Source: Sendable {
        case head
        case implicit(beta: Float)
    }

    public enum Aggregation: String, Sendable {
        /// Σ_t m r_t (return).
        case sum
        /// Σ_t m r_t / |y| (A7's `avg`).
        case mean
    }

    public var source: Source
    public var aggregation: Aggregation

    public init(source: Source = .head, aggregation: Aggregation = .sum) {
        self.source = source
        self.aggregation = aggregation
    }

    public var name: String { "token_rm_preference" }

    /// The per-token rewards r_t the loss trains ([B, T], differentiable).
    public func tokenRewards(_ batch: TokenBatch) -> Variable {
        switch source {
        case .head:
            guard let s = batch.scores else { preconditionFailure("TokenRewardModelPreferenceLoss: .head needs TokenBatch.scores") }
            return s
        case .implicit(let beta):
            return (batch.policyLogps - batch.requireReferenceLogps("TokenRewardModelPreferenceLoss")) * beta
        }
    }

    public func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        _ = batch.pairCount
        let r = tokenRewards(batch)
        var seq = Masking.rowSum(r, mask: batch.mask)
        if aggregation == .mean { seq = seq / Masking.clampedLengths(batch.mask) }
        let (sc, sr) = Pairs.split(seq)
        let loss = bradleyTerryLoss(chosen: sc, rejected: sr, margin: batch.sequenceValues[.margin], tie: batch.sequenceValues[.tie],
                                    pairCount: normalizer.items)
        let (lc, lr) = Pairs.split(batch.sequenceLogps.value)
        var metrics = preferenceMetrics(chosenRewards: sc.value, rejectedRewards: sr.value, chosenLogps: lc, rejectedLogps: lr)
        metrics["token_rewards/mean"] = maskedMean(r.value, mask: batch.mask)
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
