// `--weights f32|bf16|q8_0|keep`: how a frozen model's matrices are stored for inference
// (docs/design/quantized.md). Offered where a model is only run forward (generate, score, search,
// bench generate) and for the trainers' frozen models (--ref-weights); never for a model that is
// trained or written back.
import ArgumentParser
import Foundation
import Models

extension WeightFormat: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// The `--weights` option group.
struct WeightsOption: ParsableArguments {
    @Option(help: """
        How the model's matrices are stored for inference: f32 (default), bf16 (rounded on load), q8_0 \
        (quantized on load with ggml's rounding), keep (a GGUF's Q8_0/Q4_0/Q4_1 blocks as stored; float \
        checkpoints load as float32).
        """)
    var weights: WeightFormat = .f32

    /// Tells the user (on standard error) what the conversion did, when it did anything.
    func report(_ loaded: PretrainedModel) {
        guard weights != .f32 else { return }
        FileHandle.standardError.write(Data("weights (\(weights.rawValue)): \(loaded.weightReport.summary)\n".utf8))
    }
}
