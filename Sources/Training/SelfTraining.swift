// Semi-supervised reward modelling by self-training (SSRM; He et al., "Semi-Supervised Reward
// Modeling via Iterative Self-Training", arXiv 2409.06903), `tokenalign reward --self-train FILE`.
// After the reward model has trained on the labelled pairs, each round
//
// 1. scores both responses of every unlabelled pair with the current model,
// 2. pseudo-labels the pair: the response with the higher reward is the chosen one,
// 3. keeps it when the model is confident, σ(|r_a − r_b|) ≥ τ (the Bradley–Terry probability of
//    the pseudo-label),
// 4. trains on the labelled ∪ kept pairs,
//
// R rounds. Each round continues from the current weights with a fresh optimizer and schedule and
// the run's budget (epochs or max_steps) over its own set (docs/design/rewards.md §6.2).
import Datasets
import Foundation
import Support

public enum SelfTraining {
    /// τ when `confidence_threshold` is unset (our choice; the paper tunes it).
    public static let defaultConfidenceThreshold: Float = 0.9
    /// R when `self_train_rounds` is unset.
    public static let defaultRounds = 1

    /// One round's pseudo-labels: the kept unlabelled pairs (by index), oriented so that the
    /// higher-reward response is `chosen`.
    public struct Round: Equatable, Sendable {
        public var kept: [Int]
        /// For each kept pair, true when the model preferred the file's "rejected" side.
        public var swapped: [Bool]
        /// Of the kept pairs, the fraction whose pseudo-label agrees with the file's order (a
        /// check when the unlabelled file's order is in fact a label; 0 when none was kept).
        public var agreement: Double {
            kept.isEmpty ? 0 : Double(swapped.filter { !$0 }.count) / Double(kept.count)
        }
    }

    /// Pseudo-labels from the rewards (r_a of the file's "chosen" side, r_b of its "rejected"
    /// side): kept when σ(|r_a − r_b|) ≥ τ. Ties (r_a = r_b) have confidence ½ and are kept only
    /// when τ ≤ ½, oriented as in the file.
    public static func pseudoLabel(_ rewards: [(a: Float, b: Float)], threshold τ: Double) -> Round {
        var round = Round(kept: [], swapped: [])
        for (i, r) in rewards.enumerated() {
            let gap = abs(Double(r.a) - Double(r.b))
            guard 1 / (1 + Foundation.exp(-gap)) >= τ else { continue }
            round.kept.append(i)
            round.swapped.append(r.b > r.a)
        }
        return round
    }

    /// The training pairs of a round: the labelled ones, then the kept pseudo-labelled ones
    /// (swapped where the model preferred the file's second response; no margin).
    public static func union(labelled: [PreferenceExample], unlabelled: [PreferenceExample], round: Round) -> [PreferenceExample] {
        labelled + zip(round.kept, round.swapped).map { i, swap in
            let u = unlabelled[i]
            return PreferenceExample(location: u.location, chosen: swap ? u.rejected : u.chosen, rejected: swap ? u.chosen : u.rejected)
        }
    }

    /// Both rewards of every pair under a trainer's sequence reward model, batch by batch.
    static func rewards(_ trainer: Trainer, pairs: [PreferenceExample]) throws -> [(a: Float, b: Float)] {
        guard case .reward(let head, false) = trainer.mode else {
            throw TrainingError.invalidConfiguration("--self-train pseudo-labels with a sequence reward head (--kind bradley-terry or frozen-trunk)")
        }
        let wasTraining = trainer.trainable.isTraining
        trainer.trainable.eval()
        defer { trainer.trainable.train(wasTraining) }
        let set = TrainingExamples.pairs(pairs)
        var out: [(a: Float, b: Float)] = []
        for lo in stride(from: 0, to: pairs.count, by: trainer.configuration.batchSize) {
            let indices = Array(lo ..< min(lo + trainer.configuration.batchSize, pairs.count))
            let b = BatchTensors(set.subset(indices).collate(padID: trainer.padID))
            let s = RewardStep.sequenceScores(policy: trainer.policy, head: head, batch: b, padID: trainer.padID)
            let n = indices.count
            for k in 0 ..< n { out.append((s[k], s[n + k])) }
        }
        return out
    }

    /// The metrics line logged for a round.
    static func metrics(round r: Int, of rounds: Int, unlabelled: Int, kept: Round, trainRows: Int) -> [String: Float] {
        ["self_train/round": Float(r), "self_train/rounds": Float(rounds), "self_train/unlabelled": Float(unlabelled),
         "self_train/kept": Float(kept.kept.count), "self_train/kept_fraction": Float(kept.kept.count) / Float(max(unlabelled, 1)),
         "self_train/agreement": Float(kept.agreement), "self_train/train_rows": Float(trainRows)]
    }

    /// Trains `first` (already prepared on the labelled pairs), then `rounds` self-training rounds
    /// on `unlabelled`; returns the trainer of the last round (the model, head and eval set are
    /// shared by every round). The kept counts go to metrics.jsonl, one line per round.
    public static func run(first: Trainer, unlabelled: [PreferenceExample], rounds: Int, threshold: Double,
                           progress: @escaping (TrainingEvent) -> TrainingDisposition = { _ in .continue }) throws -> Trainer {
        guard case .pairs(let labelled) = first.train else {
            throw TrainingError.invalidConfiguration("--self-train needs preference pairs as --data")
        }
        try ContextCheck.check(.pairs(unlabelled), set: "self_train", models: [("policy", first.policy)], extra: 0, ktoMismatch: false)
        try first.run(progress: progress)
        var trainer = first
        for r in 1 ..< max(rounds, 0) + 1 {
            if StopSignals.received != nil { break }  // SIGINT / SIGTERM: the model as it is now
            let round = pseudoLabel(try rewards(trainer, pairs: unlabelled), threshold: threshold)
            let train = union(labelled: labelled, unlabelled: unlabelled, round: round)
            try trainer.appendMetrics(metrics(round: r, of: rounds, unlabelled: unlabelled.count, kept: round, trainRows: train.count))
            var c = trainer.configuration
            c.loraRank = nil  // the adapters of the first round are in the model already
            c.saveSteps = nil  // step numbers restart each round: only the final checkpoint is written
            trainer = try Trainer(configuration: c, policy: trainer.policy, reference: nil, mode: trainer.mode, train: .pairs(train),
                                  eval: trainer.eval, padID: trainer.padID, outputDirectory: trainer.outputDirectory)
            try trainer.run(progress: progress)
        }
        return trainer
    }
}

enum SelfTrainingSetup {
    /// Reads `--self-train`'s unlabelled pairs, after checking that the run can pseudo-label them
    /// (a sequence reward head).
    static func load(_ path: String, configuration c: TrainingConfiguration, mode: TrainerMode, encoder: DatasetEncoder,
                     policy: InvalidRowPolicy, reports: inout [LoadReport]) throws -> [PreferenceExample] {
        guard c.task == .reward, case .reward(_, false) = mode else {
            throw TrainingError.invalidConfiguration("--self-train is SSRM for `tokenalign reward` with a sequence head (--kind bradley-terry or frozen-trunk)")
        }
        let d = try DatasetLoader.preferences(path, encoder: encoder, policy: policy)
        reports.append(d.report)
        guard !d.examples.isEmpty else { throw TrainingError.invalidConfiguration("--self-train \(path): no unlabelled pairs") }
        return d.examples
    }
}
