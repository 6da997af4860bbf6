// Storage formats of inference-only weight matrices (docs/design/quantized.md). The block types are
// GGML's (as llama.cpp writes them in GGUF files); bfloat16 (arXiv:1905.12322) halves float32.
import CQuant

/// How a `QuantizedMatrix` stores its elements.
public enum QuantizedType: String, CaseIterable, Sendable, CustomStringConvertible {
    /// 32 int8 values and one f16 scale per block (34 bytes / 32 weights): x = d·q.
    case q8_0
    /// 32 four-bit values and one f16 scale (18 bytes): x = d·(q − 8).
    case q4_0
    /// 32 four-bit values, an f16 scale and an f16 minimum (20 bytes): x = d·q + m.
    case q4_1
    /// bfloat16, one element at a time (the top half of a float32).
    case bf16

    var code: Int32 {
        switch self {
        case .q8_0: Int32(TQ_Q8_0)
        case .q4_0: Int32(TQ_Q4_0)
        case .q4_1: Int32(TQ_Q4_1)
        case .bf16: Int32(TQ_BF16)
        }
    }

    /// Elements per block (1 for bf16).
    public var blockElements: Int { self == .bf16 ? 1 : 32 }
    /// Bytes per block.
    public var blockBytes: Int { Int(tq_block_bytes(code)) }
    /// Bytes of a row of `columns` elements (a multiple of `blockElements`).
    public func rowBytes(columns: Int) -> Int { columns / blockElements * blockBytes }
    /// ggml's spelling ("Q4_1"), as in GGUF type names and llama.cpp's output.
    public var description: String { rawValue.uppercased() }
}

/// The kernel implementations; all of them produce the same bits (tq_quant.h explains the order).
public enum QuantizedKernelPath: Int32, CaseIterable, Sendable {
    case scalar = 0
    case avx2 = 1
    case vnni = 2

    /// Whether this CPU runs the path (cpuid).
    public var isSupported: Bool { tq_path_supported(rawValue) != 0 }

    /// The fastest supported path, or the one `TOKENALIGN_QUANT_KERNEL=scalar|avx2|vnni` names.
    public static let best: QuantizedKernelPath = QuantizedKernelPath(rawValue: tq_best_path()) ?? .scalar
}

/// A request the quantized-weight code cannot honour.
public enum QuantizationError: Error, CustomStringConvertible, Equatable {
    /// `columns` is not a multiple of the block size of `type`.
    case columnsNotBlockMultiple(type: QuantizedType, columns: Int)
    /// Quantising float weights to `type` is not offered (only to Q8_0 and bf16).
    case cannotQuantize(to: QuantizedType)
    /// A weight of `shape` is not a matrix.
    case notAMatrix(shape: [Int])
    /// Raw bytes of the wrong length for the matrix.
    case byteCount(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .columnsNotBlockMultiple(let type, let columns):
            "\(type) stores rows of whole 32-element blocks; a row of \(columns) elements is not one"
        case .cannotQuantize(let type):
            "quantizing float weights to \(type) is not offered (q8_0 and bf16 are; Q4_0/Q4_1 weights come from GGUF files with --weights keep)"
        case .notAMatrix(let shape): "a quantized weight must be a matrix [out, in], got \(shape)"
        case .byteCount(let expected, let got): "quantized matrix needs \(expected) bytes, got \(got)"
        }
    }
}
