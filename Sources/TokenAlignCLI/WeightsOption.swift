// `--weights f32|bf16|q8_0|keep`: how a frozen model's matrices are stored for inference
// (docs/design/quantized.md). One option per frozen-model role, each declared here once:
// `--weights` the command's own model where it is only run forward (generate, score, search, bench
// generate), `--rm-weights` reward models (eval rm, search and generate scorers), `--guide-weights`
// decoding guides (generate --guide). The trainers' `ref_weights` and grpo/rloo/ppo's `rm_weights`
// are settings of their configuration's table (flags `--ref-weights`, `--rm-weights`). Never for a
// model that is trained or written back.
import ArgumentParser
import Foundation
import Models

extension WeightFormat: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// What the storage values mean, for every `--…weights` option's help.
let weightFormatsHelp = """
    f32 (default), bf16 (rounded on load), q8_0 (quantized on load with ggml's rounding), keep (a GGUF's \
    Q8_0/Q4_0/Q4_1 blocks as stored; float checkpoints load as float32)
    """

/// The `--weights` option group.
struct WeightsOption: ParsableArguments {
    @Option(help: "How the model's matrices are stored for inference: \(weightFormatsHelp).")
    var weights: WeightFormat = .f32

    /// Tells the user (on standard error) what the conversion did, when it did anything.
    func report(_ loaded: PretrainedModel) {
        loaded.weightReport.announce(weights, role: "the model", path: loaded.source.path)
    }
}

/// `--rm-weights`: reward models used as frozen scorers (the `rm`, `token-rm`, `rm-span`, `abc`,
/// `rm-ensemble` and `implicit-dpo` rewards of grpo/rloo/ppo, `eval rm`'s models, `search --scorer
/// rm|token-rm|value`). Optional, so that a YAML `rm_weights` is only overridden when given.
struct RewardModelWeightsOption: ParsableArguments {
    @Option(help: "How frozen reward models (and implicit-reward model pairs) store their matrices: \(weightFormatsHelp); reward heads stay float32.")
    var rmWeights: WeightFormat?

    var format: WeightFormat { rmWeights ?? .f32 }
}

/// `--guide-weights`: the models of decoding guides (`generate --guide rad|args|genarm|logits:…`).
struct GuideWeightsOption: ParsableArguments {
    @Option(help: "How the guides' models store their matrices: \(weightFormatsHelp).")
    var guideWeights: WeightFormat = .f32
}
