// The shape every training command shares, offline (`sft`, `reward`, `dpo`) and online (`grpo`,
// `rloo`, `ppo`): a name, help text, and a preset the command fixes before one shared driver runs
// (docs/design/README.md, "The command line" and "Settings").
import ArgumentParser

/// The arguments of a family of training commands: the settings flags of one table and the run.
protocol TrainingRunArguments: ParsableArguments {
    /// What each command of the family fixes: the trainer task, or the defaults.
    associatedtype Preset
    /// The command's `--help` discussion: its `about` text, then the settings it takes.
    static func discussion(about: String, preset: Preset) -> String
    /// Trains, writing the run folder; `label` names the command in progress output.
    func run(preset: Preset, label: String) throws
}

/// A training command: its name, help and preset; `configuration` and `run` follow from them.
protocol TrainingRunCommand: ParsableCommand {
    associatedtype Arguments: TrainingRunArguments
    static var name: String { get }
    static var abstract: String { get }
    static var about: String { get }
    static var preset: Arguments.Preset { get }
    var arguments: Arguments { get }
}

extension TrainingRunCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: name, abstract: abstract, discussion: Arguments.discussion(about: about, preset: preset))
    }

    func run() throws { try arguments.run(preset: Self.preset, label: Self.name) }
}
