// `tokenalign reward --kind`: the registry's kinds. `frozen-trunk` trains the head alone (every
// backbone weight is bit-identical after training) and still ranks held-out pairs; `token` is
// `--token-level`; an unknown kind is a settings error naming the choices.
import Foundation
import Testing
@testable import Training

@Suite struct RewardModelKindTests {
    @Test func frozenTrunkTrainsOnlyTheHead() throws {
        let data = try syntheticPreferences(train: 16, heldOut: 8)
        var c = TrainingConfiguration()
        c.task = .reward
        c.rewardKind = "frozen-trunk"
        c.model = try modelFolder().path
        c.data = data.train
        c.evalData = data.eval
        c.learningRate = 3e-2
        c.batchSize = 8
        c.maxSteps = 30
        let run = try TrainingSetup.prepare(c)
        let before = parameterBits(run.trainer)
        let headBefore = try #require(run.trainer.trainable.parameters().first { $0.key.hasSuffix("score.weight") }).value.value.scalars
        try run.trainer.run()
        #expect(parameterBits(run.trainer) == before, "the backbone changed")
        let headAfter = try #require(run.trainer.trainable.parameters().first { $0.key.hasSuffix("score.weight") }).value.value.scalars
        #expect(headAfter != headBefore)
        let acc = try #require(run.trainer.evaluate()["eval_accuracy"])
        #expect(acc >= 0.75, "frozen-trunk held-out accuracy \(acc)")
    }

    @Test func kindsComeFromTheRegistry() throws {
        #expect(RewardModelKinds.registry.names == ["bradley-terry", "token", "frozen-trunk", "autoregressive", "multifurcation", "segment",
                                                    "tldr", "minimal-edit", "value", "haf", "grm", "odin", "cloud"])
        var c = TrainingConfiguration()
        c.rewardKind = "nope"
        #expect(throws: TrainingError.self) { try c.validate() }
        let r = try runCLIStatus(["reward", "--model", try modelFolder().path, "--data", "x.jsonl", "--kind", "nope"])
        #expect(r.status == 64 && r.stderr.contains("frozen-trunk"), "\(r.stderr)")
    }
}
