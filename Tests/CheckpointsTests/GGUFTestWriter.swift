// A GGUF writer for tests, written independently of the reader: type ids, the byte layout and the
// quantisation block layouts are spelled out here from ggml's docs/gguf.md and ggml-common.h, so
// that a mistake in `GGUFFile` cannot cancel out against the same mistake here. It can also write
// files the reader must reject (wrong counts, raw bytes, explicit offsets).
import Foundation

/// A metadata value as the test writes it.
indirect enum TestGGUFValue {
    case u8(UInt8), i8(Int8), u16(UInt16), i16(Int16), u32(UInt32), i32(Int32), f32(Float), bool(Bool)
    case str(String), u64(UInt64), i64(Int64), f64(Double)
    /// An array: element type id and elements (for an array of arrays, id 9 and `.array` elements,
    /// each with its own element type).
    case array(UInt32, [TestGGUFValue])
    /// Any type id followed by arbitrary bytes, for malformed files.
    case raw(type: UInt32, payload: [UInt8])
    /// A string given as raw bytes (e.g. invalid UTF-8).
    case rawString([UInt8])

    var typeID: UInt32 {
        switch self {
        case .u8: 0
        case .i8: 1
        case .u16: 2
        case .i16: 3
        case .u32: 4
        case .i32: 5
        case .f32: 6
        case .bool: 7
        case .str, .rawString: 8
        case .array: 9
        case .u64: 10
        case .i64: 11
        case .f64: 12
        case .raw(let type, _): type
        }
    }

    /// The value's bytes without its type id (the form array elements take).
    var payload: [UInt8] {
        switch self {
        case .u8(let v): le(v)
        case .i8(let v): le(v)
        case .u16(let v): le(v)
        case .i16(let v): le(v)
        case .u32(let v): le(v)
        case .i32(let v): le(v)
        case .f32(let v): le(v.bitPattern)
        case .bool(let v): [v ? 1 : 0]
        case .str(let s): ggufString(Array(s.utf8))
        case .rawString(let bytes): ggufString(bytes)
        case .u64(let v): le(v)
        case .i64(let v): le(v)
        case .f64(let v): le(v.bitPattern)
        case .array(let type, let elements): le(type) + le(UInt64(elements.count)) + elements.flatMap(\.payload)
        case .raw(_, let payload): payload
        }
    }
}

/// Little-endian bytes of an integer.
func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

/// A GGUF string: u64 length, then the bytes.
func ggufString(_ bytes: [UInt8]) -> [UInt8] { le(UInt64(bytes.count)) + bytes }

struct GGUFTestWriter {
    struct TensorEntry {
        var name: String
        /// Innermost first, as GGUF stores them.
        var dims: [UInt64]
        var type: UInt32
        var data: [UInt8]
        /// Written instead of the computed offset (the data still goes at the computed one).
        var offsetOverride: UInt64? = nil
        /// A name given as raw bytes.
        var rawName: [UInt8]? = nil
    }

    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var metadata: [(key: String, value: TestGGUFValue)] = []
    var tensors: [TensorEntry] = []
    /// Used to lay out the data section; set `general.alignment` in `metadata` to match.
    var alignment = 32
    var tensorCountOverride: UInt64?
    var kvCountOverride: UInt64?

    mutating func add(_ key: String, _ value: TestGGUFValue) { metadata.append((key, value)) }

    mutating func addTensor(_ name: String, dims: [UInt64], type: UInt32, data: [UInt8]) {
        tensors.append(TensorEntry(name: name, dims: dims, type: type, data: data))
    }

    /// The offsets each tensor's data is placed at: in order, each rounded up to `alignment`.
    var layoutOffsets: [Int] {
        var offsets: [Int] = []
        var next = 0
        for t in tensors {
            offsets.append(next)
            next = (next + t.data.count + alignment - 1) / alignment * alignment
        }
        return offsets
    }

    /// The header: everything before the padding that precedes the data section.
    func headerBytes() -> [UInt8] {
        var out = magic + le(version)
        out += le(tensorCountOverride ?? UInt64(tensors.count))
        out += le(kvCountOverride ?? UInt64(metadata.count))
        for (key, value) in metadata {
            out += ggufString(Array(key.utf8)) + le(value.typeID) + value.payload
        }
        for (t, offset) in zip(tensors, layoutOffsets) {
            out += ggufString(t.rawName ?? Array(t.name.utf8))
            out += le(UInt32(t.dims.count))
            for d in t.dims { out += le(d) }
            out += le(t.type)
            out += le(t.offsetOverride ?? UInt64(offset))
        }
        return out
    }

    func bytes() -> [UInt8] {
        var out = headerBytes()
        out += [UInt8](repeating: 0, count: (alignment - out.count % alignment) % alignment)
        let dataStart = out.count
        for (t, offset) in zip(tensors, layoutOffsets) {
            out += [UInt8](repeating: 0, count: dataStart + offset - out.count)
            out += t.data
        }
        return out
    }
}

// MARK: - Quantisation blocks, built by hand

/// A Q8_0 block: f16 scale bits, then 32 int8 quants.
func q8_0Block(scale: UInt16, _ q: [Int8]) -> [UInt8] {
    precondition(q.count == 32)
    return le(scale) + q.map { UInt8(bitPattern: $0) }
}

/// A Q4_0 block: f16 scale bits, then 16 bytes whose low nibbles are elements 0–15 and high nibbles
/// elements 16–31. `q` holds the 32 unsigned nibbles in element order.
func q4_0Block(scale: UInt16, _ q: [UInt8]) -> [UInt8] {
    precondition(q.count == 32 && q.allSatisfy { $0 < 16 })
    return le(scale) + (0 ..< 16).map { q[$0] | (q[$0 + 16] << 4) }
}

/// A Q4_1 block: f16 scale and minimum bits, then nibbles as in Q4_0.
func q4_1Block(scale: UInt16, min: UInt16, _ q: [UInt8]) -> [UInt8] {
    precondition(q.count == 32 && q.allSatisfy { $0 < 16 })
    return le(scale) + le(min) + (0 ..< 16).map { q[$0] | (q[$0 + 16] << 4) }
}

/// The value of half-precision bits, through the standard library's Float16 (independent of the
/// reader's bit manipulation).
func halfValue(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

/// Reference dequantisation of whole blocks, straight from ggml's formulas.
func referenceDequantize(type: UInt32, _ data: [UInt8]) -> [Float] {
    var out: [Float] = []
    switch type {
    case 8:  // Q8_0
        for b in stride(from: 0, to: data.count, by: 34) {
            let d = halfValue(UInt16(data[b]) | UInt16(data[b + 1]) << 8)
            for j in 0 ..< 32 { out.append(Float(Int8(bitPattern: data[b + 2 + j])) * d) }
        }
    case 2:  // Q4_0
        for b in stride(from: 0, to: data.count, by: 18) {
            let d = halfValue(UInt16(data[b]) | UInt16(data[b + 1]) << 8)
            let low = (0 ..< 16).map { Float(Int(data[b + 2 + $0] & 0xF) - 8) * d }
            let high = (0 ..< 16).map { Float(Int(data[b + 2 + $0] >> 4) - 8) * d }
            out += low + high
        }
    case 3:  // Q4_1
        for b in stride(from: 0, to: data.count, by: 20) {
            let d = halfValue(UInt16(data[b]) | UInt16(data[b + 1]) << 8)
            let m = halfValue(UInt16(data[b + 2]) | UInt16(data[b + 3]) << 8)
            let low = (0 ..< 16).map { Float(data[b + 4 + $0] & 0xF) * d + m }
            let high = (0 ..< 16).map { Float(data[b + 4 + $0] >> 4) * d + m }
            out += low + high
        }
    default:
        fatalError("no reference for type \(type)")
    }
    return out
}
