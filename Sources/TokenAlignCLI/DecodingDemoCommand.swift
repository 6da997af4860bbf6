// `tokenalign demo decoding`: reward against forward tokens for every decoding guide and sample
// searcher on SmolLM2-135M's controlled-sentiment task (Experiments/DecodingDemo.swift).
import ArgumentParser
import Experiments
import Foundation

extension DecodingDemoSettings: PresetDemoSettings {}

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


            """ + demoSettingsHelp(DecodingDemoSettings.settings, defaults: DecodingDemoSettings()))
    }

    @Option(help: "Run folder.") var out = "runs/decoding"
    @Flag(help: "The CI-sized run (under a minute on 2 cores).") var quick = false
    @Option(help: "A YAML or JSON file overriding any of the settings (snake_case keys, see settings.json of a run).") var config: String?
    @OptionGroup var flags: DemoRunFlags<DecodingDemoSettings>

    func run() throws {
        let s = try DecodingDemoSettings.resolved(quick: quick, config: config, flags: flags.settingFlags)
        let folder = URL(fileURLWithPath: out)
        let printer = DemoPrinter()
        let result = try DecodingDemo.run(s, folder: folder) { printer.handle($0) }
        printer.finish()
        print(DecodingDemoReport.text(result) + "report: \(folder.appendingPathComponent("report.html").path)")
        if flags.json { try printJSONLine(result) }
    }
}
