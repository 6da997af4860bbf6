// The seam: a method registered in one place reaches `tokenalign dpo`, its help and the methods
// table with no other edit; docs/methods.md is what `tokenalign methods --markdown` prints.
import Autograd
import Foundation
import Objectives
import Support
import TestSupport
import Testing
@testable import TokenAlignCLI
import Training

/// A throw-away objective: DPO's sigmoid loss at twice the weight (so its loss is checkable).
struct DoubledSigmoidDPO: Objective {
    var beta: Float
    var name: String { "x-test-doubled-dpo" }
    func compute(_ batch: TokenBatch, normalizer: Normalizer) -> ObjectiveOutput {
        let base = DPO(.sigmoid, beta: beta).compute(batch, normalizer: normalizer)
        return ObjectiveOutput(loss: base.loss * 2, metrics: base.metrics.filter { $0.key != MetricName.loss })
    }
}

@Suite struct MethodSeamTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func methodsTableIsTheCommittedOne() throws {
        let committed = try String(contentsOf: Self.repository.appendingPathComponent("docs/methods.md"), encoding: .utf8)
        // (Throw-away registrations of a concurrently running test are left out.)
        let current = MethodCatalogue.markdown().split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("x-test-") }.joined(separator: "\n")
        #expect(committed == current,
                "docs/methods.md is stale: regenerate it with `tokenalign methods --markdown > docs/methods.md`")
        let plain = MethodCatalogue.plain()
        for name in PreferenceObjectives.registry.names where !name.hasPrefix("x-test-") {
            #expect(plain.contains(name), "`tokenalign methods` does not list \(name)")
        }
    }

    @Test func aRegisteredObjectiveRunsThroughTheCLI() throws {
        // Names starting with x-test- are throw-away registrations; the coverage tests skip them.
        let name = "x-test-doubled-dpo"
        try PreferenceObjectives.registry.register(PreferenceObjectiveEntry(
            card: MethodCard(name: name, summary: "test only: DPO × 2")) { s in DoubledSigmoidDPO(beta: s.beta) })
        defer { PreferenceObjectives.registry.unregister(name) }
        #expect(PreferenceMethod.allNames.contains(name))
        #expect(MethodCatalogue.markdown().contains("`\(name)`"))

        let model = try TestFiles.modelFolder()
        let data = try TestFiles.writeRows((0 ..< 8).map { k in
            ["prompt": "tokens are credit \(k)", "chosen": k % 2 == 0 ? " the quick fox" : " quick brown fox",
             "rejected": k % 2 == 0 ? " the lazy dog" : " lazy brown dog"]
        })
        func firstMetrics(_ loss: String) throws -> [String: Double] {
            let out = TestFiles.temporaryPath("run")
            try run(["dpo", "--model", model.path, "--data", data, "--loss", loss, "--max-steps", "1", "--batch-size", "4", "--seed", "3",
                     "--out", out])
            let rows = try TestFiles.readRows(out + "/metrics.jsonl")
            let first = try #require(rows.first)
            return first.compactMapValues { $0 as? Double }
        }
        let doubled = try firstMetrics(name), plain = try firstMetrics("sigmoid")
        let a = try #require(doubled["loss"]), b = try #require(plain["loss"])
        #expect(abs(a - 2 * b) < 1e-5, "registered objective's loss \(a) should be twice DPO's \(b)")
    }
}
