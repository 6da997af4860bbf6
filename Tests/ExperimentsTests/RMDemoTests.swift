@testable import Experiments
import Evaluation
import Datasets
import Foundation
import CreditBench
import Testing
import Training

/// `tokenalign demo rm --quick`: every registered kind, every training method, the ensemble and DPO
/// run on the same CreditBench rows and are scored by the same harness; the same settings write
/// byte-identical results.
@Suite struct RMDemoTests {
    @Test func quickRunIsCompleteAndReproducible() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ta-rm-demo-\(UUID().uuidString)")
        let s = RMDemoSettings.quick
        let t0 = ContinuousClock.now
        let a = try RMDemo.run(s, folder: base.appendingPathComponent("a"))
        let seconds = StageTimer.seconds(since: t0)
        #expect(a.rows.map(\.name) == RMDemo.contenders)
        // Every registered kind applies to CreditBench (it has truth for every annotation) and ran on every seed.
        for entry in RewardModelKinds.registry.entries {
            let row = try #require(a.rows.first { $0.name == entry.card.name })
            #expect(row.notApplicable == nil, "\(entry.card.name): \(row.notApplicable ?? "")")
            #expect(row.runs.map(\.seed) == s.seeds.map { $0 }, "\(entry.card.name)")
            #expect(row.rows == RMDemoRows.of(entry).rawValue)
            // Token-level kinds are scored for first-error localisation; the others are not.
            #expect((row.top1 != nil) == entry.tokenLevel, "\(entry.card.name)")
        }
        for row in a.rows where row.notApplicable == nil {
            let acc = try #require(row.pairAccuracy, "\(row.name)")
            #expect((0 ... 1).contains(acc.value) && acc.low <= acc.value && acc.value <= acc.high, "\(row.name)")
            #expect(row.runs.allSatisfy { $0.pairCorrect.count == a.data.evalPairs }, "\(row.name)")
            // Every robustness transformation of the harness was applied.
            #expect(row.runs.allSatisfy { Set($0.robustness.keys) == Set(RobustnessTransform.allCases.map(\.rawValue)) }, "\(row.name)")
            // The per-seed accuracy is the mean of the pairs' correctness, and the row pools the seeds.
            for run in row.runs { #expect(run.pairAccuracy == Double(run.pairCorrect.filter { $0 }.count) / Double(run.pairCorrect.count)) }
            #expect(abs(acc.value - row.runs.map(\.pairAccuracy).reduce(0, +) / Double(row.runs.count)) < 1e-12, "\(row.name)")
            if row.name != RMDemoSummary.baseline { #expect(row.differenceFromBT != nil, "\(row.name)") }
        }
        // The ensemble's members are the two seeds' BT models; DPO is scored against the base model.
        #expect(a.rows.first { $0.name == RMDemo.ensembleName }?.runs.count == 1)
        #expect(a.rows.first { $0.name == RMDemo.dpoName }?.runs.count == s.seeds.count)
        // The base model's own likelihood: one untrained run.
        #expect(a.rows.first { $0.name == RMDemo.baseLikelihoodName }?.runs.count == 1)
        #expect(a.data.trainPairs == s.trainPairs && a.data.evalPairs > 0 && a.data.missing.isEmpty)
        #expect(a.top1Chance > 0 && a.top1Chance < 1)
        for f in ["settings.json", "results.json", "report.md", "report.html", "timing.json", "data/pairs.jsonl", "data/hard-negatives.jsonl",
                  "data/edit-labels.jsonl", "data/value-targets.jsonl", "data/teacher-targets.jsonl", "data/eval.jsonl", "data/critiques.jsonl",
                  "models/sft/model.safetensors", "models/bradley-terry/seed-0/model.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("a/\(f)").path), "missing \(f)")
        }
        let b = try RMDemo.run(s, folder: base.appendingPathComponent("b"))
        #expect(a == b)
        for f in ["results.json", "report.md"] {
            let x = try Data(contentsOf: base.appendingPathComponent("a/\(f)")), y = try Data(contentsOf: base.appendingPathComponent("b/\(f)"))
            #expect(x == y, "\(f) differs between two runs with the same settings")
        }
        #expect(try RMDemoResult.load(from: base.appendingPathComponent("a/results.json")) == a)
        print("demo rm --quick: \(String(format: "%.1f", seconds)) s")
        try? FileManager.default.removeItem(at: base)
    }

    /// On another task every contender is still in the table: each kind either ran on every seed or is
    /// listed n/a with its registry inputs and the reason. On `add` (reversed sums) every kind's rows
    /// are made: the rollout verifier rebuilds the task from the prompt rows' `task_knobs`.
    @Test func reversedAdditionMakesEveryKindsRows() throws {
        var s = RMDemoSettings.quick
        s.task = "add"
        s.seeds = [0]
        s.rmSteps = 2
        let r = try RMDemo.run(s, folder: FileManager.default.temporaryDirectory.appendingPathComponent("ta-rm-demo-add-\(UUID().uuidString)"))
        #expect(r.rows.map(\.name) == RMDemo.contenders)
        // Reversed addition's prompt rows carry their task_knobs, so the verifier reads the base
        // model's rollouts and the value and multifurcation rows are made (they were n/a before).
        #expect(r.data.missing.isEmpty, "\(r.data.missing)")
        #expect(r.rows.first { $0.name == "value" }?.notApplicable == nil && r.rows.first { $0.name == "multifurcation" }?.notApplicable == nil)
        for entry in RewardModelKinds.registry.entries {
            let row = try #require(r.rows.first { $0.name == entry.card.name })
            if let why = row.notApplicable {
                #expect(why.contains(entry.card.inputs.joined(separator: "; ")) && row.runs.isEmpty && row.pairAccuracy == nil, "\(why)")
                #expect(r.data.missing[row.rows] != nil || why.contains("token_rewards"), "\(why)")
            } else {
                #expect(row.runs.count == 1 && row.pairAccuracy != nil, "\(entry.card.name)")
            }
        }
        #expect(r.rows.first { $0.name == RMDemoSummary.baseline }?.notApplicable == nil)
        // One seed: no ensemble, and the table says why.
        #expect(r.rows.first { $0.name == RMDemo.ensembleName }?.notApplicable?.contains("two seeds") == true)
        #expect(RMDemo.text(r).contains("n/a: needs at least two seeds"))
    }

    /// The systematic regime: the base model is trained on the bug, the training pairs' rejected side
    /// is the bug's answer wherever the problem admits it, and every held-out pair tests the bug.
    @Test func systematicRegimeTestsTheBug() throws {
        var s = RMDemoSettings.quick
        s.regime = "systematic"
        s.seeds = [0]
        s.rmSteps = 2
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ta-rm-demo-systematic-\(UUID().uuidString)")
        let r = try RMDemo.run(s, folder: folder)
        let task = try #require(try s.makeTask() as? any SystematicBugTask)
        let held = try JSONLReader.read(folder.appendingPathComponent("data/eval.jsonl").path).map(\.object)
        #expect(!held.isEmpty && held.count == r.data.evalPairs)
        for row in held {
            let e = try task.example(fromPrompt: row["prompt"] as! String)
            #expect(row["rejected"] as? String == task.systematicError(for: e)?.response, "\(row)")
        }
        let pairs = try JSONLReader.read(folder.appendingPathComponent("data/pairs.jsonl").path).map(\.object)
        let following = try pairs.filter { try task.followsBug($0["rejected"] as! String, for: task.example(fromPrompt: $0["prompt"] as! String)) }.count
        #expect(following > 0 && following == r.data.systematicPairs)
        #expect(RMDemoSummary.report(r).markdown().contains("systematic regime"))
        // CLoud trains on the same pairs as every other kind (it used to read the injected slips).
        let critiques = try JSONLReader.read(folder.appendingPathComponent(RMDemoRows.critiques.file).path).map(\.object)
        #expect(critiques.map { $0["rejected"] as? String } == pairs.map { $0["rejected"] as? String })
    }

    /// `train_rejected: slips` in the systematic regime: the training pairs carry the task's injected
    /// slips, as in the injected regime, while every held-out pair still tests the bug.
    @Test func slipsOnlyTrainingStillTestsTheBug() throws {
        var s = RMDemoSettings.quick
        s.regime = "systematic"
        s.trainRejected = "slips"
        s.seeds = [0]
        s.rmSteps = 2
        s.only = ["bradley-terry"]
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ta-rm-demo-slips-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try RMDemo.run(s, folder: folder)
        let task = try #require(try s.makeTask() as? any SystematicBugTask)
        let pairs = try JSONLReader.read(folder.appendingPathComponent("data/pairs.jsonl").path).map(\.object)
        // Each rejected side is the slip of an example with its prompt (the training indices are the
        // first examples that give every kind's rows, so a prompt may recur at several indices).
        let slipsByPrompt = Dictionary(grouping: (0 ..< 8 * s.trainPairs).map { i -> (String, String) in
            let e = task.example(seed: s.seed, index: i)
            return (e.prompt, task.injectedError(for: e, seed: s.seed, index: i).response)
        }, by: \.0).mapValues { Set($0.map(\.1)) }
        #expect(!pairs.isEmpty)
        for row in pairs {
            #expect(slipsByPrompt[row["prompt"] as! String]?.contains(row["rejected"] as! String) == true, "\(row)")
        }
        let held = try JSONLReader.read(folder.appendingPathComponent("data/eval.jsonl").path).map(\.object)
        for row in held {
            let e = try task.example(fromPrompt: row["prompt"] as! String)
            #expect(row["rejected"] as? String == task.systematicError(for: e)?.response)
        }
        #expect(RMDemoSummary.report(r).markdown().contains("no reward model saw the bug in training"))

        var injected = RMDemoSettings.quick
        injected.trainRejected = "slips"
        #expect(throws: DemoError.self) { try injected.validate() }
        injected.trainRejected = "bugs"
        #expect(throws: DemoError.self) { try injected.validate() }
    }

    /// A kind's rows follow from its registry entry: token labels → hard negatives, token rewards
    /// with BCE → value targets, other token rewards → edit labels, multifurcation → teacher targets.
    @Test func everyKindReadsTheRowsItsEntryNames() {
        for e in RewardModelKinds.registry.entries {
            let rows = RMDemoRows.of(e)
            if e.critiqueOutLoud { #expect(rows == .critiques) }
            else if e.multifurcation { #expect(rows == .teacherTargets) }
            else if let spec = e.tokenKind {
                #expect(rows == (spec.targets == .labels ? .hardNegatives : spec.rewardLoss == .binaryCrossEntropy ? .valueTargets : .editLabels), "\(e.card.name)")
            } else { #expect(rows == .pairs, "\(e.card.name)") }
            // Rollout targets cover the completion only: those kinds train (and are scored) without an EOS.
            #expect(rows.appendsEOS == !(rows == .valueTargets || rows == .teacherTargets))
        }
        #expect(RMDemoRows.of(try! RewardModelKinds.registry.entry(named: "tldr")) == .hardNegatives)
        #expect(RMDemoRows.of(try! RewardModelKinds.registry.entry(named: "value")) == .valueTargets)
        #expect(RMDemoRows.of(try! RewardModelKinds.registry.entry(named: "minimal-edit")) == .editLabels)
        #expect(RMDemoRows.of(try! RewardModelKinds.registry.entry(named: "cloud")) == .critiques)
    }

    @Test func settingsAreChecked() {
        var s = RMDemoSettings.quick
        s.rollouts = 3
        #expect { try s.validate() } throws: { "\($0)".contains("rollouts") }
        s = .quick
        s.seeds = []
        #expect { try s.validate() } throws: { "\($0)".contains("seeds") }
        s = .quick
        s.seeds = [1, 1]
        #expect { try s.validate() } throws: { "\($0)".contains("seeds") }
        s = .quick
        s.task = "juggle"
        #expect { try s.validate() } throws: { "\($0)".contains("task") }
        s = .quick
        s.hiddenSize = 30
        s.heads = 4
        #expect { try s.validate() } throws: { "\($0)".contains("hidden_size") }
        s = .quick
        s.coFilterRate = 1
        #expect { try s.validate() } throws: { "\($0)".contains("co_filter_rate") }
        #expect(throws: DemoError.self) { try RMDemoSettings.quick.overriding(with: ["rm_step": 3], source: "x.yaml") }
        #expect(throws: Never.self) { try RMDemoSettings().validate() }
        s = .quick
        s.only = ["bradley-terry", "clod"]
        #expect { try s.validate() } throws: { "\($0)".contains("only") }
    }

    /// `only` runs the named contenders and leaves the others out of the table; CLoud's row is built
    /// from the critique rows (the pairs with the verifier's critiques) and paired with BT.
    @Test func onlyRunsTheNamedContenders() throws {
        var s = RMDemoSettings.quick
        s.only = ["bradley-terry", "cloud"]
        s.seeds = [0]
        s.rmSteps = 2
        let r = try RMDemo.run(s, folder: FileManager.default.temporaryDirectory.appendingPathComponent("ta-rm-demo-only-\(UUID().uuidString)"))
        #expect(r.rows.map(\.name) == ["bradley-terry", "cloud"])
        let cloud = try #require(r.rows.last)
        #expect(cloud.notApplicable == nil && cloud.rows == "critiques" && cloud.runs.count == 1 && cloud.differenceFromBT != nil)
    }
}
