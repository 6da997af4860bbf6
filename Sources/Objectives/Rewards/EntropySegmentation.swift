// Entropy segmentation of a response (Yin et al. 2025, "Segmenting Text and Learning Their Rewards
// for Improved RLHF in Language Models", arXiv 2501.02790; `segment_method = "peak"` in
// `yinyueqin/DenseRewardRLHF-PPO:denserlhf/trainer/rm_trainer.py`): a segment ends after a token at
// which a frozen reference model is uncertain about what comes next (docs/design/rewards.md §5).
import TensorCore

public enum EntropySegmentation {
    /// The indices of the response tokens that end a segment, ascending; the last token always
    /// does. Token t (t < n − 1) ends a segment when the reference's entropy of the next token,
    /// `entropies[t + 1]`, is at least `threshold`.
    ///
    /// `entropies[j]` is the entropy of the distribution token j was predicted from (the usual
    /// alignment of per-token quantities here), so the next-token entropy after t is entry t + 1;
    /// `entropies[0]` is never read. The reference code compares with `>`; `≥` differs only at
    /// equality and makes threshold 0 exactly one segment per token (every entropy is ≥ 0). A
    /// threshold above log V (1000 in the reference code) gives one segment ending at the last token.
    /// The reference code also moves the final end of ordinary thresholds to the token before EOS;
    /// here the final end is always the last response token, for every threshold, so the two limits
    /// are the token-level and the sequence-level reward models exactly.
    public static func ends(entropies: [Float], threshold: Float) -> [Int] {
        let n = entropies.count
        guard n > 0 else { return [] }
        var out: [Int] = []
        for t in 0 ..< n - 1 where entropies[t + 1] >= threshold { out.append(t) }
        out.append(n - 1)
        return out
    }

    /// A [B, T] mask with 1 at every segment end of every row, from per-token entropies [B, T]
    /// aligned with `mask` [B, T] (1 on response tokens). A row's response is its masked positions
    /// in order; a row with none gets no end.
    public static func endMask(entropies: Tensor, mask: Tensor, threshold: Float) -> Tensor {
        precondition(entropies.shape == mask.shape && mask.rank == 2, "EntropySegmentation: entropies \(entropies.shape) vs mask \(mask.shape)")
        let B = mask.shape[0], T = mask.shape[1]
        let h = entropies.scalars, m = mask.scalars
        var out = [Float](repeating: 0, count: B * T)
        for b in 0 ..< B {
            let positions = (0 ..< T).filter { m[b * T + $0] != 0 }
            for k in ends(entropies: positions.map { h[b * T + $0] }, threshold: threshold) { out[b * T + positions[k]] = 1 }
        }
        return Tensor(shape: [B, T], data: out)
    }

    /// The segments' token ranges [start, end] from the ends (each starts after the previous end).
    public static func segments(ends: [Int]) -> [ClosedRange<Int>] {
        var start = 0
        return ends.map { e in
            defer { start = e + 1 }
            return start ... e
        }
    }
}
