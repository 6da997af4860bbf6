// `tokenalign demo decoding`: reward against forward tokens for every decoding guide and sample
// searcher on SmolLM2-135M's controlled-sentiment task (Experiments/DecodingDemo.swift).
import ArgumentParser
import Experiments
import Foundation

struct DecodingDemoCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "decoding",
            abstract: "What each decoding guide and searcher buys for what it costs: RAD, ARGS, GenARM, best-of-N and DPO on SmolLM2-135M sentiment steering.",
            discussion: """
            From the sentiment demo's prompts and best-vs-worst pairs, LoRA-trains from the same start, with one budget each, \
            RAD's causal reward model (a token head regressed on the sequence score at every prefix), ARGS's sequence reward \
            model (Bradley–Terry), GenARM's autoregressive reward model and a DPO policy; then decodes the held-out prompts \
            with plain sampling, RAD, ARGS and GenARM at several weights, best-of-N scored by the sequence RM and by VADER \
            (an oracle), and the DPO policy, and measures VADER and lexicon reward, reference perplexity, distinct-n and \
            the base and reward models' forward tokens per generated token. Writes data, models, results.json (reproducible), \
            timings.json, report.md and report.html into --out. Needs scripts/fetch-assets.sh.

            --part creditbench runs the other half instead (needs no assets): on a CreditBench task (--task chain|add), per \
            seed an SFT policy with injected errors, an outcome RM, a TVM value model and a multifurcation RM with one budget, \
            then greedy, majority vote, best-of-N (outcome RM, and the verifier as the oracle), weighted majority, early \
            rejection, step beam search and MCTS with the value model, and Saffron, each at several budgets: accuracy against \
            base and reward-model forward tokens per prompt, each method paired with best-of-N at the nearest cost. --part all \
            runs both, the CreditBench part into --out/creditbench. The default stays sentiment: all would make the plain \
            command need the SmolLM2 assets and the CreditBench pipeline's extra training at once.


            """ + demoSettingsHelp(DecodingDemoSettings.settings, defaults: DecodingDemoSettings()))
    }

    @OptionGroup var options: DemoRunOptions<DecodingDemoSettings>

    func run() throws {
        let s = try options.settings()
        let folder = options.folder
        let printer = DemoPrinter()
        if s.part != "creditbench" {
            try printer.run(DecodingDemo.self, s, folder: folder, json: options.json) {
                DecodingDemoReport.text($0) + "report: \(folder.appendingPathComponent("report.html").path)"
            }
        }
        if s.part != "sentiment" {
            let creditFolder = s.part == "all" ? folder.appendingPathComponent("creditbench") : folder
            try printer.run(CreditDecodingDemo.self, s, folder: creditFolder, json: options.json) {
                CreditDecodingReport.text($0) + "report: \(creditFolder.appendingPathComponent("report.html").path)"
            }
        }
    }
}

extension DecodingDemoSettings: PresetDemoSettings {
    static let runFolder = "runs/decoding"
    static let quickHelp = "The CI-sized run (under a minute on 2 cores)."
}
