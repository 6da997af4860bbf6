import Foundation
import Objectives
import Testing
import Training

/// Every preference loss trains a tiny Llama (2 layers, C = 64) on a synthetic task (prefer the
/// fox to the dog) so that `rewards/accuracies` on held-out prompts rises well above chance.
@Suite struct PreferenceLearningTests {
    /// Registered objectives whose learning test lives in its own suite (they need data or
    /// models this synthetic task does not have).
    static let learnedElsewhere: [String: String] = [
        "tgdpo-rewards": "TGDPORewardsTests.heldOutAccuracyRises (rows carry token rewards)",
        "sparsepo-learned": "SparsePOLearnedTests", "sparsepo-learned-indp": "SparsePOLearnedTests",
        "kto": "KTOPrecomputeTests (unpaired rows)", "apo_zero_unpaired": "KTOPrecomputeTests (unpaired rows)",
        "sft": "the [sigmoid, sft] mix below (sft alone is not a preference loss)",
        "cdpo-critical-code": "cdpo-critical (same trainer path, other weight form)",
    ]

    /// Every registered pair objective alone, plus MPO's mix.
    static let losses: [[String]] = PreferenceObjectives.registry.names
        .filter { learnedElsewhere[$0] == nil && !$0.hasPrefix("x-test-") }.map { [$0] }
        + [["sigmoid", "sft"]]

    @Test func everyRegisteredObjectiveHasALearningTest() {
        for name in PreferenceObjectives.registry.names where !name.hasPrefix("x-test-") {
            #expect(Self.losses.contains([name]) || Self.learnedElsewhere[name] != nil, "\(name) has no learning test")
        }
    }

    @Test(arguments: losses)
    func heldOutAccuracyRises(_ loss: [String]) throws {
        let model = try modelFolder()
        let data = try syntheticPreferences(train: 16, heldOut: 8)
        var c = try learningConfiguration(train: data.train, eval: data.eval, loss: loss)
        c.lossWeights = loss.count > 1 ? [1, 0.5] : nil
        c.labelSmoothing = ["conservative", "robust", "exo_pair", "aot", "aot_unpaired"].contains(loss[0]) ? 0.1 : 0
        // Guides for the methods that need auxiliary models: the (frozen) starting model.
        switch loss[0] {
        case "tgdpo": c.guide = [model.path]
        case "aligndistil":
            // AlignDistil distils from a DPO model: train one first (sigmoid, same data).
            var d = c
            d.loss = ["sigmoid"]
            d.out = temporaryDirectory().path
            let dpo = try TrainingSetup.prepare(d)
            try dpo.trainer.run()
            var p = dpo.pretrained
            p.tokenizer = dpo.tokenizer
            let folder = URL(fileURLWithPath: d.out).appendingPathComponent("model")
            try p.save(to: folder)
            c.guide = [folder.path]
        case "cdpo-critical": c.guide = [model.path, model.path]
        default: break
        }
        let run = try TrainingSetup.prepare(c)
        let before = run.trainer.evaluate()["eval_rewards/accuracies"] ?? -1
        try run.trainer.run()
        let after = try #require(run.trainer.evaluate()["eval_rewards/accuracies"])
        #expect(after >= 0.875, "\(loss): held-out accuracy \(before) → \(after)")
    }
}

/// SFT lowers the NLL of the completions; a Bradley–Terry reward model learns to rank.
@Suite struct SFTAndRewardTests {
    @Test func sftLowersLoss() throws {
        let model = try modelFolder()
        let data = try writeJSONL((0 ..< 8).map { ["prompt": "count \($0 % 4)", "completion": " the quick brown fox"] })
        var c = TrainingConfiguration()
        c.task = .sft
        c.model = model.path
        c.data = data
        c.learningRate = 3e-3
        c.batchSize = 4
        c.maxSteps = 10
        let run = try TrainingSetup.prepare(c)
        let before = try #require(run.trainer.evaluate()["eval_loss"])
        try run.trainer.run()
        let after = try #require(run.trainer.evaluate()["eval_loss"])
        #expect(after < before * 0.5, "SFT loss \(before) → \(after)")
    }

    @Test func rewardModelRanksHeldOutPairs() throws {
        let model = try modelFolder()
        let data = try syntheticPreferences(train: 16, heldOut: 8)
        var c = TrainingConfiguration()
        c.task = .reward
        c.model = model.path
        c.data = data.train
        c.evalData = data.eval
        c.learningRate = 3e-3
        c.batchSize = 8
        c.maxSteps = 12
        let run = try TrainingSetup.prepare(c)
        try run.trainer.run()
        let acc = try #require(run.trainer.evaluate()["eval_accuracy"])
        #expect(acc >= 0.875)
    }
}

/// KTO on unpaired rows: held-out desirable completions end with a higher implicit reward than
/// undesirable ones.
@Suite struct KTOLearningTests {
    @Test(arguments: ["kto", "apo_zero_unpaired"])
    func heldOutRewardsSeparate(_ loss: String) throws {
        let model = try modelFolder()
        func rows(_ n: Int, offset: Int) -> [[String: Any]] {
            (0 ..< n).map { i in
                let good = i % 2 == 0
                return ["prompt": "tokens are \((i + offset) % 7)", "completion": good ? " the quick fox" : " the lazy dog", "label": good]
            }
        }
        var c = TrainingConfiguration()
        c.task = .preference
        c.model = model.path
        c.data = try writeJSONL(rows(16, offset: 0))
        c.evalData = try writeJSONL(rows(8, offset: 3))
        c.loss = [loss]
        c.learningRate = 3e-3
        c.schedule = "constant"
        c.batchSize = 8
        c.maxSteps = 12
        let run = try TrainingSetup.prepare(c)
        try run.trainer.run()
        let m = run.trainer.evaluate()
        let chosen = try #require(m["eval_rewards/chosen"]), rejected = try #require(m["eval_rewards/rejected"])
        #expect(chosen - rejected > 0.5, "\(loss): rewards chosen \(chosen), rejected \(rejected)")
    }
}

/// Gradient accumulation with the global normaliser (docs/design/objectives.md §0.3): 2 micro-batches of 2
/// take the same step as one batch of 4, even when the micro-batches hold different token counts
/// (per-micro-batch averaging would not).
@Suite struct GradientAccumulationTests {
    @Test(arguments: ["sft", "sigmoid"])
    func accumulatedStepEqualsFullBatchStep(_ what: String) throws {
        let model = try modelFolder()
        var c = TrainingConfiguration()
        if what == "sft" {
            c.task = .sft
            c.data = try writeJSONL((0 ..< 4).map { ["prompt": "count", "completion": String(repeating: " fox", count: [1, 2, 3, 6][$0])] })
        } else {
            c.task = .preference
            c.data = try syntheticPreferences(train: 4, heldOut: 1).train
        }
        c.model = model.path
        c.maxSteps = 1
        c.learningRate = 1e-2
        c.maxGradNorm = 0
        c.seed = 3
        var full = c
        full.batchSize = 4
        var accumulated = c
        accumulated.batchSize = 2
        accumulated.gradientAccumulationSteps = 2
        let a = try TrainingSetup.prepare(full).trainer, b = try TrainingSetup.prepare(accumulated).trainer
        let ma = try a.trainStep(a.microBatches(forStep: 0)), mb = try b.trainStep(b.microBatches(forStep: 0))
        #expect(abs(ma["loss"]! - mb["loss"]!) < 1e-5, "loss \(ma["loss"]!) vs \(mb["loss"]!)")
        #expect(abs(ma["grad_norm"]! - mb["grad_norm"]!) < 1e-4 * ma["grad_norm"]!, "grad norm \(ma["grad_norm"]!) vs \(mb["grad_norm"]!)")
        // Compare the accumulated gradients (AdamW's first step is ≈ ±lr·sign(g), which would
        // magnify rounding in near-zero gradients).
        let gb = Dictionary(uniqueKeysWithValues: b.policy.namedParameters().map { ($0.key, $0.parameter.grad) })
        var worst: Float = 0, scale: Float = 0
        for (k, p) in a.policy.namedParameters() {
            guard let g = p.grad, let h = gb[k] ?? nil else { continue }
            worst = max(worst, zip(g.scalars, h.scalars).map { abs($0 - $1) }.max() ?? 0)
            scale = max(scale, g.scalars.map(abs).max() ?? 0)
        }
        #expect(scale > 0 && worst <= 1e-5 * scale, "max gradient difference \(worst) (largest gradient \(scale))")
    }
}

/// The token-level reward head learns where annotated errors are, and the reward model is saved as
/// a sequence classifier with `score.weight`.
@Suite struct TokenRewardModelTests {
    @Test func tokenLevelHeadLearnsErrorSpans() throws {
        let model = try modelFolder()
        func rows(_ n: Int, offset: Int) -> [[String: Any]] {
            (0 ..< n).map { i in
                // rejected " the quick dog": the error span is "dog" (characters 11..<14).
                ["prompt": "tokens are \((i + offset) % 7)", "chosen": " the quick fox", "rejected": " the quick dog",
                 "rejected_error_spans": [["start": 11, "end": 14, "severity": "major"]]]
            }
        }
        var c = TrainingConfiguration()
        c.task = .reward
        c.tokenLevel = true
        c.model = model.path
        c.data = try writeJSONL(rows(16, offset: 0))
        c.evalData = try writeJSONL(rows(4, offset: 3))
        c.out = temporaryDirectory().path
        c.learningRate = 3e-3
        c.batchSize = 8
        c.maxSteps = 15
        let run = try TrainingSetup.prepare(c)
        try run.trainer.run()
        let acc = try #require(run.trainer.evaluate()["eval_token_accuracy"])
        #expect(acc > 0.95, "token accuracy \(acc)")
        var p = run.pretrained
        p.tokenizer = run.tokenizer
        let folder = URL(fileURLWithPath: c.out).appendingPathComponent("model")
        try run.trainer.saveModel(p, to: folder)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as! [String: Any]
        #expect(config["architectures"] as? [String] == ["LlamaForSequenceClassification"])
        #expect(config["num_labels"] as? Int == 1)
    }
}
