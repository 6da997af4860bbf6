// Collaborative filtering of noisy preference pairs, `tokenalign reward --co-filter-rate ρ`. Two
// reward models train side by side from different seeds; on every batch each one scores the pairs
// and hands the other the (1 − ρ) share it finds easiest — the smallest Bradley–Terry loss, i.e. the
// largest reward margin r_c − r_r — and each takes its optimizer step on the pairs its peer chose.
// This is co-teaching's small-loss exchange (Han et al., arXiv 1804.06872), which is also the peer
// review of Collaborative Reward Modeling (CRM, Zhang et al., arXiv 2505.10597: two RMs select each
// other's data by reward margin). Mislabelled pairs are hard to fit, so they tend to have large
// losses under a model that has learnt the clean majority and are left out; exchanging the choice
// keeps one model's own mistakes from confirming themselves. CRM's curriculum (easy-to-hard
// scheduling of the data) is not part of this; ρ is constant (co-teaching ramps it up over its
// first epochs) — docs/design/rewards.md §6.3.
import Datasets
import Foundation
import Models
import Objectives
import Support

public enum CoTeaching {
    /// What the filter did over a run, by training-set index: how often a pair was in a batch and
    /// how often the peer kept it for the first model.
    public struct Report: Sendable, Equatable {
        public var seen: [Int]
        public var keptForFirst: [Int]
        public var keptForPeer: [Int]
    }

    /// The positions of the (1 − ρ)·n smallest losses (at least one; rounded down, as co-teaching's
    /// `int(remember_rate · n)`), in batch order; equal losses keep the earlier position.
    public static func smallLoss(_ losses: [Double], rate ρ: Double) -> [Int] {
        guard !losses.isEmpty else { return [] }
        let keep = max(1, Int(((1 - ρ) * Double(losses.count)).rounded(.down)))
        let order = losses.indices.sorted { losses[$0] < losses[$1] || (losses[$0] == losses[$1] && $0 < $1) }
        return order.prefix(keep).sorted()
    }

    /// The Bradley–Terry loss −log σ(r_c − r_r − m) of every training pair in `indices` under a
    /// trainer's sequence reward model (no graph; the model in eval mode).
    static func pairLosses(_ t: Trainer, indices: [Int]) throws -> [Double] {
        guard case .reward(let head, false) = t.mode, case .pairs(let pairs) = t.train else {
            throw TrainingError.invalidConfiguration("--co-filter-rate trains sequence reward models (--kind bradley-terry or frozen-trunk) on pairs")
        }
        let wasTraining = t.trainable.isTraining
        t.trainable.eval()
        defer { t.trainable.train(wasTraining) }
        let b = BatchTensors(t.train.subset(indices).collate(padID: t.padID))
        let s = RewardStep.sequenceScores(policy: t.policy, head: head, batch: b, padID: t.padID)
        let n = indices.count
        return indices.enumerated().map { k, i in
            // The pair's term of `bradleyTerryLoss`: a tie's is −½ log σ(d) − ½ log σ(−d).
            let d = Double(s[k]) - Double(s[n + k])
            if pairs[i].tie { return -0.5 * ScalarMath.logSigmoid(d) - 0.5 * ScalarMath.logSigmoid(-d) }
            return -ScalarMath.logSigmoid(d - Double(pairs[i].margin ?? 0))
        }
    }

    /// Trains `first` and `peer` (the same training pairs) for `first.totalSteps` steps with the
    /// exchange above; metrics of the first model go to its run folder, with `co_filter/kept` (the
    /// pairs it stepped on) and the peer's loss as `co_filter/peer_loss`.
    public static func run(first a: Trainer, peer b: Trainer, rate ρ: Double,
                           progress: (TrainingEvent) -> TrainingDisposition = { _ in .continue }) throws -> Report {
        guard a.communicator.isSingle else { throw TrainingError.invalidConfiguration("--co-filter-rate runs in one process") }
        guard a.train.count == b.train.count else { throw TrainingError.invalidConfiguration("co-teaching: the two models train on different sets") }
        var report = Report(seen: Array(repeating: 0, count: a.train.count), keptForFirst: Array(repeating: 0, count: a.train.count),
                            keptForPeer: Array(repeating: 0, count: a.train.count))
        a.trainable.train()
        b.trainable.train()
        let total = a.totalSteps
        while a.step < total {
            var forA: [[Int]] = [], forB: [[Int]] = []
            for micro in a.microBatches(forStep: a.step) {
                let la = try pairLosses(a, indices: micro), lb = try pairLosses(b, indices: micro)
                let keptByB = smallLoss(lb, rate: ρ).map { micro[$0] }, keptByA = smallLoss(la, rate: ρ).map { micro[$0] }
                forA.append(keptByB)
                forB.append(keptByA)
                for i in micro { report.seen[i] += 1 }
                for i in keptByB { report.keptForFirst[i] += 1 }
                for i in keptByA { report.keptForPeer[i] += 1 }
            }
            var metrics = try a.trainStep(forA)
            let peer = try b.trainStep(forB)
            a.step += 1
            b.step += 1
            metrics["co_filter/kept"] = Float(forA.reduce(0) { $0 + $1.count })
            metrics["co_filter/rate"] = Float(ρ)
            if let l = peer[MetricName.loss] { metrics["co_filter/peer_loss"] = l }
            metrics["step"] = Float(a.step)
            metrics["epoch"] = Float(a.step) / Float(a.stepsPerEpoch)
            try a.appendMetrics(metrics)
            var disposition = progress(.step(step: a.step, totalSteps: total, metrics: metrics))
            if StopSignals.received != nil { disposition = .stop }
            if let every = a.configuration.evalSteps, every > 0, a.step % every == 0, a.eval != nil {
                let e = a.evaluate()
                try a.appendMetrics(e.merging(["step": Float(a.step)]) { x, _ in x })
                if progress(.evaluation(step: a.step, metrics: e)) == .stop { disposition = .stop }
            }
            if disposition == .stop { break }
        }
        return report
    }
}

enum CoTeachingSetup {
    /// The peer of a co-teaching run: the same starting model loaded again, a head initialised from
    /// seed + 1 (LoRA adapters too), the first model's training and evaluation pairs, no run folder.
    static func peer(configuration c: TrainingConfiguration, mode: TrainerMode, train: TrainingExamples, eval: TrainingExamples?,
                     padID: Int) throws -> Trainer {
        guard c.task == .reward, case .reward(_, false) = mode else {
            throw TrainingError.invalidConfiguration("--co-filter-rate trains two sequence reward models (`tokenalign reward`, --kind bradley-terry or frozen-trunk)")
        }
        guard c.selfTrain == nil else { throw TrainingError.invalidConfiguration("--co-filter-rate and --self-train exclude each other") }
        var p = c
        p.seed = c.seed &+ 1
        p.out = ""
        let model: any LanguageModel, head: RewardHead
        if let loaded = try RewardModelLoader.load(folder: URL(fileURLWithPath: c.model)) {
            (model, head) = (loaded.model, loaded.head)
        } else {
            model = try PretrainedModel.load(path: c.model).model
            head = RewardHead(hiddenSize: model.hiddenSize, seed: p.seed)
        }
        if try RewardModelKinds.registry.entry(named: c.rewardKind).freezeTrunk { model.freeze() }
        return try Trainer(configuration: p, policy: model, mode: .reward(head: head, tokenLevel: false), train: train, eval: eval, padID: padID)
    }
}
