// The value and tensor types of the GGUF format.
//
// Format reference: ggml's `docs/gguf.md` and its reader `ggml/src/gguf.cpp` (ggml-org/llama.cpp);
// type ids and block sizes as in `ggml.h` / `ggml-common.h` and the Python `gguf` package's
// `GGML_QUANT_SIZES`, which is maintained next to them. Every GGML type id is known by name and block
// layout, not only the ones TokenAlign can dequantise, so that a file holding, say, Q5_K tensors still
// opens (its metadata, such as the tokenizer, stays readable and its layout is still validated); only
// dequantising such a tensor reports `unsupportedGGMLType`.

/// The type of a GGUF metadata value (`gguf_metadata_value_type`).
public enum GGUFValueType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Bytes one value of a fixed-size type occupies; nil for strings and arrays.
    var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string, .array: nil
        }
    }

    /// The fewest bytes a value of this type can occupy in a file: a string is at least its 8-byte
    /// length, an array its 4-byte element type and 8-byte count. Used to reject counts that the rest
    /// of the file could not hold before anything is allocated for them.
    var minimumSize: Int { fixedSize ?? (self == .string ? 8 : 12) }

    public var description: String {
        switch self {
        case .uint8: "u8"
        case .int8: "i8"
        case .uint16: "u16"
        case .int16: "i16"
        case .uint32: "u32"
        case .int32: "i32"
        case .float32: "f32"
        case .bool: "bool"
        case .string: "string"
        case .array: "array"
        case .uint64: "u64"
        case .int64: "i64"
        case .float64: "f64"
        }
    }
}

/// A GGUF metadata value.
///
/// The cases keep the exact type the file used (a `block_count` may be written as u32 by one
/// converter and as i64 by another); the accessors (`int`, `string`, `stringArray`, …) answer across
/// types wherever the conversion is exact, and nil otherwise.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        case .bool: .bool
        case .string: .string
        case .array: .array
        case .uint64: .uint64
        case .int64: .int64
        case .float64: .float64
        }
    }

    /// The string, for string values.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value of any integer type, if it fits in `Int` (a u64 above `Int.max` gives nil).
    public var int: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// The value of a float or integer type as a Double (integers only where exactly representable).
    public var double: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        case .uint64(let v): Double(exactly: v)
        case .int64(let v): Double(exactly: v)
        default: int.map(Double.init)
        }
    }

    /// `double` rounded to Float (exact for f32 values).
    public var float: Float? { double.map { Float($0) } }

    /// The value, for bool values.
    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The array, for array values.
    public var array: GGUFArray? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The elements of an array of strings.
    public var stringArray: [String]? { array?.strings }
    /// The elements of an array of any integer type, if every one fits in `Int`.
    public var intArray: [Int]? { array?.ints }
    /// The elements of an array of f32 or f64 (f64 rounded to Float).
    public var floatArray: [Float]? { array?.floats }
    /// The elements of an array of f32 or f64.
    public var doubleArray: [Double]? { array?.doubles }
    /// The elements of an array of bools.
    public var boolArray: [Bool]? {
        if case .array(.bool(let v)) = self { return v }
        return nil
    }
}

/// A GGUF metadata array: homogeneous, stored unboxed per element type. Arrays may nest; each inner
/// array carries its own element type (as in the file).
public enum GGUFArray: Sendable, Equatable {
    case uint8([UInt8])
    case int8([Int8])
    case uint16([UInt16])
    case int16([Int16])
    case uint32([UInt32])
    case int32([Int32])
    case float32([Float])
    case bool([Bool])
    case string([String])
    case array([GGUFArray])
    case uint64([UInt64])
    case int64([Int64])
    case float64([Double])

    /// The type of every element.
    public var elementType: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        case .bool: .bool
        case .string: .string
        case .array: .array
        case .uint64: .uint64
        case .int64: .int64
        case .float64: .float64
        }
    }

    public var count: Int {
        switch self {
        case .uint8(let v): v.count
        case .int8(let v): v.count
        case .uint16(let v): v.count
        case .int16(let v): v.count
        case .uint32(let v): v.count
        case .int32(let v): v.count
        case .float32(let v): v.count
        case .bool(let v): v.count
        case .string(let v): v.count
        case .array(let v): v.count
        case .uint64(let v): v.count
        case .int64(let v): v.count
        case .float64(let v): v.count
        }
    }

    /// The elements as individual values (boxes each one: prefer the typed accessors for big arrays).
    public var values: [GGUFValue] {
        switch self {
        case .uint8(let v): v.map(GGUFValue.uint8)
        case .int8(let v): v.map(GGUFValue.int8)
        case .uint16(let v): v.map(GGUFValue.uint16)
        case .int16(let v): v.map(GGUFValue.int16)
        case .uint32(let v): v.map(GGUFValue.uint32)
        case .int32(let v): v.map(GGUFValue.int32)
        case .float32(let v): v.map(GGUFValue.float32)
        case .bool(let v): v.map(GGUFValue.bool)
        case .string(let v): v.map(GGUFValue.string)
        case .array(let v): v.map(GGUFValue.array)
        case .uint64(let v): v.map(GGUFValue.uint64)
        case .int64(let v): v.map(GGUFValue.int64)
        case .float64(let v): v.map(GGUFValue.float64)
        }
    }

    /// The elements of an array of strings.
    public var strings: [String]? {
        if case .string(let v) = self { return v }
        return nil
    }

    /// The elements of an array of any integer type, if every one fits in `Int`.
    public var ints: [Int]? {
        switch self {
        case .uint8(let v): v.map(Int.init)
        case .int8(let v): v.map(Int.init)
        case .uint16(let v): v.map(Int.init)
        case .int16(let v): v.map(Int.init)
        case .uint32(let v): v.map(Int.init)
        case .int32(let v): v.map(Int.init)
        case .int64(let v): v.map(Int.init)
        case .uint64(let v):
            v.allSatisfy { $0 <= UInt64(Int.max) } ? v.map { Int($0) } : nil
        default: nil
        }
    }

    /// The elements of an array of f32 or f64 (f64 rounded to Float).
    public var floats: [Float]? {
        switch self {
        case .float32(let v): v
        case .float64(let v): v.map { Float($0) }
        default: nil
        }
    }

    /// The elements of an array of f32 or f64.
    public var doubles: [Double]? {
        switch self {
        case .float32(let v): v.map(Double.init)
        case .float64(let v): v
        default: nil
        }
    }

    /// The inner arrays of an array of arrays.
    public var arrays: [GGUFArray]? {
        if case .array(let v) = self { return v }
        return nil
    }
}

/// A GGML tensor type (`enum ggml_type`), by id. Ids this reader does not know are kept as they are,
/// so that such a tensor can still be listed and named in an error.
public struct GGMLType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let f32 = GGMLType(rawValue: 0)
    public static let f16 = GGMLType(rawValue: 1)
    public static let q4_0 = GGMLType(rawValue: 2)
    public static let q4_1 = GGMLType(rawValue: 3)
    public static let q5_0 = GGMLType(rawValue: 6)
    public static let q5_1 = GGMLType(rawValue: 7)
    public static let q8_0 = GGMLType(rawValue: 8)
    public static let q2_K = GGMLType(rawValue: 10)
    public static let q3_K = GGMLType(rawValue: 11)
    public static let q4_K = GGMLType(rawValue: 12)
    public static let q5_K = GGMLType(rawValue: 13)
    public static let q6_K = GGMLType(rawValue: 14)
    public static let bf16 = GGMLType(rawValue: 30)

    /// The types `GGUFFile.tensor(_:)` converts to Float32.
    public static let dequantizable: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1]

    /// ggml's name for the type ("Q4_1"), nil for an unknown id.
    public var name: String? { Self.table[rawValue]?.name }

    /// Elements per block and bytes per block (1 and the element size for unquantised types); nil
    /// for an unknown id, whose tensors cannot be sized.
    public var blockLayout: (elements: Int, bytes: Int)? {
        Self.table[rawValue].map { ($0.elements, $0.bytes) }
    }

    public var description: String {
        if let name { return "\(name) (type \(rawValue))" }
        return "unknown GGML type \(rawValue)"
    }

    /// Ids 4, 5, 31–33 and 36–38 belonged to types ggml has removed; files with them are not
    /// produced by any current converter, so they count as unknown.
    private static let table: [UInt32: (name: String, elements: Int, bytes: Int)] = [
        0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
        6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40),
        10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176),
        14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292), 16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74),
        18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
        22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
        26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2),
        34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17), 40: ("NVFP4", 64, 36),
        41: ("Q1_0", 128, 18),
    ]
}
