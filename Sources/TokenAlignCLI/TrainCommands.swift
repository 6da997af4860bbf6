// `tokenalign sft`, `tokenalign reward [--token-level]`, `tokenalign dpo --loss …`
// (TRL's `trl sft|reward|dpo` with Swift spelling; docs/design/README.md, "The command line").
import ArgumentParser
import Models
import Objectives
import Training

struct SFTCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "sft", abstract: "Supervised fine-tuning (masked NLL, prompt masked out).",
                             discussion: TrainingArguments.settingsHelp)
    }
    @OptionGroup var training: TrainingArguments
    func run() throws {
        try TrainingDriver.run(try training.configuration(task: .sft), arguments: training, label: "sft")
    }
}

struct RewardCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "reward", abstract: "Train a reward model (--reward-kind: Bradley–Terry, per-token, a head on the frozen trunk, or GenARM's autoregressive one).",
            discussion: "--reward-kind autoregressive trains GenARM's autoregressive reward model (arXiv 2410.08193): the model itself, no head; the reward of a response is β·Σ log π(y_t | x, y_<t), trained with a Bradley–Terry loss on the pairs. It guides decoding with `tokenalign generate --guide genarm:DIR`.\n\n"
                + TrainingArguments.settingsHelp)
    }
    @OptionGroup var training: TrainingArguments
    func run() throws {
        try TrainingDriver.run(try training.configuration(task: .reward), arguments: training, label: "reward")
    }
}

struct DPOCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "dpo", abstract: "Preference optimisation: the DPO family and token-level methods.",
            discussion: "Losses: \(PreferenceMethod.allNames.joined(separator: ", ")) (`tokenalign methods` gives each one's paper and inputs). Mix with --loss a,b --loss-weights x,y.\n\n"
                + TrainingArguments.settingsHelp)
    }
    @OptionGroup var training: TrainingArguments
    func run() throws {
        try TrainingDriver.run(try training.configuration(task: .preference), arguments: training, label: "dpo")
    }
}
