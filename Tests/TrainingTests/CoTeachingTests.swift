// `tokenalign reward --co-filter-rate ρ` (co-teaching, arXiv 1804.06872; CRM's peer review, arXiv
// 2505.10597): small-loss selection by hand, per-pair losses that average to the Bradley–Terry
// objective's loss, and on fox/dog pairs with a seeded 30% of labels flipped, the pairs each model
// is given are enriched in clean ones and held-out accuracy on clean pairs is compared with plain
// Bradley–Terry at the same noise.
import Datasets
import Foundation
import Objectives
import Support
import Testing
@testable import Training

@Suite struct CoTeachingTests {
    @Test func smallLossByHand() {
        let l = [0.3, 0.1, 0.9, 0.1, 0.5]
        #expect(CoTeaching.smallLoss(l, rate: 0.4) == [0, 1, 3])  // keep ⌊0.6·5⌋ = 3: 0.1, 0.1, 0.3
        #expect(CoTeaching.smallLoss(l, rate: 0) == [0, 1, 2, 3, 4])
        #expect(CoTeaching.smallLoss(l, rate: 0.99) == [1])  // at least one; the earlier of equal losses
        #expect(CoTeaching.smallLoss(l, rate: 0.5) == [1, 3])
        #expect(CoTeaching.smallLoss([], rate: 0.5).isEmpty)
    }

    /// Fox/dog pairs with a seeded `noise` share of the training labels flipped; the held-out
    /// pairs are clean. Returns the flipped training indices too.
    static func noisyData(train: Int, noise: Double, seed: UInt64) throws -> (train: String, eval: String, flipped: Set<Int>) {
        let d = try syntheticPreferences(train: train, heldOut: 16)
        var rows = try JSONLReader.read(d.train).map(\.object)
        var g = SplitMix64(seed: seed)
        var order = Array(rows.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        let flipped = Set(order.prefix(Int((noise * Double(train)).rounded())))
        for i in flipped { (rows[i]["chosen"], rows[i]["rejected"]) = (rows[i]["rejected"], rows[i]["chosen"]) }
        return (try writeJSONL(rows), d.eval, flipped)
    }

    static func configuration(train: String, eval: String) throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        (c.task, c.model, c.data, c.evalData) = (.reward, try modelFolder().path, train, eval)
        (c.learningRate, c.schedule, c.batchSize, c.maxSteps, c.seed) = (3e-3, "constant", 8, 20, 2)
        return c
    }

    @Test func pairLossesAverageToTheObjective() throws {
        let d = try Self.noisyData(train: 8, noise: 0.25, seed: 1)
        var c = try Self.configuration(train: d.train, eval: d.eval)
        c.coFilterRate = 0.25
        let run = try TrainingSetup.prepare(c)
        let micro = run.trainer.microBatches(forStep: 0)[0]
        let losses = try CoTeaching.pairLosses(run.trainer, indices: micro)
        let m = try run.trainer.trainStep([micro])
        let objectiveLoss = Double(try #require(m[MetricName.loss]))
        let mean: Double = losses.reduce(0, +) / Double(losses.count)
        #expect(abs(objectiveLoss - mean) < 1e-5)
        // The peer starts from another head (seed + 1) on the same pairs.
        let peer = try #require(run.peer)
        #expect(peer.train.count == run.trainer.train.count && peer.configuration.seed == c.seed + 1)
        #expect(try CoTeaching.pairLosses(peer, indices: micro) != losses)
    }

    @Test func filtersFlippedPairs() throws {
        let d = try Self.noisyData(train: 40, noise: 0.3, seed: 7)
        let plainRun = try TrainingSetup.prepare(try Self.configuration(train: d.train, eval: d.eval))
        let untrained = try #require(plainRun.trainer.evaluate()["eval_accuracy"])
        try plainRun.trainer.run()
        let plain = try #require(plainRun.trainer.evaluate()["eval_accuracy"])
        var c = try Self.configuration(train: d.train, eval: d.eval)
        c.coFilterRate = 0.3
        let co = try TrainingSetup.prepare(c)
        let report = try CoTeaching.run(first: co.trainer, peer: try #require(co.peer), rate: 0.3)
        let accuracy = try #require(co.trainer.evaluate()["eval_accuracy"])
        func keptShare(_ kept: [Int], _ set: [Int]) -> Double {
            Double(set.map { kept[$0] }.reduce(0, +)) / Double(max(1, set.map { report.seen[$0] }.reduce(0, +)))
        }
        let clean = (0 ..< 40).filter { !d.flipped.contains($0) }, flipped = Array(d.flipped)
        let cleanShare = keptShare(report.keptForFirst, clean), flippedShare = keptShare(report.keptForFirst, flipped)
        let peerClean = keptShare(report.keptForPeer, clean), peerFlipped = keptShare(report.keptForPeer, flipped)
        FileHandle.standardError.write(Data("""
            co-teaching at 30% flipped labels, ρ = 0.3, 20 steps: kept for the first model clean \(cleanShare) flipped \(flippedShare), \
            for the peer clean \(peerClean) flipped \(peerFlipped); held-out clean accuracy co-teaching \(accuracy), plain BT \(plain), untrained \(untrained)

            """.utf8))
        #expect(co.trainer.step == 20)
        #expect(cleanShare > flippedShare + 0.1 && peerClean > peerFlipped + 0.1)
        #expect(accuracy >= plain, "co-teaching \(accuracy) < plain Bradley–Terry \(plain)")
        #expect(accuracy > untrained)
    }
}
