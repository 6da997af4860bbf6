// The sampled regime: no demonstration carries an error, so every wrong sample the credit sources
// localise is the SFT model's own — the slips it finds unlikely and the confident errors it makes
// on every sample of a prompt, which the all-wrong set keeps.
@testable import Experiments
import Foundation
import Testing

@Suite struct SampledRegimeTests {
    @Test func everyDemonstrationIsRightAndTheErrorsAreTheModelsOwn() throws {
        var s = CreditDemoSettings.quick
        s.regime = "sampled"
        s.methods = ["dpo"]
        s.preferenceSteps = 5
        s.auxiliarySteps = 5
        #expect(s.resolvedLocalisationSet == "all-wrong")
        let demo = try CreditDemo(settings: s, folder: FileManager.default.temporaryDirectory, log: { _ in })
        let task = try s.makeTask()
        let rows = demo.makeDemonstrations()
        #expect(rows.count == s.sftExamples)
        for (i, r) in rows.enumerated() {
            #expect(r.correct && r.completion == task.example(seed: s.seed, index: i).completion)
        }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-sampled-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try CreditDemo.run(s, folder: folder)
        #expect(r.data.sftInjectedErrors == 0)
        #expect(r.data.plantedErrorRate == nil)
        #expect(r.data.trainPairs > 0 && r.data.evalPairs > 0)
        #expect(r.data.rejectedResponses >= r.data.evalPairs)
        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("0 of them with errors (sampled regime"))
    }

    @Test func onlyTheCreditDemoSamplesItsErrors() throws {
        var s = CreditDemoSettings.quick
        s.regime = "sampled"
        #expect(throws: Never.self) { try s.validate() }
        // demo rm builds its rejected responses, so it refuses the regime by name.
        var rm = RMDemoSettings()
        rm.regime = "sampled"
        #expect(throws: DemoError.self) { try rm.validate() }
    }
}
