// What the preset demo commands (`demo credit`, `rl`, `rl-sentiment`, `decoding`, `rm`) share: the
// run folder, the `--quick` preset, a settings file, the setting flags and `--json`; then the run
// itself, the pipeline's events printed, its summary and, with `--json`, the result as one line.
import ArgumentParser
import Experiments
import Foundation

/// `--out`, `--quick`, `--config`, `--json` and the setting flags of a demo on `S`; the flags are
/// checked against `S`'s table while parsing (exit 64 naming the flag).
struct DemoRunOptions<S: PresetDemoSettings>: ParsableArguments {
    @Option(help: "Run folder.") var out = S.runFolder
    @Flag(help: ArgumentHelp(S.quickHelp)) var quick = false
    @Option(help: "A YAML or JSON file overriding any of the settings (snake_case keys, see settings.json of a run).") var config: String?
    @Flag(help: "Print results.json's contents as one JSON object as the last line.") var json = false
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Settings as --flag value (listed below).", valueName: "setting"))
    var settingFlags: [String] = []

    func validate() throws { try S.checkFlags(settingFlags) }

    var folder: URL { URL(fileURLWithPath: out) }

    /// The defaults or the `--quick` preset, then the settings file's keys, then the flags.
    func settings() throws -> S { try S.resolved(quick: quick, config: config, flags: settingFlags) }

    /// Runs `P` on these settings into `--out` (`DemoPrinter.run`); `summary` gets the result and
    /// the run folder.
    func run<P: DemoPipeline>(_ pipeline: P.Type, summary: (P.Output, URL) -> String) throws where P.Settings == S, P.Output: Encodable {
        let s = try settings()
        let folder = self.folder
        try DemoPrinter().run(pipeline, s, folder: folder, json: json) { summary($0, folder) }
    }
}

extension DemoPrinter {
    /// Runs `P` on `settings` into `folder` with its events printed, then prints `summary` of the
    /// result and, with `json`, the result as one JSON object on the last line.
    func run<P: DemoPipeline>(_: P.Type, _ settings: P.Settings, folder: URL, json: Bool, summary: (P.Output) -> String) throws
        where P.Output: Encodable {
        let result = try P.run(settings, folder: folder) { self.handle($0) }
        finish()
        print(summary(result))
        if json { try printJSONLine(result) }
    }
}
