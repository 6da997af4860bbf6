// How a loaded model stores the weights of its projections for inference (`--weights`,
// docs/design/quantized.md). Training keeps float32 master weights; these formats are for frozen
// models: generation, scoring, reference and reward models.
import Checkpoints
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
                linear.setQuantizedWeight(q)
                report.record(q)
            } else if let embedding = module as? Embedding, embedding.quantizedWeight == nil {
                guard embedding.weight.shape[1] % type.blockElements == 0 else {
                    report.keptFloat.append("\(name): \(embedding.weight.shape[1]) columns"); continue
                }
                let q = try QuantizedMatrix.quantize(embedding.weight.value, to: type)
                embedding.setQuantizedWeight(q)
                report.record(q)
            }
        }
        return report
    }

    /// Whether any matrix of `model` is held quantized (such a model cannot be trained).
    public static func hasQuantizedMatrices(_ model: Module) -> Bool {
        model.namedModules().contains { _, m in
            (m as? Linear)?.quantizedWeight != nil || (m as? Embedding)?.quantizedWeight != nil
        }
    }
}
