// `tokenalign demo rm`: every reward-model kind, training method, the BT ensemble and the DPO
// implicit reward on the same CreditBench rows, scored by `eval rm`'s harness (Experiments/RMDemo.swift).
import ArgumentParser
import Experiments
import Foundation
import Training

struct RMDemoCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "rm",
            abstract: "Every reward-model kind on the same CreditBench data through the same harness: pair accuracy, robustness, length correlation, first-error localisation.",
            discussion: """
            Trains a tokenizer and a base Llama on a CreditBench task, builds every kind's training rows from the same examples \
            (pairs with error spans, TLDR hard negatives, minimal-edit labels, TVM value targets and verifier prefix rewards from the \
            base model's rollouts, unlabelled and RRM-augmented pairs), then on every seed trains each registered reward-model kind \
            (\(RewardModelKinds.registry.names.joined(separator: ", "))), each training method on Bradley–Terry \
            (\(RewardModelTrainingMethods.registry.names.joined(separator: ", "))) and DPO with the same budget, and scores them and the \
            mean ensemble of the BT seeds on held-out pairs as `tokenalign eval rm --robustness` does, token-level kinds also for \
            first-error localisation. Writes data, models, results.json, report.md, report.html and timing.json into --out.


            """ + demoSettingsHelp(RMDemoSettings.settings, defaults: RMDemoSettings()))
    }

    @OptionGroup var options: DemoRunOptions<RMDemoSettings>

    func run() throws {
        try options.run(RMDemo.self) { r, folder in "\n" + RMDemo.text(r) + "\nreport: \(folder.appendingPathComponent("report.md").path)" }
    }
}

extension RMDemoSettings: PresetDemoSettings {
    static let runFolder = "runs/rm"
    static let quickHelp = "The CI-sized run (under a minute on 2 cores)."
}
