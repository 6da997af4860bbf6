// `--reward segment-rm:DIR` (arXiv 2501.02790): segments from the reference's entropies, the head's
// value at each segment end, the location-aware normaliser and the spread over each segment, checked
// by hand and against the numpy worked example; one segment reduces to the sequence reward.
import Autograd
import Foundation
import Models
import Objectives
import TensorCore
import Testing
import TestSupport
import Tokenizers
import TrainedFixtures
import Training
@testable import OnlineRL

@Suite struct SegmentRewardTests {
    /// A segment reward model trained for two steps (threshold 2.0 recorded), its starting model as
    /// the run's reference, and completions of `texts`.
    static func segmentModel(_ texts: [String]) throws -> (rm: String, reference: String, context: RewardContext, completions: [Completion]) {
        let data = try TestFiles.writeRows((0 ..< 8).map { ["prompt": "p\($0)", "chosen": " good", "rejected": " bad"] })
        let rm = try trainTinyModel(.reward, data: data, steps: 2, batchSize: 4, learningRate: 5e-5, schedule: "linear", rewardKind: "segment").folder
        let reference = try TestFiles.modelFolder().path
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: rm))
        let ctx = RewardContext(tokenizer: tokenizer, maxNewTokens: 8, vocabularySize: 512, referencePath: reference)
        return (rm, reference, ctx, makeCompletions(texts, tokenizer: tokenizer))
    }

    /// The reference's entropy of the distribution each completion token was drawn from, one
    /// unbatched forward per completion, softmax by hand in Double.
    static func entropies(_ completions: [Completion], reference: String) throws -> [[Float]] {
        let model = try PretrainedModel.load(path: reference).model
        return completions.map { c in
            let ids = c.prompt.ids + c.ids
            let logits = withoutGradients { model(IndexTensor(shape: [1, ids.count], data: ids.map { Int32($0) })).value }
            let V = logits.shape[2], z = logits.scalars
            return (0 ..< c.ids.count).map { j in
                let row = (c.prompt.ids.count + j - 1) * V
                let m = Double((0 ..< V).map { z[row + $0] }.max()!)
                let e = (0 ..< V).map { exp(Double(z[row + $0]) - m) }
                let s = e.reduce(0, +)
                return Float(-e.reduce(0) { $0 + ($1 / s) * log($1 / s) })
            }
        }
    }

    @Test func placementByHand() throws {
        let (rm, reference, ctx, completions) = try Self.segmentModel([" good day to you", "1 2 3 4 5", " bad"])
        let head = try RewardFunctions.make("token-rm:\(rm)", context: ctx).tokenRewards(completions)
        let h = try Self.entropies(completions, reference: reference)
        let all = h.flatMap { $0.dropFirst() }.sorted()
        // Near the median (several segments, not one per token), halfway between two entropies far
        // enough apart that the batched forward's rounding cannot move one across the threshold.
        let k = try #require((all.count / 2 ..< all.count - 1).first { all[$0 + 1] - all[$0] > 1e-3 })
        let c = (all[k] + all[k + 1]) / 2
        for spread in SegmentSpread.allCases {
            let f = try RewardFunctions.make("segment-rm:\(rm),\(c),0,\(spread.rawValue)", context: ctx)
            let r = try f.tokenRewards(completions)
            for (i, row) in r.enumerated() {
                // Ends by hand: token t < n − 1 ends when the entropy of token t + 1's distribution ≥ c.
                let n = completions[i].ids.count
                let ends = (0 ..< n).filter { $0 == n - 1 || h[i][$0 + 1] >= c }
                #expect(try (f as! SegmentRewardModelReward).segmentEnds([completions[i]]) == [ends], "completion \(i)")
                var start = 0
                for e in ends {
                    let v = head[i][e], length = Float(e - start + 1)
                    for t in start ... e {
                        let want: Float = switch spread {
                        case .split: v / length
                        case .copy: v
                        case .end: t == e ? v : 0
                        }
                        #expect(abs(row[t] - want) <= 1e-6 * max(1, abs(want)), "\(spread) completion \(i) token \(t): \(row[t]) vs \(want)")
                    }
                    start = e + 1
                }
            }
        }
        // The folder's recorded threshold (2.0) is the default.
        let recorded = try SegmentRewardModelReward(argument: rm, referencePath: reference, vocabularySize: 512)
        #expect(recorded.threshold == 2 && recorded.normaliser.bins == 10 && recorded.spread == .split)
    }

    /// One segment per completion (a threshold above log V) and no normalisation: `end` is `rm:DIR`
    /// exactly; `split` puts R/n on each of the n tokens.
    @Test func oneSegmentIsTheSequenceReward() throws {
        let (rm, _, ctx, completions) = try Self.segmentModel([" good day to you", "1 2 3", " bad"])
        let sequence = try RewardFunctions.make("rm:\(rm)", context: ctx).tokenRewards(completions)
        #expect(try RewardFunctions.make("segment-rm:\(rm),1000,0,end", context: ctx).tokenRewards(completions) == sequence)
        let split = try RewardFunctions.make("segment-rm:\(rm),1000,0", context: ctx).tokenRewards(completions)
        for (row, s) in zip(split, sequence) {
            let R = s.last!, n = Float(s.count)
            #expect(row.allSatisfy { abs($0 - R / n) <= 1e-6 * max(1, abs(R)) }, "\(row) vs R/n = \(R / n)")
        }
    }

    @Test func normaliserAndSpreadMatchTheNumpyExample() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/objectives/segment_reference.json")
        let raw = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let online = raw["online"] as! [String: Any]
        let threshold = Float((online["threshold"] as! NSNumber).doubleValue), bins = (online["bins"] as! NSNumber).intValue
        let rows = online["completions"] as! [[String: Any]]
        func floats(_ a: Any?) -> [Float] { (a as! [NSNumber]).map { $0.floatValue } }
        let ends = rows.map { EntropySegmentation.ends(entropies: floats($0["entropies"]), threshold: threshold) }
        #expect(ends == rows.map { ($0["ends"] as! [NSNumber]).map(\.intValue) })
        let scores = rows.map { floats($0["scores"]) }
        let values = LocationAwareNormaliser(bins: bins).normalise(zip(scores, ends).map { s, e in e.map { s[$0] } })
        for (i, row) in rows.enumerated() {
            let got = SegmentSpread.split.place(values[i], ends: ends[i], count: scores[i].count)
            for (a, b) in zip(got, floats(row["token_rewards"])) { #expect(abs(a - b) <= 1e-6, "completion \(i): \(got)") }
        }
    }

    /// Bins by hand: with 2 bins, segment k of K is in bin ⌈2(k + 1)/K⌉ − 1. Two completions with
    /// segment values [1, 3] and [5, 7, 9]: bin 0 holds 1 (p = ½) and 5 (p = ⅓), bin 1 holds 3, 7
    /// (p = ⅔) and 9. Bin 0: μ = 3, σ = 2; bin 1: μ = 19/3, σ = √(56/9).
    @Test func locationBinsByHand() {
        let n = LocationAwareNormaliser(bins: 2)
        #expect((0 ..< 3).map { n.bin(segment: $0, of: 3) } == [0, 1, 1])
        #expect((0 ..< 2).map { n.bin(segment: $0, of: 2) } == [0, 1])
        #expect(n.bin(segment: 0, of: 1) == 1)
        let out = n.normalise([[1, 3], [5, 7, 9]])
        let s1 = (56.0 / 9).squareRoot()
        let want: [[Double]] = [[(1 - 3) / 2, (3 - 19.0 / 3) / s1], [(5 - 3) / 2, (7 - 19.0 / 3) / s1, (9 - 19.0 / 3) / s1]]
        for (a, b) in zip(out.flatMap { $0 }, want.flatMap { $0 }) { #expect(abs(Double(a) - b) < 1e-6, "\(out)") }
        // A single segment has nothing to normalise against: left as it is. Bins 0: unchanged.
        #expect(n.normalise([[4]]) == [[4]])
        #expect(LocationAwareNormaliser(bins: 0).normalise([[1, 3], [5]]) == [[1, 3], [5]])
    }
}
