// Reward-model heads. The sequence head is transformers' `AutoModelForSequenceClassification`
// score layer (Linear(C → 1, bias=False), key `score.weight`) read at the last non-padding token
// (`modeling_llama.py` `LlamaForSequenceClassification`); the token-level head is the same layer read
// at every position and trained on per-token labels (`TokenRewardModelLoss`).
import Autograd
import Models
import NN
import Objectives
import TensorCore

/// A scalar head on the final hidden states.
public final class RewardHead: Module {
    /// [1, C].
    public var score: Linear

    public init(hiddenSize: Int, seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        score = Linear(hiddenSize, 1, bias: false, rng: &rng)
        super.init()
    }

    /// Per-position scores [B, L] from hidden states [B, L, C].
    public func callAsFunction(_ h: Variable) -> Variable {
        let s = score(h)  // [B, L, 1]
        return s.reshaped(Array(s.shape.dropLast()))
    }

    /// Per-position scores [B, L] of frozen hidden states [B, L, C], without a graph (scoring).
    public func scores(_ h: Tensor) -> Tensor {
        withoutGradients { self(Variable(h)).value }
    }
}

enum RewardStep {
    /// The head's scores over the full input [B, L] and aligned to predicted tokens [B, T].
    static func headScores(policy: any LanguageModel, head: RewardHead, batch b: BatchTensors) -> (full: Variable, aligned: Variable) {
        let h = policy.hiddenStates(b.ids, attentionMask: nil, cache: nil)  // [B, L, C]
        let full = head(h)  // [B, L]
        return (full, full.slice(axis: 1, 1 ..< b.ids.shape[1]))
    }

    /// The segment reward model's loss: the aligned scores read at the segment ends `ends` [B, T].
    static func segmentOutput(policy: any LanguageModel, head: RewardHead, batch b: BatchTensors, ends: Tensor, normalizer: Normalizer) -> ObjectiveOutput {
        let scores = headScores(policy: policy, head: head, batch: b).aligned
        var batch = TokenBatch(policyLogps: Variable(Tensor(shape: b.mask.shape, repeating: 0)), mask: b.mask, structure: .pairs, scores: scores,
                               tokenWeights: [.segmentEnds: ends])
        batch.sequenceValues = b.pairValues  // the rows' margins and ties
        return SegmentRewardModelLoss().compute(batch, normalizer: normalizer)
    }

    /// Per row of [B, L] ids, the last input position whose id is not the pad id (0 for an
    /// all-padding row): where the sequence head is read.
    static func lastRealPositions(_ ids: IndexTensor, padID: Int) -> [Int] {
        let B = ids.shape[0], L = ids.shape[1]
        let d = ids.data
        return (0 ..< B).map { r in
            var j = 0
            for t in 0 ..< L where Int(d[r * L + t]) != padID { j = t }
            return j
        }
    }

    /// The sequence head's score of every row of a collated batch, without a graph (read where
    /// `output` reads it): for a pair batch, the chosen rows then the rejected rows.
    static func sequenceScores(policy: any LanguageModel, head: RewardHead, batch b: BatchTensors, padID: Int) -> [Float] {
        let full = withoutGradients { headScores(policy: policy, head: head, batch: b).full.value }
        let L = b.ids.shape[1], s = full.scalars
        return lastRealPositions(b.ids, padID: padID).enumerated().map { s[$0.offset * L + $0.element] }
    }

    /// Scores aligned like every other per-token quantity: entry t is the score at input position
    /// t + 1 (the predicted token), so the last trained entry is the last real token, where the
    /// sequence classifier reads.
    /// `rewardLoss`: how token-reward targets are fitted (squared error, or BCE with soft labels
    /// for the `value` kind, TokenKindSpec.swift).
    static func output(policy: any LanguageModel, head: RewardHead, batch b: BatchTensors, tokenLevel: Bool, padID: Int, normalizer: Normalizer,
                       rewardLoss: TokenRewardModelLoss.Kind = .squaredError) -> ObjectiveOutput {
        let (full, scores) = headScores(policy: policy, head: head, batch: b)
        let logps = Variable(Tensor(shape: b.mask.shape, repeating: 0))
        if tokenLevel {
            // Targets: annotated token rewards (squared error, or BCE for `value`) when every row has them; otherwise
            // per-token labels (binary cross-entropy): chosen tokens 1, rejected tokens 0, or, when
            // the rejected row has error spans, 0 inside the spans and 1 outside them.
            if let r = b.tokenRewards {
                let batch = TokenBatch(policyLogps: logps, mask: b.mask, structure: .pairs, scores: scores, tokenRewards: r)
                return TokenRewardModelLoss(kind: rewardLoss).compute(batch, normalizer: normalizer)
            }
            let B = b.mask.shape[0], T = b.mask.shape[1], half = B / 2
            var l = [Float](repeating: 1, count: B * T)
            let spans = b.tokenLabels?.scalars
            for row in half ..< B {
                if let s = spans, (0 ..< T).contains(where: { s[row * T + $0] > 0 }) {
                    for t in 0 ..< T { l[row * T + t] = 1 - min(1, s[row * T + t]) }
                } else {
                    for t in 0 ..< T { l[row * T + t] = 0 }
                }
            }
            let batch = TokenBatch(policyLogps: logps, mask: b.mask, structure: .pairs, scores: scores,
                                   tokenRewards: Tensor(shape: [B, T], data: l))
            return TokenRewardModelLoss(kind: .binaryCrossEntropy).compute(batch, normalizer: normalizer)
        }
        // Sequence score where `AutoModelForSequenceClassification` reads it: the last input
        // position whose id is not the pad id (`modeling_llama.py`: `(token_indices *
        // non_pad_mask).argmax(-1)`). When the pad token is the EOS (TRL's default), that is the
        // token before the appended EOS. The one-hot readout mask over the full [B, L] scores
        // makes `BradleyTerryRM` read exactly there.
        let B = b.ids.shape[0], L = b.ids.shape[1]
        var batch = TokenBatch(policyLogps: Variable(Tensor(shape: [B, L], repeating: 0)), mask: readout(ids: b.ids, padID: padID),
                               structure: .pairs, scores: full)
        batch.sequenceValues = b.pairValues  // the rows' margins (TRL's `margin` column) and ties
        return BradleyTerryRM().compute(batch, normalizer: normalizer)
    }

    /// One-hot [B, L] at each row's last input position whose id is not `padID` (where
    /// `AutoModelForSequenceClassification` reads its score).
    static func readout(ids: IndexTensor, padID: Int) -> Tensor {
        let B = ids.shape[0], L = ids.shape[1]
        var readout = [Float](repeating: 0, count: B * L)
        for (r, j) in lastRealPositions(ids, padID: padID).enumerated() { readout[r * L + j] = 1 }
        return Tensor(shape: [B, L], data: readout)
    }
}
