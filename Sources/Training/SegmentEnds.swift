// The segment ends of every training and evaluation response of `tokenalign reward --kind segment`
// (arXiv 2501.02790), computed once before training from a frozen model's next-token entropies, so
// the segmentation never moves while the reward model trains (docs/design/rewards.md §5).
import Datasets
import Foundation
import Models
import Objectives
import TensorCore

/// Per split and row, the segment ends of the chosen and the rejected response, as indices into the
/// response's trained (mask = 1) tokens.
public struct SegmentEnds: Sendable {
    public var threshold: Float
    var rows: [String: [(chosen: [Int], rejected: [Int])]] = [:]

    /// Segments every pair of `train` and `eval` with `model`'s entropies, `batchSize` pairs per forward.
    public init(model: any LanguageModel, train: TrainingExamples, eval: TrainingExamples?, threshold: Float, padID: Int,
                batchSize: Int) {
        self.threshold = threshold
        let V = model.vocabularySize
        for (set, data) in [("train", train), ("eval", eval)] {
            guard let data else { continue }
            var out: [(chosen: [Int], rejected: [Int])] = []
            out.reserveCapacity(data.count)
            for lo in stride(from: 0, to: data.count, by: max(1, batchSize)) {
                let indices = Array(lo ..< min(lo + max(1, batchSize), data.count))
                let b = BatchTensors(data.subset(indices).collate(padID: padID))
                let B = b.mask.shape[0], T = b.mask.shape[1], P = indices.count
                let logits = Forward.frozenLogits(model, b.ids)  // [B, T, V]
                var h = [Float](repeating: 0, count: B * T)
                let m = b.mask.scalars
                logits.withUnsafeBufferPointer { z in
                    for k in 0 ..< B * T where m[k] != 0 { h[k] = ResponseScoring.entropy(z.baseAddress! + k * V, V) }
                }
                let ends = EntropySegmentation.endMask(entropies: Tensor(shape: [B, T], data: h), mask: b.mask, threshold: threshold).scalars
                func offsets(_ row: Int) -> [Int] {
                    var k = 0, result: [Int] = []
                    for t in 0 ..< T where m[row * T + t] != 0 {
                        if ends[row * T + t] != 0 { result.append(k) }
                        k += 1
                    }
                    return result
                }
                for r in 0 ..< P { out.append((offsets(r), offsets(P + r))) }
            }
            rows[set] = out
        }
    }

    /// The [B, T] end mask of a collated batch of pairs `indices` of `set` (rows 0..<P chosen, P..<2P rejected).
    public func mask(set: String, indices: [Int], responseMask: Tensor) -> Tensor {
        guard let table = rows[set] else { preconditionFailure("SegmentEnds: no segments for the \(set) split") }
        let T = responseMask.shape[1], P = indices.count, m = responseMask.scalars
        var out = [Float](repeating: 0, count: 2 * P * T)
        for (r, i) in indices.enumerated() {
            for (row, ends) in [(r, table[i].chosen), (P + r, table[i].rejected)] {
                var k = 0, next = 0
                for t in 0 ..< T where m[row * T + t] != 0 {
                    if next < ends.count && ends[next] == k {
                        out[row * T + t] = 1
                        next += 1
                    }
                    k += 1
                }
            }
        }
        return Tensor(shape: [2 * P, T], data: out)
    }

    /// Segments per response, over every row of `set` (for the run's log).
    public func meanCount(set: String) -> Double {
        guard let table = rows[set], !table.isEmpty else { return 0 }
        return Double(table.reduce(0) { $0 + $1.chosen.count + $1.rejected.count }) / Double(2 * table.count)
    }
}
