import Datasets
import Foundation
import Models
import Testing
import Training

/// `--loss tgdpo-rewards`: TGDPO guided by the data's own per-token rewards (e.g. a lexicon's).
@Suite struct TGDPORewardsTests {
    /// Preference rows with per-token rewards for every completion token (EOS left out: it gets 0).
    func rows(_ n: Int, offset: Int, reward: (_ chosen: Bool, _ token: Int) -> Double) throws -> String {
        let tokenizer = try #require(try PretrainedModel.load(path: try modelFolder().path).tokenizer)
        let words = ["the", "quick", "brown", "lazy", "tokens", "are", "credit", "jumps", "over"]
        var out: [[String: Any]] = []
        for i in 0 ..< n {
            let k = i + offset
            let prompt = "\(words[k % words.count]) \(words[(k / 3) % words.count]) \(k % 7)"
            let chosen = k % 2 == 0 ? " the quick fox" : " quick brown fox"
            let rejected = k % 2 == 0 ? " the lazy dog" : " lazy brown dog"
            func count(_ c: String) -> Int {
                let full = tokenizer.encode(prompt + c, addSpecialTokens: true)
                return full.count - commonPrefixLength(tokenizer.encode(prompt, addSpecialTokens: true), full)
            }
            out.append(["prompt": prompt, "chosen": chosen, "rejected": rejected,
                        "chosen_token_rewards": (0 ..< count(chosen)).map { reward(true, $0) },
                        "rejected_token_rewards": (0 ..< count(rejected)).map { reward(false, $0) }])
        }
        return try writeJSONL(out)
    }

    func configuration(_ train: String, _ eval: String, loss: String) throws -> TrainingConfiguration {
        var c = try learningConfiguration(train: train, eval: eval, loss: [loss])
        c.alpha = 0.5
        return c
    }

    @Test func heldOutAccuracyRises() throws {
        let r: (Bool, Int) -> Double = { chosen, _ in chosen ? 0.5 : -0.5 }
        let c = try configuration(try rows(16, offset: 0, reward: r), try rows(8, offset: 100, reward: r), loss: "tgdpo-rewards")
        let run = try TrainingSetup.prepare(c)
        try run.trainer.run()
        let after = try #require(run.trainer.evaluate()["eval_rewards/accuracies"])
        #expect(after >= 0.875)
    }

    /// α·r̂ = 0 everywhere: the weights are 1 and the loss is DPO's, step for step.
    @Test func zeroRewardsEqualDPO() throws {
        let r: (Bool, Int) -> Double = { _, _ in 0 }
        let train = try rows(16, offset: 0, reward: r), eval = try rows(8, offset: 100, reward: r)
        var a = try configuration(train, eval, loss: "tgdpo-rewards")
        a.maxSteps = 3
        var b = a
        b.loss = ["sigmoid"]
        let ta = try TrainingSetup.prepare(a).trainer, tb = try TrainingSetup.prepare(b).trainer
        for s in 0 ..< 3 {
            let ma = try ta.trainStep(ta.microBatches(forStep: s)), mb = try tb.trainStep(tb.microBatches(forStep: s))
            #expect(abs((ma["loss"] ?? .nan) - (mb["loss"] ?? -1)) < 1e-6, "step \(s): \(ma["loss"] ?? .nan) vs \(mb["loss"] ?? .nan)")
        }
    }

    @Test func rowsWithoutTokenRewardsAreNamed() throws {
        let data = try syntheticPreferences(train: 4, heldOut: 2)
        let c = try configuration(data.train, data.eval, loss: "tgdpo-rewards")
        #expect {
            try TrainingSetup.prepare(c)
        } throws: { error in
            "\(error)".contains("chosen_token_rewards") && "\(error)".contains(":1")
        }
    }
}
