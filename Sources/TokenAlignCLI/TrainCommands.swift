// `tokenalign sft`, `tokenalign reward [--token-level]`, `tokenalign dpo --loss …`
// (TRL's `trl sft|reward|dpo` with Swift spelling; docs/design/README.md, "The command line").
import ArgumentParser
import Models
import Objectives
import Training

/// `sft`, `reward` and `dpo`: one settings table (`TrainingConfiguration.settings`, listed in each
/// one's `--help`) and one driver; the command fixes the trainer (its preset is the task).
extension TrainingArguments: TrainingRunArguments {
    static func discussion(about: String, preset: TrainingTask) -> String { about + settingsHelp }

    func run(preset task: TrainingTask, label: String) throws {
        try TrainingDriver.run(try configuration(task: task), arguments: self, label: label)
    }
}

struct SFTCommand: TrainingRunCommand {
    static let name = "sft"
    static let preset = TrainingTask.sft
    static let abstract = "Supervised fine-tuning (masked NLL, prompt masked out)."
    static let about = ""
    @OptionGroup var arguments: TrainingArguments
}

struct RewardCommand: TrainingRunCommand {
    static let name = "reward"
    static let preset = TrainingTask.reward
    static let abstract = "Train a reward model (--reward-kind: Bradley–Terry, per-token, a head on the frozen trunk, or GenARM's autoregressive one)."
    static let about = "--reward-kind autoregressive trains GenARM's autoregressive reward model (arXiv 2410.08193): the model itself, no head; the reward of a response is β·Σ log π(y_t | x, y_<t), trained with a Bradley–Terry loss on the pairs. It guides decoding with `tokenalign generate --guide genarm:DIR`.\n\n"
        + "--reward-kind haf (arXiv 2407.04185), grm (arXiv 2406.10216) and odin (arXiv 2402.07319) train the Bradley–Terry head with a second term on the same trunk — DPO on the kept LM head (--alpha, --beta), a generation regulariser on the chosen responses (--alpha, --beta, --grm-regularizer), or a length head kept apart from the reward (--odin-length-weight, --odin-orthogonality-weight); their folders score with the reward head alone, like bradley-terry folders.\n\n"
    @OptionGroup var arguments: TrainingArguments
}

struct DPOCommand: TrainingRunCommand {
    static let name = "dpo"
    static let preset = TrainingTask.preference
    static let abstract = "Preference optimisation: the DPO family and token-level methods."
    static var about: String {
        "Losses: \(PreferenceMethod.allNames.joined(separator: ", ")) (`tokenalign methods` gives each one's paper and inputs). Mix with --loss a,b --loss-weights x,y.\n\n"
    }
    @OptionGroup var arguments: TrainingArguments
}
