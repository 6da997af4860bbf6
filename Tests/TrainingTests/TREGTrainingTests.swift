import Foundation
import Objectives
import TensorCore
import Testing
@testable import Training

/// `--loss treg` trains with the paper's DPO-REG form, and its contrastive ("better"/"worse" prompt)
/// passes score tokens with the frozen reference (arXiv 2412.02685), so the token rewards do not
/// drift with the policy.
@Suite struct TREGTrainingTests {
    @Test func contrastivePassesUseTheFrozenReference() throws {
        let data = try syntheticPreferences(train: 8, heldOut: 4)
        var c = TrainingConfiguration()
        c.task = .preference
        c.model = try modelFolder().path
        c.data = data.train
        c.loss = ["treg"]
        c.learningRate = 3e-3
        c.schedule = "constant"
        c.batchSize = 4
        c.maxSteps = 3
        let t = try TrainingSetup.prepare(c).trainer
        guard case .preference(let method) = t.mode, let prefixes = method.contrastivePrefixIDs else {
            Issue.record("treg: no contrastive prefixes")
            return
        }
        let objective = try #require(method.objective as? TREG)
        #expect(objective.form == .paper && objective.alpha == 0.1)
        let b = BatchTensors(t.train.subset([0, 1, 2, 3]).collate(padID: t.padID))
        let before = t.prefixedLogps(prefixes.better, b).scalars
        let policyBefore = t.policy.stateDict()
        var metrics: [[String: Float]] = []
        try t.run { e in
            if case .step(_, _, let m) = e { metrics.append(m) }
            return .continue
        }
        let after = t.prefixedLogps(prefixes.better, b).scalars
        #expect(t.policy.stateDict().contains { policyBefore[$0.key]!.scalars != $0.value.scalars }, "the policy did not train")
        #expect(before == after, "the contrastive passes changed with the policy")
        #expect(before != t.prefixedLogps(prefixes.worse, b).scalars)
        let last = try #require(metrics.last)
        #expect(last["treg/sequence_weight"] != nil && last["loss/regularizer"] != nil)
        #expect(abs(last["loss/regularizer"] ?? 0) > 0, "the regulariser is inactive: \(last)")
    }
}
