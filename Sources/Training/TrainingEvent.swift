// How trainers report: values through a callback that answers continue or stop (libraries never print;
// compare mlx-swift-lm `LoRATrain.train(progress:)`). Only the CLI prints them.

/// Something a trainer did.
public enum TrainingEvent: Sendable {
    /// An optimizer step finished; `metrics` use TRL's names plus `learning_rate`, `grad_norm`,
    /// `epoch`, `step`.
    case step(step: Int, totalSteps: Int, metrics: [String: Float])
    /// An evaluation pass finished (metrics prefixed `eval_` as TRL logs them).
    case evaluation(step: Int, metrics: [String: Float])
    /// A checkpoint was written.
    case checkpoint(step: Int, path: String)
}

/// The callback's answer.
public enum TrainingDisposition: Sendable {
    case `continue`, stop
}

/// Errors of a training run that are not dataset errors.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case checkpoint(path: String, reason: String)
    case modelMismatch(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let s): "invalid configuration: \(s)"
        case .checkpoint(let p, let r): "\(p): \(r)"
        case .modelMismatch(let s): s
        }
    }
}
