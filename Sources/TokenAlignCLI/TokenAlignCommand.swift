// The `tokenalign` command line. This target is the only place in TokenAlign that prints.
import ArgumentParser

public struct TokenAlignCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tokenalign",
        abstract: "Align language models with token-level rewards, on the CPU.",
        subcommands: [DemoCommand.self, MethodsCommand.self, GRPOCommand.self, RLOOCommand.self, PPOCommand.self, AdvantagesCommand.self, CreditCommand.self, GenerateCommand.self, SearchCommand.self, ValueTargetsCommand.self, ScoreCommand.self, TokenizerCommand.self, ConvertCommand.self, BenchCommand.self, DataCommand.self, SFTCommand.self, RewardCommand.self, DPOCommand.self, EvalCommand.self, ReportCommand.self, VerifierFitCommand.self]
    )

    public init() {}
}
