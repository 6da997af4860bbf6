import Foundation
import Testing
import Training

/// Every preference loss trains a tiny Llama (2 layers, C = 64) on a synthetic task (prefer the
/// fox to the dog) so that `rewards/accuracies` on held-out prompts rises well above chance.
@Suite struct PreferenceLearningTests {
    static let losses: [[String]] = [
        ["sigmoid"], ["hinge"], ["ipo"], ["conservative"], ["robust"], ["exo_pair"], ["nca_pair"], ["bco_pair"], ["sppo_hard"],
        ["aot"], ["aot_unpaired"], ["apo_zero"], ["apo_down"], ["discopop"], ["sigmoid_norm"], ["sigmoid", "sft"],
        ["tdpo1"], ["tdpo2"], ["tgdpo"], ["sparsepo"], ["cdpo-critical"], ["rrpo"], ["aligndistil"], ["simpo"],
    ]

    @Test(arguments: losses)
    func heldOutAccuracyRises(_ loss: [String]) throws {
        let model = try modelFolder()
        let data = try syntheticPreferences(train: 16, heldOut: 8)
        var c = TrainingConfiguration()
        c.task = .preference
        c.model = model.path
        c.data = data.train
        c.evalData = data.eval
        c.loss = loss
        c.lossWeights = loss.count > 1 ? [1, 0.5] : nil
        c.labelSmoothing = ["conservative", "robust", "exo_pair", "aot", "aot_unpaired"].contains(loss[0]) ? 0.1 : 0
        c.beta = 0.1
        c.learningRate = 3e-3
        c.schedule = "constant"
        c.batchSize = 8
        c.maxSteps = 12
        c.seed = 1
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
