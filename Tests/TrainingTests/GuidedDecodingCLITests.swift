// `tokenalign reward --kind autoregressive` (GenARM, arXiv 2410.08193) and `tokenalign generate
// --guide`: the trained autoregressive reward model ranks held-out pairs, the trained models guide
// decoding from the command line, and bad guide input exits 64 with a message saying what was expected.
import Foundation
import Testing
import Tokenizers
import Training

@Suite(.serialized) struct GuidedDecodingCLITests {
    @Test func autoregressiveRewardModelRanksHeldOutPairsAboveChance() throws {
        let data = try syntheticPreferences(train: 32, heldOut: 16)
        var c = TrainingConfiguration()
        c.task = .reward
        c.rewardKind = "autoregressive"
        c.model = try modelFolder().path
        c.data = data.train
        c.evalData = data.eval
        c.beta = 0.1
        c.learningRate = 3e-3
        c.schedule = "constant"
        c.batchSize = 8
        c.maxSteps = 12
        c.seed = 1
        let prepared = try TrainingSetup.prepare(c, tokenizer: nil)
        let before = prepared.trainer.evaluate()
        try prepared.trainer.run()
        let after = prepared.trainer.evaluate()
        // The sequence reward β·Σ log π_r(y_t | x, y_<t) of chosen above rejected on held-out prompts.
        #expect(after["eval_rewards/accuracies"]! >= 0.9, "\(after)")
        #expect(after["eval_rewards/margins"]! > before["eval_rewards/margins"]!, "before \(before), after \(after)")
        // Recomputed independently from the trained model's per-token scores of the held-out rows.
        let tokenizer = prepared.tokenizer
        var correct = 0, total = 0
        for line in try String(contentsOfFile: data.eval, encoding: .utf8).split(separator: "\n") {
            let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: String]
            let prompt = tokenizer.encode(row["prompt"]!)
            func reward(_ completion: String) -> Float {
                let ids = prompt + tokenizer.encode(completion)
                return prepared.trainer.policy.scoreTokens([ids])[0].logprobs.suffix(ids.count - prompt.count).reduce(0, +)
            }
            if reward(row["chosen"]!) > reward(row["rejected"]!) { correct += 1 }
            total += 1
        }
        #expect(Double(correct) / Double(total) > 0.5, "\(correct) of \(total)")
    }

    @Test func trainedModelsGuideGenerationFromTheCommandLine() throws {
        let model = try modelFolder().path
        let data = try syntheticPreferences(train: 8, heldOut: 4)
        let arm = temporaryDirectory().path, rm = temporaryDirectory().path
        _ = try runCLI(["reward", "--kind", "autoregressive", "--model", model, "--data", data.train, "--out", arm,
                        "--max-steps", "2", "--batch-size", "4", "--beta", "0.5"])
        _ = try runCLI(["reward", "--model", model, "--data", data.train, "--out", rm, "--max-steps", "2", "--batch-size", "4"])
        let base = ["generate", "--model", model, "--prompt", "the quick", "--max-new-tokens", "4"]
        for guides in [["--guide", "genarm:\(arm)/model", "--weight", "2"],
                       ["--guide", "rad:\(rm)/model", "--guide-top-k", "5"],
                       ["--guide", "args:\(rm)/model", "--guide", "genarm:\(arm)/model", "--weight", "1.5", "--weight", "0.5"],
                       ["--guide", "layer-contrast:1"],
                       ["--guide", "dola:0,1"],
                       ["--guide", "layer-contrast:high/raw", "--weight", "0.5"],
                       ["--guide", "pad:answer kindly", "--weight", "1.5", "--guide-top-k", "10"]] {
            let r = try runTokenAlign(base + guides)
            #expect(r.status == 0, "\(guides): \(r.stderr)")
            #expect(r.stderr.contains("4 tokens") || r.stderr.contains("finished"), "\(r.stderr)")
        }
        // Bad input: exit 64 and a message naming what was expected.
        let unknown = try runTokenAlign(base + ["--guide", "nope:1"])
        #expect(unknown.status == 64 && unknown.stderr.contains("rad, args, genarm, logits, layer-contrast, pad"), "\(unknown.stderr)")
        let missing = try runTokenAlign(base + ["--guide", "rad"])
        #expect(missing.status == 64 && missing.stderr.contains("needs an argument: rad:RM_DIR"), "\(missing.stderr)")
        let bigK = try runTokenAlign(base + ["--guide", "rad:\(rm)/model", "--guide-top-k", "100000"])
        #expect(bigK.status == 64 && bigK.stderr.contains("larger than the vocabulary"), "\(bigK.stderr)")
        let unpaired = try runTokenAlign(base + ["--guide", "layer-contrast:1", "--weight", "1", "--weight", "2"])
        #expect(unpaired.status == 64 && unpaired.stderr.contains("pair them in order"), "\(unpaired.stderr)")
        let badLayer = try runTokenAlign(base + ["--guide", "layer-contrast:0,2"])
        #expect(badLayer.status == 64 && badLayer.stderr.contains("layer 2 is out of range; expected a layer count from 0 to 1"), "\(badLayer.stderr)")
        let plainLM = try runTokenAlign(base + ["--guide", "rad:\(arm)/model"])
        #expect(plainLM.status == 64 && plainLM.stderr.contains("not a reward-model folder"), "\(plainLM.stderr)")
    }
}
