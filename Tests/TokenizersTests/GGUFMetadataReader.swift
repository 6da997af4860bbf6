// A minimal GGUF metadata reader for the tests only (the real GGUF reader lives in Checkpoints):
// enough to read the llama.cpp vocab test files' `tokenizer.ggml.*` keys.
//
// GGUF v2/v3 header: magic "GGUF", u32 version, u64 tensor count, u64 key-value count, then for each
// key-value pair: key (u64 length + UTF-8 bytes), u32 value type, value. Arrays are u32 element type,
// u64 count, elements. All little-endian.
import Foundation
@testable import Tokenizers

enum GGUFValue {
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])

    var int: Int? {
        switch self {
        case let .int(v): return Int(v)
        case let .uint(v): return Int(v)
        default: return nil
        }
    }

    var bool: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    var string: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    var strings: [String]? {
        guard case let .array(items) = self else { return nil }
        return items.compactMap(\.string)
    }

    var floats: [Float]? {
        guard case let .array(items) = self else { return nil }
        var out: [Float] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case let .float(v) = item else { return nil }
            out.append(Float(v))
        }
        return out
    }

    var ints: [Int]? {
        guard case let .array(items) = self else { return nil }
        return items.compactMap(\.int)
    }
}

struct GGUFReadError: Error, CustomStringConvertible {
    var description: String
}

/// Reads the metadata key-value pairs of a GGUF file (tensor data is not touched).
func readGGUFMetadata(_ url: URL) throws -> [String: GGUFValue] {
    let data = try Data(contentsOf: url, options: .alwaysMapped)
    var offset = 0

    func take(_ n: Int) throws -> Data {
        guard n >= 0, offset + n <= data.count else { throw GGUFReadError(description: "truncated GGUF at byte \(offset)") }
        defer { offset += n }
        return data.subdata(in: offset ..< offset + n)
    }
    func readInt<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let bytes = try take(MemoryLayout<T>.size)
        var value: T = 0
        for (i, byte) in bytes.enumerated() { value |= T(truncatingIfNeeded: byte) << (8 * i) }
        return value
    }
    func readString() throws -> String {
        let length = try readInt(UInt64.self)
        guard length < 1 << 31 else { throw GGUFReadError(description: "string length \(length) at byte \(offset)") }
        // Lossy on purpose for tests: GGUF strings are UTF-8.
        return String(decoding: try take(Int(length)), as: UTF8.self)
    }
    func readValue(_ type: UInt32) throws -> GGUFValue {
        switch type {
        case 0: return .uint(UInt64(try readInt(UInt8.self)))
        case 1: return .int(Int64(try readInt(Int8.self)))
        case 2: return .uint(UInt64(try readInt(UInt16.self)))
        case 3: return .int(Int64(try readInt(Int16.self)))
        case 4: return .uint(UInt64(try readInt(UInt32.self)))
        case 5: return .int(Int64(try readInt(Int32.self)))
        case 6: return .float(Double(Float(bitPattern: try readInt(UInt32.self))))
        case 7: return .bool(try readInt(UInt8.self) != 0)
        case 8: return .string(try readString())
        case 9:
            let elementType = try readInt(UInt32.self)
            let count = try readInt(UInt64.self)
            guard count < 1 << 28 else { throw GGUFReadError(description: "array count \(count)") }
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(count))
            for _ in 0 ..< count { items.append(try readValue(elementType)) }
            return .array(items)
        case 10: return .uint(try readInt(UInt64.self))
        case 11: return .int(try readInt(Int64.self))
        case 12: return .float(Double(bitPattern: try readInt(UInt64.self)))
        default: throw GGUFReadError(description: "unknown GGUF value type \(type)")
        }
    }

    guard try take(4) == Data("GGUF".utf8) else { throw GGUFReadError(description: "not a GGUF file: \(url.path)") }
    let version = try readInt(UInt32.self)
    guard version == 2 || version == 3 else { throw GGUFReadError(description: "GGUF version \(version)") }
    _ = try readInt(UInt64.self)  // tensor count
    let kvCount = try readInt(UInt64.self)
    var result: [String: GGUFValue] = [:]
    for _ in 0 ..< kvCount {
        let key = try readString()
        let type = try readInt(UInt32.self)
        result[key] = try readValue(type)
    }
    return result
}

/// The tokenizer metadata of a GGUF file, as another module would pass it to `Tokenizer(gguf:)`.
func ggufTokenizerMetadata(_ url: URL) throws -> GGUFTokenizerMetadata {
    let kv = try readGGUFMetadata(url)
    guard let tokens = kv["tokenizer.ggml.tokens"]?.strings else { throw GGUFReadError(description: "no tokenizer.ggml.tokens") }
    return GGUFTokenizerMetadata(
        model: kv["tokenizer.ggml.model"]?.string ?? "gpt2",
        pre: kv["tokenizer.ggml.pre"]?.string,
        tokens: tokens,
        tokenTypes: kv["tokenizer.ggml.token_type"]?.ints,
        merges: kv["tokenizer.ggml.merges"]?.strings ?? [],
        bosTokenID: kv["tokenizer.ggml.bos_token_id"]?.int,
        eosTokenID: kv["tokenizer.ggml.eos_token_id"]?.int,
        unknownTokenID: kv["tokenizer.ggml.unknown_token_id"]?.int,
        paddingTokenID: kv["tokenizer.ggml.padding_token_id"]?.int,
        addBOSToken: kv["tokenizer.ggml.add_bos_token"]?.bool,
        addEOSToken: kv["tokenizer.ggml.add_eos_token"]?.bool,
        chatTemplate: kv["tokenizer.chat_template"]?.string,
        scores: kv["tokenizer.ggml.scores"]?.floats,
        addSpacePrefix: kv["tokenizer.ggml.add_space_prefix"]?.bool)
}
