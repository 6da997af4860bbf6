// Auxiliary models that `tokenalign demo rl` trains itself, from the credit run's own data, for the
// methods whose reward model the CreditBench demo does not make: RLMEC's minimal-edit rewriter
// (arXiv 2401.06081; docs/design/rewards.md §10) and the segment reward model (arXiv 2501.02790;
// rewards.md §5). They train through the same library calls as `tokenalign sft` and `tokenalign
// reward --kind segment` (`TrainingSetup.prepare`, then the trainer), with the budget declared once
// in the demo's settings, and are kept under the rl run folder's `auxiliary/`: a later run with the
// same credit run and budget reuses a finished one instead of training it again.
import CreditBench
import Datasets
import Foundation
import Models
import Objectives
import OnlineRL
import Training

/// A model a method trains inside the demo (`RLDemoMethod.trains`).
public enum RLDemoAuxiliaryModel: String, CaseIterable, Codable, Sendable {
    /// RLMEC's generative reward model: the SFT model fine-tuned to rewrite a wrong answer into its
    /// minimal correction, shown the problem and the reference answer.
    case rewriter
    /// A segment reward model: the per-token head trained with Bradley–Terry on the mean of its
    /// values at the ends of the SFT model's entropy segments.
    case segmentRM = "segment-rm"
}

/// What an auxiliary model was trained from and with: a finished model is reused only when all of it
/// is the same.
public struct RLDemoAuxiliaryBudget: Codable, Sendable, Equatable {
    public var model: RLDemoAuxiliaryModel
    /// The credit run's data file it trained on (its pairs).
    public var data: String
    public var steps: Int
    public var batch: Int
    public var learningRate: Float
    public var seed: UInt64
    /// The segment RM's entropy threshold (nil for the rewriter).
    public var segmentEntropyThreshold: Float?
    /// The rewriter's rewrite-prompt template (nil for the segment RM).
    public var template: String?
}

/// One auxiliary model of a run, as `results.json` and the report list it.
public struct RLDemoAuxiliaryRecord: Codable, Sendable, Equatable {
    public var budget: RLDemoAuxiliaryBudget
    /// Training rows used (rewrite rows, or preference pairs).
    public var rows: Int
    /// The trainer's held-out metrics after training, on the credit run's held-out pairs (the
    /// rewriter: the SFT loss of their rewrites; the segment RM: its pair accuracy).
    public var heldOut: [String: Double]
    /// Training time when it was trained (a reused model keeps the time it took then).
    public var seconds: Double
    /// True when this run found the model finished and did not train it.
    public var reused: Bool
}

public enum RLDemoAuxiliary {
    /// The rewrite prompt the demo's rewriter is trained with and read through. RLMEC's default
    /// template spells its field names out, and on the CreditBench byte-level tokenizer (one token per
    /// character or so) prompt, answer, prediction and rewrite would pass the SFT model's 128
    /// positions; this one keeps the three fields and marks them with one character each.
    public static let template = "{problem}{solution}|{prediction}>"

    /// The template file under `auxiliary/` (`rlmec:DIR,FILE` reads the template from a file).
    public static let templateFile = "rewrite-template.txt"

    /// The models `methods` train, each once, in a fixed order.
    static func needed(by methods: [String]) -> [RLDemoAuxiliaryModel] {
        let wanted = Set(methods.flatMap { RLDemo.method($0)?.trains ?? [] })
        return RLDemoAuxiliaryModel.allCases.filter(wanted.contains)
    }

    /// Trains (or reuses) every model in `models` under `inputs.auxiliary`, each a stage of `timer`.
    static func prepare(_ models: [RLDemoAuxiliaryModel], settings s: RLDemoSettings, inputs: RLDemoInputs, task: any CreditTask,
                        seed: UInt64, sftPath: String, runs: URL, timer: inout StageTimer,
                        log: @escaping (DemoEvent) -> Void) throws -> [RLDemoAuxiliaryRecord] {
        guard !models.isEmpty else { return [] }
        do { try FileManager.default.createDirectory(at: inputs.auxiliary, withIntermediateDirectories: true) } catch {
            throw DemoError.cannotWrite(path: inputs.auxiliary.path, reason: "\(error)")
        }
        var out: [RLDemoAuxiliaryRecord] = []
        for m in models {
            timer.begin("auxiliary \(m.rawValue)", log: log)
            let pairs = inputs.creditRun.appendingPathComponent("data/pairs.jsonl").path
            let budget = RLDemoAuxiliaryBudget(model: m, data: pairs, steps: s.auxiliarySteps, batch: s.auxiliaryBatch,
                                               learningRate: s.auxiliaryLearningRate, seed: seed,
                                               segmentEntropyThreshold: m == .segmentRM ? s.segmentEntropyThreshold : nil,
                                               template: m == .rewriter ? template : nil)
            if m == .rewriter {
                let file = inputs.auxiliary.appendingPathComponent(templateFile)
                do { try template.write(to: file, atomically: true, encoding: .utf8) } catch {
                    throw DemoError.cannotWrite(path: file.path, reason: "\(error)")
                }
            }
            let stamp = inputs.auxiliary.appendingPathComponent("\(m.rawValue).json")
            if let done = finished(stamp, budget: budget, folder: inputs.trained(m)) {
                log(.note("\(m.rawValue): reusing \(inputs.trained(m)) (trained in \(String(format: "%.0f", done.seconds)) s)"))
                var again = done
                again.reused = true
                out.append(again)
                continue
            }
            let t0 = ContinuousClock.now
            var c = TrainingConfiguration.demoRun(m == .rewriter ? .sft : .reward, model: sftPath,
                                                  out: runs.appendingPathComponent("auxiliary-\(m.rawValue)").path, seed: seed,
                                                  steps: s.auxiliarySteps, batch: s.auxiliaryBatch, learningRate: s.auxiliaryLearningRate)
            switch m {
            case .rewriter:
                // `tokenalign data rewrites` rows, from the credit run's own pairs, then `tokenalign sft`.
                let data = runs.deletingLastPathComponent().appendingPathComponent("data")
                c.data = try writeRewrites(from: pairs, task: task, to: data.appendingPathComponent("rewrites.jsonl"))
                c.evalData = try writeRewrites(from: inputs.creditRun.appendingPathComponent("data/eval_pairs.jsonl").path, task: task,
                                               to: data.appendingPathComponent("eval_rewrites.jsonl"))
            case .segmentRM:
                // `tokenalign reward --kind segment` on the credit run's pairs.
                c.rewardKind = "segment"
                c.segmentEntropyThreshold = s.segmentEntropyThreshold
                c.data = pairs
                c.evalData = inputs.creditRun.appendingPathComponent("data/eval_pairs.jsonl").path
            }
            do { try FileManager.default.createDirectory(atPath: c.out, withIntermediateDirectories: true) } catch {
                throw DemoError.cannotWrite(path: c.out, reason: "\(error)")
            }
            let run = try TrainingSetup.prepare(c)
            try run.trainer.run()
            let heldOut = run.trainer.evaluate().mapValues(Double.init)
            var p = run.pretrained
            p.tokenizer = run.tokenizer
            try run.trainer.saveModel(p, to: URL(fileURLWithPath: inputs.trained(m)))
            let record = RLDemoAuxiliaryRecord(budget: budget, rows: run.reports.first?.rowsUsed ?? 0, heldOut: heldOut,
                                               seconds: StageTimer.seconds(since: t0), reused: false)
            // Written last: its presence marks the model finished.
            try writeJSON(record, to: stamp)
            log(.note("\(m.rawValue): trained on \(record.rows) rows; held-out " + heldOut.sorted { $0.key < $1.key }
                .map { "\($0.key) \(String(format: "%.3f", $0.value))" }.joined(separator: ", ")))
            out.append(record)
        }
        return out
    }

    /// The record of a finished model trained with `budget`, or nil (none, another budget, or a
    /// model folder that is not complete).
    static func finished(_ stamp: URL, budget: RLDemoAuxiliaryBudget, folder: String) -> RLDemoAuxiliaryRecord? {
        guard FileManager.default.fileExists(atPath: stamp.path),
              let record = try? readJSON(RLDemoAuxiliaryRecord.self, from: stamp), record.budget == budget,
              ["config.json", "model.safetensors"].allSatisfy({ FileManager.default.fileExists(atPath: folder + "/" + $0) }) else { return nil }
        return record
    }

    /// RLMEC rewriting rows (`tokenalign data rewrites`' format) from a CreditBench pairs file: each
    /// pair's rejected answer as the prediction and the verifier's minimal edit of it as the rewrite.
    /// Returns the path written.
    static func writeRewrites(from pairs: String, task: any CreditTask, to out: URL) throws -> String {
        var rows: [[String: Any]] = []
        for row in try JSONLReader.read(pairs) {
            guard let prompt = row.object["prompt"] as? String, let rejected = row.object["rejected"] as? String else {
                throw DemoError.invalidSetting("\(row.location): a CreditBench pair needs \"prompt\" and \"rejected\" strings")
            }
            let example: CreditExample
            do { example = try task.example(fromPrompt: prompt) } catch { throw DemoError.invalidSetting("\(row.location): \(error)") }
            if let r = RLMECRewriting.row(task, example, prediction: rejected, template: template) { rows.append(r) }
        }
        guard !rows.isEmpty else { throw DemoError.emptyStage("\(pairs): no rejected answer the verifier can edit, so no rewriting rows") }
        try JSONL.write(rows, to: out)
        return out.path
    }
}
