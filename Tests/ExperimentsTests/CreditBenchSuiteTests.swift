// `tokenalign demo --tasks … --seeds …`: several runs summarised across seeds, every source paired
// with the SFT model's confidence on the same responses.
import Evaluation
@testable import Experiments
import Foundation
import Testing

@Suite struct CreditBenchSuiteTests {
    /// Mean 2, sample sd 1, se 1/√3; t(0.975, 2) = 4.303 → half-width 2.4843.
    @Test func seedIntervalIsStudentsT() {
        let e = SeedEstimate([1, 2, 3])
        #expect(e.mean == 2)
        #expect(abs((e.high ?? 0) - (2 + 4.303 / 3.0.squareRoot())) < 1e-9)
        #expect(abs((e.low ?? 0) - (2 - 4.303 / 3.0.squareRoot())) < 1e-9)
        let one = SeedEstimate([0.7])
        #expect(one.low == nil && one.high == nil && one.text == "0.700")
    }

    @Test func twoSeedsAreSummarisedAndPaired() throws {
        var s = CreditDemoSettings.quick
        s.methods = ["dpo"]
        s.preferenceSteps = 5
        s.auxiliarySteps = 5
        s.sftSteps = 400
        s.length = 2
        s.bootstrapResamples = 50
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-suite-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try CreditBenchSuite.run(s, tasks: ["sort"], seeds: [3, 4], folder: folder)
        #expect(r.runs.map(\.seed) == [3, 4] && r.runs.map(\.folder) == ["sort-seed3", "sort-seed4"])
        #expect(r.runs[0].result.settings.seed == 3 && r.runs[1].result.settings.seed == 4)
        #expect(r.runs[0].result.data.trainPairs != r.runs[1].result.data.trainPairs || r.runs[0].result.credit[0].auroc != r.runs[1].result.credit[0].auroc,
                "different seeds give different data and models")
        for f in ["results.json", "report.md", "report.html", "sort-seed3/report.md", "sort-seed4/results.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(f).path), "\(f)")
        }
        let baseline = try #require(r.sources.first { $0.source == CreditBenchSuite.baseline })
        #expect(baseline.aurocMinusConfidence == nil)
        #expect(baseline.auroc.values.count == 2 && baseline.auroc.low != nil)
        // The paired difference equals the mean over all responses of both seeds, computed here
        // independently from the runs' per-response values.
        let random = try #require(r.sources.first { $0.source == "random" })
        var diffs: [Double] = []
        for run in r.runs {
            let a = try #require(run.result.credit.first { $0.name == "random" }?.perResponse)
            let b = try #require(run.result.credit.first { $0.name == CreditBenchSuite.baseline }?.perResponse)
            for (x, y) in zip(a, b) { if let ax = x.auroc, let ay = y.auroc { diffs.append(ax - ay) } }
        }
        let paired = try #require(random.aurocMinusConfidence)
        #expect(abs(paired.value - diffs.reduce(0, +) / Double(diffs.count)) < 1e-9)
        #expect(paired.count == diffs.count)
        #expect(r.policies.map(\.policy) == ["sft", "dpo"])

        // Run again into the same folder: both finished runs are read back, not rerun.
        let seed3 = folder.appendingPathComponent("sort-seed3/results.json").path
        let written = try FileManager.default.attributesOfItem(atPath: seed3)[.modificationDate] as? Date
        var notes: [String] = []
        let again = try CreditBenchSuite.run(s, tasks: ["sort"], seeds: [3, 4], folder: folder) { event in
            if case .note(let n) = event { notes.append(n) }
        }
        #expect(notes.filter { $0.contains("reusing the finished run") }.count == 2)
        #expect(try FileManager.default.attributesOfItem(atPath: seed3)[.modificationDate] as? Date == written)
        #expect(again.runs.map { $0.result.credit.map(\.auroc.value) } == r.runs.map { $0.result.credit.map(\.auroc.value) })
        #expect(again.sources.map(\.auroc.mean) == r.sources.map(\.auroc.mean))
        // A run with other settings is not reused.
        var other = s
        other.bootstrapResamples = 51
        #expect(CreditBenchSuite.finishedRun(in: folder.appendingPathComponent("sort-seed3"), settings: { var o = other; o.task = "sort"; o.seed = 3; return o }()) == nil)

        // The report lists runs that stopped, and says the numbers leave them out.
        var withFailure = r
        withFailure.failures = [.init(task: "sort", seed: 5, reason: "sampling gave 0 training and 0 held-out pairs")]
        let md = CreditBenchSuite.report(withFailure).markdown()
        #expect(md.contains("Runs that stopped") && md.contains("sampling gave 0 training"))
    }

    /// A run whose data cannot form the benchmark is recorded, not fatal; when no run finishes the
    /// suite stops with every reason's first.
    @Test func runsThatCannotFormTheBenchmarkAreRecorded() throws {
        var s = CreditDemoSettings.quick
        s.length = 2
        s.maxValue = 2   // nine distinct lists: every held-out prompt also occurs in training
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-suite-empty-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        var notes: [String] = []
        #expect {
            try CreditBenchSuite.run(s, tasks: ["sort"], seeds: [0, 1], folder: folder) { event in
                if case .note(let n) = event { notes.append(n) }
            }
        } throws: { "\($0)".contains("no run finished") && "\($0)".contains("held-out prompt") && "\($0)".contains("1 more") }
        #expect(notes.filter { $0.contains("stopped:") }.count == 2)
    }

    @Test func badSuitesAreRefusedBeforeAnyRun() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-suite-bad-\(getpid())")
        #expect(throws: DemoError.self) { try CreditBenchSuite.run(.quick, tasks: ["sort", "nope"], seeds: [0], folder: folder) }
        #expect(throws: DemoError.self) { try CreditBenchSuite.run(.quick, tasks: ["sort"], seeds: [1, 1], folder: folder) }
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }
}
