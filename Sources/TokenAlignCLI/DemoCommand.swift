// `tokenalign demo`: the CreditBench pipeline on built-in defaults (the README's main job).
import ArgumentParser
import Evaluation
import Experiments
import Foundation
import Yams

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "CreditBench end to end: does each token-level method put credit on the token that went wrong?",
        discussion: """
        Generates task data, trains a byte-level BPE tokenizer and a tiny Llama from scratch on demonstrations with \
        injected errors, samples and verifies responses, builds preference pairs whose first erroneous token is known, \
        trains DPO, TDPO2, TGDPO, SparsePO and critical-token cDPO from the same start with equal budgets, and measures \
        held-out accuracy, KL to the start and the localisation of the first error by every token-credit source. \
        Writes data, models, run folders, results.json, report.md and report.html into --out.
        """)

    @Option(help: "Run folder.") var out = "runs/demo"
    @Flag(help: "The CI-sized run (every stage shrunk; ≤ 2 minutes on 2 cores).") var quick = false
    @Option(help: "A YAML or JSON file overriding any of the settings (snake_case keys, see settings.json of a run).") var config: String?
    @Option(help: "Seed for every random choice.") var seed: UInt64?
    @Option(help: "Comma-separated methods (dpo, tdpo2, tgdpo, sparsepo, cdpo, ipo, tdpo1).") var methods: String?
    @Option(help: "Start from this SFT model folder (models/sft of an earlier run) instead of training one.") var sftModel: String?
    @Flag(help: "Print results.json's contents as one JSON object as the last line.") var json = false

    func run() throws {
        var s = quick ? CreditDemoSettings.quick : CreditDemoSettings()
        if let config {
            guard let text = try? String(contentsOfFile: config, encoding: .utf8) else { throw ValidationError("\(config): cannot read file") }
            let parsed: Any?
            do { parsed = try Yams.load(yaml: text) } catch { throw ValidationError("\(config): not valid YAML/JSON: \(error)") }
            guard let mapping = parsed as? [String: Any] else { throw ValidationError("\(config): expected a mapping of settings") }
            s = try s.overriding(with: mapping, source: config)
        }
        if let seed { s.seed = seed }
        if let sftModel { s.sftModel = sftModel }
        if let methods { s.methods = methods.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let folder = URL(fileURLWithPath: out)
        var bar: ProgressLine?
        var barLabel = ""
        let start = Date()
        func say(_ line: String) { FileHandle.standardError.write(Data(line.utf8)) }
        let result = try CreditDemo.run(s, folder: folder) { event in
            switch event {
            case .stage(let name):
                bar?.finish(); bar = nil
                say(String(format: "[%5.1fs] %@\n", Date().timeIntervalSince(start), name))
            case .progress(let label, let done, let total):
                if bar == nil || barLabel != label { bar?.finish(); bar = ProgressLine(label: "  " + label); barLabel = label }
                bar?.update(done, of: total)
            case .note(let text):
                bar?.finish(); bar = nil
                say("  \(text)\n")
            }
        }
        bar?.finish()
        print(DemoSummary.text(result, folder: folder))
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            print(String(decoding: try enc.encode(result), as: UTF8.self))
        }
    }
}

/// The plain-text tables the demo prints at the end.
enum DemoSummary {
    static func ci(_ e: Estimate) -> String {
        e.count == 0 || !e.value.isFinite ? "–" : String(format: "%.3f [%.3f, %.3f]", e.value, e.low, e.high)
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

    static func text(_ r: CreditDemoResult, folder: URL) -> String {
        var out = "\nPolicies on \(r.data.evalPrompts) held-out prompts (95% bootstrap CI over prompts)\n"
        out += pad("method", 10) + pad("greedy acc", 24) + pad("sampled acc", 24) + "KL(π‖π_SFT)/token\n"
        for p in r.policies {
            out += pad(p.name, 10) + pad(ci(p.greedyAccuracy), 24) + pad(ci(p.sampledAccuracy), 24) + ci(p.klToReference) + "\n"
        }
        out += "\nFirst-error localisation on \(r.data.rejectedResponses) held-out rejected responses\n"
        out += pad("credit source", 28) + pad("AUROC", 24) + pad("top-1", 24) + "top-1 chance\n"
        for c in r.credit {
            out += pad(c.name, 28) + pad(ci(c.auroc), 24) + pad(ci(c.top1), 24) + String(format: "%.3f", c.top1Chance) + "\n"
        }
        out += "\nFirst-error localisation on \(r.data.injectedResponses) held-out injected errors\n"
        for c in r.creditInjected {
            out += pad(c.name, 28) + pad(ci(c.auroc), 24) + pad(ci(c.top1), 24) + String(format: "%.3f", c.top1Chance) + "\n"
        }
        out += String(format: "\nwall time %.0f s; report: %@\n", r.wallSeconds, folder.appendingPathComponent("report.html").path)
        return out
    }
}
