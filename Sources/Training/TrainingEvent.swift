// How trainers report: values through a callback that answers continue or stop (libraries never print;
// compare mlx-swift-lm `LoRATrain.train(progress:)`). Only the CLI prints them.
import Datasets

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
    /// A setting outside its range (`TrainingConfiguration.validate`): the snake_case key, the
    /// value as given, and what it must be.
    case invalidSetting(key: String, value: String, requirement: String)
    /// A key in a settings file that is not a setting (with the closest setting, if one is close).
    case unknownSetting(key: String, suggestion: String?)
    /// A settings file that cannot be used: the file, the 1-based line when known, and why.
    case configurationFile(path: String, line: Int?, reason: String)
    case checkpoint(path: String, reason: String)
    case modelMismatch(String)
    /// A NaN or infinite loss or gradient norm at optimizer step `step` (1-based, the step that
    /// would have been written): which quantity, its value, and the rows of the micro-batch it
    /// came from (all rows of the step when the micro-batch cannot be told).
    case nonFinite(step: Int, quantity: String, value: Float, rows: [RowLocation])
    /// Another live process holds the run folder's lock (`RunLock`): the lock file and its label.
    case runFolderLocked(path: String, holder: String)
    /// SIGINT or SIGTERM stopped training after a final checkpoint (`StopSignals`).
    case interrupted(signal: String, step: Int, checkpoint: String?)

    public var description: String {
        switch self {
        case .invalidConfiguration(let s): "invalid configuration: \(s)"
        case .invalidSetting(let k, let v, let r): "invalid setting \(k) = \(v): must be \(r)"
        case .unknownSetting(let k, let s): "unknown setting '\(k)'" + (s.map { " (did you mean '\($0)'?)" } ?? "")
        case .configurationFile(let p, let l, let r): "\(p)\(l.map { ":\($0)" } ?? ""): \(r)"
        case .checkpoint(let p, let r): "\(p): \(r)"
        case .modelMismatch(let s): s
        case .runFolderLocked(let p, let h):
            "\(p): the run folder is in use by \(h); wait for that run to end or choose another --out"
        case .interrupted(let sig, let step, let checkpoint):
            "\(sig) at step \(step): " + (checkpoint.map { "wrote \($0); continue with --resume latest" } ?? "no output folder, nothing saved")
        case .nonFinite(let step, let q, let v, let rows):
            "step \(step): \(q) is \(v) (not finite) on the micro-batch of rows \(Self.list(rows)); "
                + "the step was not applied and no checkpoint was written (on_nonfinite: skip / --on-nonfinite skip drops such steps instead)"
        }
    }

    /// Row locations for a message: all of them up to 8, then a count.
    static func list(_ rows: [RowLocation]) -> String {
        let shown = rows.prefix(8).map(\.description).joined(separator: ", ")
        return rows.count > 8 ? shown + " and \(rows.count - 8) more" : shown
    }
}
