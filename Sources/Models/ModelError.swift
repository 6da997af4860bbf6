// Errors from loading, building and saving models. Each names the file (and key) at fault.
import Foundation

public enum ModelError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The folder or file does not exist or cannot be read.
    case cannotRead(path: String, reason: String)
    /// `config.json` is not valid JSON or a field has the wrong type.
    case invalidConfiguration(path: String, reason: String)
    /// `model_type` (or GGUF `general.architecture`) names an architecture we don't implement.
    case unsupportedArchitecture(path: String, modelType: String, supported: [String])
    /// A configuration field whose value changes the computation in a way we do not implement (e.g.
    /// `rope_scaling` of type "yarn"). Loading refuses rather than silently computing something
    /// else; `supported` says what would load.
    case unsupportedSetting(path: String, field: String, value: String, supported: String)
    /// Checkpoint keys and model parameters don't correspond one to one.
    case weightsMismatch(path: String, missing: [String], unused: [String], shapes: [String])
    /// No weights file in the folder.
    case noWeights(path: String)
    /// Writing failed.
    case cannotWrite(path: String, reason: String)
    /// The model would not fit in physical memory (`ModelMemory.check`); the reason holds the estimate.
    case exceedsMemory(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotRead(let p, let r): return "\(p): cannot read: \(r)"
        case .invalidConfiguration(let p, let r): return "\(p): invalid configuration: \(r)"
        case .unsupportedArchitecture(let p, let t, let s):
            return "\(p): unsupported architecture '\(t)' (supported: \(s.joined(separator: ", ")))"
        case .unsupportedSetting(let p, let f, let v, let s): return "\(p): unsupported \(f) = \(v) (supported: \(s))"
        case .weightsMismatch(let p, let m, let u, let s):
            var parts: [String] = []
            if !m.isEmpty { parts.append("missing: \(m.joined(separator: ", "))") }
            if !u.isEmpty { parts.append("unused: \(u.joined(separator: ", "))") }
            if !s.isEmpty { parts.append("shape mismatches: \(s.joined(separator: "; "))") }
            return "\(p): weights do not match the model: \(parts.joined(separator: "; "))"
        case .noWeights(let p): return "\(p): no model.safetensors, model.safetensors.index.json or *.safetensors found"
        case .cannotWrite(let p, let r): return "\(p): cannot write: \(r)"
        case .exceedsMemory(let p, let r): return "\(p): too large: \(r)"
        }
    }

    public var errorDescription: String? { description }
}
