// `tokenalign reward --kind segment` (arXiv 2501.02790): on the fox/dog task the segment reward
// model's loss falls and it ranks held-out pairs well above chance, with the responses really cut
// into several segments; the saved folder records its threshold; bad settings and bad
// `segment-rm:` arguments exit 64 naming what was wrong.
import Foundation
import Models
import Objectives
import Testing
@testable import Training

@Suite struct SegmentRewardModelKindTests {
    /// The median next-token entropy of the training responses under the starting model (a
    /// threshold that cuts them into several segments), and their mean length in tokens.
    static func medianEntropy(_ c: TrainingConfiguration) throws -> (median: Float, tokens: Double) {
        var probe = c
        probe.segmentEntropyThreshold = 0
        let run = try TrainingSetup.prepare(probe)
        let b = BatchTensors(run.trainer.train.collate(padID: run.trainer.padID))
        let logits = Forward.frozenLogits(run.pretrained.model, b.ids)
        let V = logits.shape[2], m = b.mask.scalars
        var h: [Float] = []
        logits.withUnsafeBufferPointer { z in
            for k in m.indices where m[k] != 0 { h.append(ResponseScoring.entropy(z.baseAddress! + k * V, V)) }
        }
        return (h.sorted()[h.count / 2], Double(h.count) / Double(b.mask.shape[0]))
    }

    @Test func learnsToRankWithSeveralSegments() throws {
        let data = try syntheticPreferences(train: 16, heldOut: 8)
        var c = TrainingConfiguration()
        (c.task, c.rewardKind, c.model, c.out) = (.reward, "segment", try modelFolder().path, temporaryDirectory().path)
        (c.data, c.evalData) = (data.train, data.eval)
        (c.learningRate, c.batchSize, c.maxSteps) = (3e-3, 8, 12)  // as the Bradley–Terry learning test
        let probe = try Self.medianEntropy(c)
        c.segmentEntropyThreshold = probe.median
        let run = try TrainingSetup.prepare(c)
        guard case .segmentReward(_, let segments) = run.trainer.mode else { Issue.record("not the segment mode"); return }
        let count = segments.meanCount(set: "train")
        // Several segments, clearly fewer than one per token.
        #expect(count > 1.5 && count < 0.8 * probe.tokens, "segments per response \(count), tokens \(probe.tokens)")
        let before = try #require(run.trainer.evaluate()["eval_accuracy"])
        var losses: [Float] = []
        try run.trainer.run { event in
            if case .step(_, _, let m) = event, let l = m[MetricName.loss] { losses.append(l) }
            return .continue
        }
        let after = run.trainer.evaluate()
        let acc = try #require(after["eval_accuracy"])
        #expect(acc >= 0.875, "held-out accuracy \(acc) (before training \(before))")
        #expect(losses.count == 12 && losses.suffix(3).reduce(0, +) / 3 < losses[0] - 0.1, "losses \(losses)")
        #expect(try #require(after["eval_segments/count"]) > 1.5)
        var p = run.pretrained
        p.tokenizer = run.tokenizer
        let folder = URL(fileURLWithPath: c.out).appendingPathComponent("model")
        try run.trainer.saveModel(p, to: folder)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as! [String: Any]
        #expect(config["tokenalign_token_level"] as? Bool == true)
        #expect((config["tokenalign_segment_entropy_threshold"] as? NSNumber)?.floatValue == probe.median)
    }

    /// Stop at step 2 of 4 and resume: the head and every backbone weight equal the uninterrupted
    /// run's bit for bit (the segments are recomputed from the starting model, not the checkpoint).
    @Test func interruptAndResumeIsBitIdentical() throws {
        func configuration(_ out: URL) throws -> TrainingConfiguration {
            var c = TrainingConfiguration()
            c.task = .reward
            c.rewardKind = "segment"
            c.segmentEntropyThreshold = 5.62
            c.model = try modelFolder().path
            c.data = try syntheticPreferences(train: 8, heldOut: 2).train
            c.out = out.path
            (c.batchSize, c.gradientAccumulationSteps, c.maxSteps, c.learningRate, c.seed) = (2, 2, 4, 1e-3, 3)
            return c
        }
        let (a, b, step) = try interruptAndResume(stopAt: 2, configuration)
        #expect(step == 4)
        #expect(a.keys.contains { $0.hasSuffix("score.weight") } && a.keys.sorted() == b.keys.sorted())
        #expect(a.keys.filter { a[$0] != b[$0] }.isEmpty)
    }

    @Test func badSettingsExit64() throws {
        let model = try modelFolder().path
        let data = try syntheticPreferences(train: 4, heldOut: 2).train
        let negative = try runCLIStatus(["reward", "--model", model, "--data", data, "--kind", "segment", "--segment-entropy-threshold", "-1"])
        #expect(negative.status == 64 && negative.stderr.contains("segment_entropy_threshold"), "\(negative.stderr)")
        let both = try runCLIStatus(["reward", "--model", model, "--data", data, "--kind", "segment", "--token-level", "--max-steps", "1"])
        #expect(both.status == 64 && both.stderr.contains("exclude each other"), "\(both.stderr)")
    }

    @Test func badSegmentRMArgumentsExit64() throws {
        let model = try modelFolder().path
        let prompts = try writeJSONL([["prompt": "a b"]])
        // A Bradley–Terry reward model folder (it records no segment threshold).
        let out = temporaryDirectory().path
        let trained = try runCLIStatus(["reward", "--model", model, "--data", try syntheticPreferences(train: 4, heldOut: 2).train, "--max-steps", "1",
                                        "--out", out])
        #expect(trained.status == 0, "\(trained.stderr)")
        let bt = out + "/model"
        for (spec, message) in [("segment-rm", "needs a folder"), ("segment-rm:\(bt),x", "THRESHOLD must be a number"),
                                ("segment-rm:\(bt),1,-2", "BINS must be an integer"), ("segment-rm:\(bt),1,2,smear", "unknown SPREAD"),
                                ("segment-rm:\(bt),1,2,split,9", "at most three options"),
                                ("segment-rm:\(bt)", "records no entropy threshold"), ("segment-rm:/nonexistent/rm,1", "not a reward-model folder")] {
            let r = try runCLIStatus(["grpo", "--model", model, "--prompts", prompts, "--reward", spec, "--max-completion-length", "2", "--max-steps", "1"])
            #expect(r.status == 64 && r.stderr.contains(message), "\(spec): \(r.status) \(r.stderr)")
        }
    }
}
