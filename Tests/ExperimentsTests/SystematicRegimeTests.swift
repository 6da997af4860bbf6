// The systematic error regime end to end: demonstrations that follow a plausible wrong rule make the
// SFT model produce that exact wrong answer on most held-out prompts that admit it — errors made with
// high probability, the case where the model's own confidence cannot localise them for free.
import Experiments
import Foundation
import Testing

@Suite struct SystematicRegimeTests {
    /// The quick demo in the systematic regime with `task`'s bug at `share` (which localises on all
    /// wrong samples by default) and one short DPO run: what the planted-error checks need.
    func systematicSettings(task: String? = nil, share: Double) -> CreditDemoSettings {
        var s = CreditDemoSettings.quick
        if let task { s.task = task }
        s.regime = "systematic"
        s.systematicShare = share
        s.methods = ["dpo"]
        s.preferenceSteps = 5
        s.auxiliarySteps = 5
        return s
    }

    @Test func theSFTModelMakesThePlantedErrorOnMostPromptsThatAdmitIt() throws {
        let s = systematicSettings(share: 1)
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

    /// The same on the other tasks whose bug the quick model (2 layers, hidden 64, 1200 SFT steps)
    /// learns: cipher at share 1 (94% measured) and count at share 0.85 (77%; at share 1 every
    /// count sample follows the bug, no prompt gives a preference pair and the demo stops). `count`
    /// is judged by the rule (a `y` standing for a vowel), since its letters are free. `add`,
    /// `chain` and `forbidden` need the default, larger settings to learn their bugs
    /// (docs/results.md gives the rates); a run of those is minutes, too long for the suite.
    @Test(arguments: [("cipher", 1.0), ("count", 0.85)])
    func theQuickModelLearnsTheBugOf(task: String, share: Double) throws {
        let s = systematicSettings(task: task, share: share)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-systematic-\(task)-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try CreditDemo.run(s, folder: folder)
        #expect(r.data.plantedPrompts > 10)
        let rate = try #require(r.data.plantedErrorRate)
        #expect(rate > 0.5, "\(task): only \(rate) of the SFT samples on prompts admitting the bug follow it")
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
        // `auto` (the default) follows the regime; an explicit set is kept as given.
        var d = CreditDemoSettings()
        #expect(d.localisationSet == "auto" && d.resolvedLocalisationSet == "paired")
        d.regime = "systematic"
        #expect(d.resolvedLocalisationSet == "all-wrong")
        d.localisationSet = "paired"
        #expect(d.resolvedLocalisationSet == "paired")
        #expect(throws: Never.self) { try d.validate() }
        let o = try CreditDemoSettings.quick.overriding(with: ["regime": "systematic", "systematic_share": 0.5], source: "x.yaml")
        #expect(o.regime == "systematic" && o.systematicShare == 0.5)
    }
}
