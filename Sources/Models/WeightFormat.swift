// How a loaded model stores the weights of its projections for inference (`--weights`,
// docs/design/quantized.md). Training keeps float32 master weights; these formats are for frozen
// models: generation, scoring, reference and reward models.
import Checkpoints
import Foundation
import NN
import TensorCore

/// The storage of a frozen model's matrices (every `Linear` weight and the token embedding, which
/// also serves as the output head of tied models). Norms, biases and other vectors stay float32.
public enum WeightFormat: String, CaseIterable, Sendable, Codable {
    /// Float32 everywhere (GGUF blocks dequantised on load); the only format training accepts.
    case f32
    /// bfloat16 matrices (rounded to nearest on load), products with float32 activations.
    case bf16
    /// Q8_0 matrices, quantised on load with ggml's rounding (from any checkpoint).
    case q8_0
    /// Keep GGUF blocks as stored (Q8_0, Q4_0, Q4_1); float tensors and float checkpoints load as
    /// float32.
    case keep

    /// GGML types `keep` computes on directly.
    public static let computableGGMLTypes: [GGMLType] = [.q8_0, .q4_0, .q4_1]

    /// The quantized type of a GGUF tensor of `type` under `keep`: its own block type, nil for float
    /// tensors (loaded as float32). Any other GGML type throws, naming the tensor and listing what
    /// can be computed on.
    public static func keptType(_ type: GGMLType, tensor: String, path: String) throws -> QuantizedType? {
        switch type {
        case .q8_0: return .q8_0
        case .q4_0: return .q4_0
        case .q4_1: return .q4_1
        case .f32, .f16, .bf16: return nil
        default:
            let computable = computableGGMLTypes.compactMap(\.name).joined(separator: ", ")
            throw ModelError.unsupportedSetting(
                path: path, field: "tensor '\(tensor)' type", value: type.name ?? "id \(type.rawValue)",
                supported: "\(computable) (computed on as stored), F32, F16, BF16 (loaded as float32)")
        }
    }
}

extension WeightFormat {
    /// Puts the matrices of `model`, just loaded from `source`, into this format and says what it
    /// did: `f32` and `keep` change nothing (a GGUF's blocks were kept by the loader, whose report is
    /// `fileReport`; on a float checkpoint `keep` loads float32 and the report's note says so),
    /// `q8_0` and `bf16` convert every matrix on load.
    public func convert(_ model: Module, loadedFrom source: URL, fileReport: WeightFormatReport = WeightFormatReport()) throws -> WeightFormatReport {
        switch self {
        case .f32: return fileReport
        case .keep:
            var report = fileReport
            if source.pathExtension.lowercased() != "gguf" {
                report.note = "--weights keep: \(source.lastPathComponent) is a float checkpoint, so its weights load as float32 (nothing is quantized; --weights q8_0 or bf16 convert on load)"
            }
            return report
        case .q8_0, .bf16:
            return try ModelRegistry.quantizeMatrices(of: model, to: self == .q8_0 ? .q8_0 : .bf16)
        }
    }
}

/// What converting a model's matrices did, for the CLI to report.
public struct WeightFormatReport: Sendable, Equatable {
    /// Matrices now held in a quantized type, by type.
    public var quantized: [String: Int] = [:]
    /// Matrices left in float32 (with the reason).
    public var keptFloat: [String] = []
    /// Bytes of the quantized matrices.
    public var quantizedBytes = 0
    /// A sentence for `--weights keep` on a float checkpoint (what it does instead).
    public var note: String?

    public init() {}

    /// One line: "q8_0: 211 matrices (138.2 MB); 1 kept float32 (…)".
    public var summary: String {
        var parts = quantized.keys.sorted().map { "\($0): \(quantized[$0]!) matrices" }
        if quantizedBytes > 0 { parts.append(String(format: "%.1f MB quantized", Double(quantizedBytes) / 1e6)) }
        if !keptFloat.isEmpty { parts.append("\(keptFloat.count) kept float32 (\(keptFloat.joined(separator: "; ")))") }
        if let note { parts.append(note) }
        return parts.isEmpty ? "float32" : parts.joined(separator: "; ")
    }

    /// Tells the user on standard error what `--…weights FORMAT` did to the model of `role` loaded
    /// from `path` (nothing for f32: nothing was converted).
    public func announce(_ format: WeightFormat, role: String, path: String) {
        guard format != .f32 else { return }
        FileHandle.standardError.write(Data("weights (\(format.rawValue)) of \(role) \(path): \(summary)\n".utf8))
    }

    mutating func record(_ q: QuantizedMatrix) {
        quantized[q.type.rawValue, default: 0] += 1
        quantizedBytes += q.byteCount
    }
}

extension ModelRegistry {
    /// Converts every float `Linear` weight (without a LoRA adapter) and every `Embedding` table of
    /// `model` to `type` (q8_0 or bf16), dropping the float copies. A matrix whose rows are not whole
    /// Q8_0 blocks stays float32 and is listed in the report.
    @discardableResult
    public static func quantizeMatrices(of model: Module, to type: QuantizedType) throws -> WeightFormatReport {
        var report = WeightFormatReport()
        for (key, module) in model.namedModules() {
            let name = key.isEmpty ? "weight" : key + ".weight"
            if let linear = module as? Linear, linear.quantizedWeight == nil, linear.lora == nil {
                guard linear.inputDimensions % type.blockElements == 0 else {
                    report.keptFloat.append("\(name): \(linear.inputDimensions) columns"); continue
                }
                let q = try QuantizedMatrix.quantize(linear.weight.value, to: type)
                linear.setQuantizedWeight(q, name: name)
                report.record(q)
            } else if let embedding = module as? Embedding, embedding.quantizedWeight == nil {
                guard embedding.weight.shape[1] % type.blockElements == 0 else {
                    report.keptFloat.append("\(name): \(embedding.weight.shape[1]) columns"); continue
                }
                let q = try QuantizedMatrix.quantize(embedding.weight.value, to: type)
                embedding.setQuantizedWeight(q, name: name)
                report.record(q)
            }
        }
        return report
    }

    /// Whether any matrix of `model` is held quantized (such a model cannot be trained or saved).
    public static func hasQuantizedMatrices(_ model: Module) -> Bool {
        !quantizedMatrixNames(of: model).isEmpty
    }

    /// The checkpoint keys of `model`'s quantized matrices with their types ("…q_proj.weight (q8_0)").
    public static func quantizedMatrixNames(of model: Module) -> [String] {
        model.namedModules().compactMap { key, m in
            let name = key.isEmpty ? "weight" : key + ".weight"
            let q = (m as? Linear)?.quantizedWeight ?? (m as? Embedding)?.quantizedWeight
            return q.map { "\(name) (\($0.type.rawValue))" }
        }
    }

    /// Refuses to write `model` when matrices are quantized: their float weights were dropped on
    /// load, and a checkpoint holds float tensors, so the file would hold empty placeholders. The
    /// refusal is deliberate (no silent dequantisation: a dequantised Q4 model is not the model the
    /// user trained or downloaded); load with `--weights f32` to write one.
    static func checkSavable(_ model: Module, to folder: URL) throws {
        let names = quantizedMatrixNames(of: model)
        guard let first = names.first else { return }
        throw ModelError.cannotWrite(path: folder.path, reason:
            "\(names.count) matrices are held quantized (\(first)\(names.count > 1 ? ", …" : "")), and a checkpoint holds float weights; "
            + "a model loaded with --weights bf16/q8_0/keep is not saved (load it with --weights f32 to write one)")
    }
}
