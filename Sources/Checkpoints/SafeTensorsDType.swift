// The element types a safetensors header may name.
//
// Format reference: https://github.com/huggingface/safetensors (README, "Format"; the `Dtype` enum
// in safetensors/src/tensor.rs is the authoritative list). Every dtype of the format is known here,
// even the ones TokenAlign cannot convert, so that a file holding, say, an F64 or I8 tensor still
// opens and its other tensors stay readable; only reading such a tensor reports `unsupportedDType`.

/// An element type of the safetensors format, spelled as in the header's `"dtype"` field.
public enum SafeTensorsDType: String, Sendable, CaseIterable, CustomStringConvertible {
    case bool = "BOOL"
    /// 4-bit float (e2m1); two elements share a byte.
    case f4 = "F4"
    /// 6-bit floats; four elements share three bytes.
    case f6E2M3 = "F6_E2M3"
    case f6E3M2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8E5M2 = "F8_E5M2"
    case f8E4M3 = "F8_E4M3"
    case f8E8M0 = "F8_E8M0"
    case f8E4M3FNUZ = "F8_E4M3FNUZ"
    case f8E5M2FNUZ = "F8_E5M2FNUZ"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bits per element. The format sizes tensors in bits (`nelements * bitsize / 8`) because of
    /// the sub-byte float types; a tensor whose bits do not fill whole bytes is invalid.
    public var bitWidth: Int {
        switch self {
        case .f4: 4
        case .f6E2M3, .f6E3M2: 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: 8
        case .i16, .u16, .f16, .bf16: 16
        case .i32, .u32, .f32: 32
        case .c64, .f64, .i64, .u64: 64
        }
    }

    /// The dtypes `SafeTensorsFile.tensor(_:)` converts to Float32.
    public static let floatReadable: [SafeTensorsDType] = [.f32, .f16, .bf16]
    /// The dtypes `SafeTensorsFile.integers(_:)` reads.
    public static let integerReadable: [SafeTensorsDType] = [.i32, .i64]
    /// The dtypes `SafeTensors.write` can store.
    public static let writable: [SafeTensorsDType] = [.f32, .bf16]

    public var description: String { rawValue }
}
