// The systematic error regime end to end: demonstrations that follow a plausible wrong rule make the
// SFT model produce that exact wrong answer on most held-out prompts that admit it — errors made with
// high probability, the case where the model's own confidence cannot localise them for free.
import Experiments
import Foundation
import Testing

@Suite struct SystematicRegimeTests {
    @Test func theSFTModelMakesThePlantedErrorOnMostPromptsThatAdmitIt() throws {
        var s = CreditDemoSettings.quick
        s.regime = "systematic"
        s.systematicShare = 1
        s.localisationSet = "all-wrong"
        s.methods = ["dpo"]
        s.preferenceSteps = 5
        s.auxiliarySteps = 5
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-systematic-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try CreditDemo.run(s, folder: folder)
        #expect(r.data.sftInjectedErrors > 0)
        #expect(r.data.plantedPrompts > 10)
        let rate = try #require(r.data.plantedErrorRate)
        #expect(rate > 0.5, "only \(rate) of the SFT samples on prompts admitting the bug are the planted answer")
        // The all-wrong set keeps prompts whose samples were all wrong, which the paired set drops.
        #expect(r.data.rejectedResponses > r.data.evalPairs,
                "all-wrong localised \(r.data.rejectedResponses) responses, the pairs \(r.data.evalPairs)")
        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("the systematic bug (numbers are sorted as strings"))
        #expect(report.contains("Systematic regime:"))
    }

    @Test func regimeSettingsAreChecked() throws {
        var s = CreditDemoSettings.quick
        s.regime = "sometimes"
        #expect(throws: DemoError.self) { try s.validate() }
        s.regime = "systematic"
        // Every task has a bug now, forbidden last.
        for task in ["add", "chain", "sort", "cipher", "count", "forbidden"] {
            s.task = task
            #expect(throws: Never.self) { try s.validate() }
        }
        s.task = "add"
        s.systematicShare = 1.5
        #expect(throws: DemoError.self) { try s.validate() }
        s.systematicShare = 1
        s.localisationSet = "some"
        #expect(throws: DemoError.self) { try s.validate() }
        let o = try CreditDemoSettings.quick.overriding(with: ["regime": "systematic", "systematic_share": 0.5], source: "x.yaml")
        #expect(o.regime == "systematic" && o.systematicShare == 0.5)
    }
}
