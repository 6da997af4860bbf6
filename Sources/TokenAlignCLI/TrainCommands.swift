// `tokenalign sft`, `tokenalign reward [--token-level]`, `tokenalign dpo --loss …`
// (TRL's `trl sft|reward|dpo` with Swift spelling; docs/design/README.md, "The command line").
import ArgumentParser
import Models
import Objectives
import Training

struct SFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sft", abstract: "Supervised fine-tuning (masked NLL, prompt masked out).")
    @OptionGroup var training: TrainingArguments
    func run() throws {
        try TrainingDriver.run(try training.configuration(task: .sft), arguments: training, label: "sft")
    }
}

struct RewardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward", abstract: "Train a reward model (--kind: Bradley–Terry, per-token, a head on the frozen trunk, or GenARM's autoregressive one).",
        discussion: "--kind autoregressive trains GenARM's autoregressive reward model (arXiv 2410.08193): the model itself, no head; the reward of a response is β·Σ log π(y_t | x, y_<t), trained with a Bradley–Terry loss on the pairs. It guides decoding with `tokenalign generate --guide genarm:DIR`.")
    @OptionGroup var training: TrainingArguments
    @Flag(help: "Train a per-token reward head on token labels (error spans) instead of a sequence score (= --kind token).") var tokenLevel = false
    @Option(help: "Reward-model kind: \(RewardModelKinds.registry.names.joined(separator: ", ")) (`tokenalign methods` gives each one's paper).")
    var kind: String?
    @Option(help: "With --kind autoregressive: β_r, the scale of the summed log-probs (default 0.1).") var beta: Float?
    func run() throws {
        var c = try training.configuration(task: .reward)
        if tokenLevel { c.tokenLevel = true }
        if let kind { c.rewardKind = kind }
        if let b = beta { c.beta = b }
        try TrainingDriver.run(c, arguments: training, label: "reward")
    }
}

struct DPOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo", abstract: "Preference optimisation: the DPO family and token-level methods.",
        discussion: "Losses: \(PreferenceMethod.allNames.joined(separator: ", ")) (`tokenalign methods` gives each one's paper and inputs). Mix with --loss a,b --loss-weights x,y.")
    @OptionGroup var training: TrainingArguments
    @Option(help: "Comma-separated loss names.") var loss: String?
    @Option(help: "Comma-separated weights, one per loss.") var lossWeights: String?
    @Option(help: "Reference model (default: a frozen copy of --model).") var ref: String?
    @OptionGroup var refWeights: ReferenceWeightsOption
    @Option(parsing: .singleValue, help: "Auxiliary model: TGDPO token-reward model; cDPO positive then negative model; AlignDistil DPO model.") var guide: [String] = []
    @Flag(help: "Compute the reference log-probs once before training and cache them.") var precomputeRef = false
    @Option(help: "β.") var beta: Float?
    @Option(help: "α of TDPO2 / TGDPO / RRPO.") var alpha: Float?
    @Option(help: "Label smoothing ε (conservative, robust, exo_pair, aot).") var labelSmoothing: Float?

    func validate() throws {
        if let w = lossWeights, w.split(separator: ",").contains(where: { Float($0) == nil }) {
            throw ValidationError("--loss-weights must be comma-separated numbers")
        }
    }

    func run() throws {
        var c = try training.configuration(task: .preference)
        if let l = loss { c.loss = l.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if let w = lossWeights { c.lossWeights = w.split(separator: ",").compactMap { Float($0) } }
        if let r = ref { c.ref = r }
        if let w = refWeights.refWeights { c.refWeights = w }
        if !guide.isEmpty { c.guide = guide }
        if precomputeRef { c.precomputeRef = true }
        if let b = beta { c.beta = b }
        if let a = alpha { c.alpha = a }
        if let e = labelSmoothing { c.labelSmoothing = e }
        try TrainingDriver.run(c, arguments: training, label: "dpo")
    }
}
