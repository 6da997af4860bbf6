import Foundation
import TensorCore
import Testing
@testable import Training

/// `--precompute-ref` with KTO: the reference's row log-probs and the mismatched-completion KL sums
/// come from a cache computed once (and kept in the run folder), and training with it equals
/// training with the live reference.
@Suite struct KTOPrecomputeTests {
    func configuration(_ loss: String) throws -> TrainingConfiguration {
        func rows(_ n: Int, offset: Int) -> [[String: Any]] {
            (0 ..< n).map { i in
                let good = i % 2 == 0
                // Completions of different lengths, so padding and the mismatched pairs vary.
                let completion = good ? [" the quick fox", " the quick brown fox jumps"][i / 2 % 2] : [" the lazy dog", " lazy dog"][i / 2 % 2]
                return ["prompt": "tokens are \((i + offset) % 7)", "completion": completion, "label": good]
            }
        }
        var c = TrainingConfiguration()
        c.task = .preference
        c.model = try modelFolder().path
        c.data = try writeJSONL(rows(16, offset: 0))
        c.evalData = try writeJSONL(rows(8, offset: 3))
        c.loss = [loss]
        c.learningRate = 3e-3
        c.schedule = "constant"
        // Window 6 over 16 rows: 3 steps per epoch, the last one short, so the 12 steps cross epochs
        // (new data orders, new mismatched pairs).
        c.batchSize = 3
        c.gradientAccumulationSteps = 2
        c.maxSteps = 12
        c.seed = 4
        return c
    }

    func trace(_ t: Trainer) throws -> [[String: Float]] {
        var out: [[String: Float]] = []
        try t.run { e in
            if case .step(_, _, let m) = e { out.append(m) }
            return .continue
        }
        out.append(t.evaluate())
        return out
    }

    @Test(arguments: ["kto", "apo_zero_unpaired"])
    func precomputedEqualsLiveAndTrains(_ loss: String) throws {
        let c = try configuration(loss)
        let live = try trace(try TrainingSetup.prepare(c).trainer)
        var p = c
        p.precomputeRefLogProbs = true
        p.out = temporaryDirectory().path
        let run = try TrainingSetup.prepare(p)
        let cached = try trace(run.trainer)
        #expect(live.count == cached.count)
        let keys = ["loss", "kl", "rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen", "logps/rejected", "grad_norm",
                    "eval_loss", "eval_kl", "eval_rewards/chosen", "eval_rewards/rejected"]
        var compared = 0
        for (s, (a, b)) in zip(live, cached).enumerated() {
            for k in keys {
                guard let x = a[k] else { continue }
                let y = try #require(b[k], "step \(s + 1): \(k) missing with --precompute-ref")
                #expect(abs(x - y) <= 1e-5 * max(1, abs(x)), "step \(s + 1) \(k): live \(x), cached \(y)")
                compared += 1
            }
        }
        #expect(compared >= 12 * 5)
        if loss == "kto" {
            // The KL baseline was active at some point (otherwise the KL sums would go unchecked).
            #expect(live.contains { ($0["kl"] ?? 0) > 0 }, "z₀ stayed 0: \(live.map { $0["kl"] ?? -1 })")
        }
        // Training works with the cache: held-out desirable rewards end above undesirable ones.
        let e = try #require(cached.last)
        let chosen = try #require(e["eval_rewards/chosen"]), rejected = try #require(e["eval_rewards/rejected"])
        #expect(chosen - rejected > 0.5, "\(loss): rewards chosen \(chosen), rejected \(rejected)")

        // The run folder keeps the cache, and a new trainer for the same data reads it back whole.
        let dir = URL(fileURLWithPath: p.out)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(Trainer.ktoReferenceCacheFile).path))
        let again = try TrainingSetup.prepare(p).trainer
        #expect(again.loadKTOReferenceCache(from: dir))
        #expect(again.ktoReferenceCache.rows.count == run.trainer.ktoReferenceCache.rows.count)
        #expect(again.ktoReferenceCache.klSums == run.trainer.ktoReferenceCache.klSums)
        if loss == "kto" { #expect(!again.ktoReferenceCache.klSums.isEmpty) }
    }

    /// The cached values are the live reference's values for a batch the plan foresaw and for one it
    /// did not (computed on demand).
    @Test func cachedValuesEqualLiveReferenceValues() throws {
        var c = try configuration("kto")
        c.precomputeRefLogProbs = true
        let t = try TrainingSetup.prepare(c).trainer
        t.precomputeKTOReference()
        let foreseen = t.microBatches(forStep: 4)[1]
        for indices in [foreseen, [5, 0, 11, 2]] {
            let rows = t.train.subset(indices)
            let b = BatchTensors(rows.collate(padID: t.padID))
            let k = BatchTensors(try #require(rows.mismatchedCollate(padID: t.padID)))
            let cached = t.cachedKTOReference(set: "train", data: t.train, indices: indices, shape: b.mask.shape)
            let r1 = zip(cached.logps.scalars, t.referenceTokenLogps(b).scalars).map { abs($0 - $1) }.max() ?? 1
            let r2 = zip(try #require(cached.klSums).scalars, t.referenceSequenceSums(k).scalars).map { abs($0 - $1) }.max() ?? 1
            #expect(r1 <= 1e-5 && r2 <= 1e-4, "\(indices): per-token |Δ| \(r1), KL sum |Δ| \(r2)")
            #expect(try #require(cached.klSums).scalars.allSatisfy { $0 < 0 })
        }
    }
}
