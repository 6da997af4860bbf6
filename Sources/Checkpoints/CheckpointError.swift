// Errors from reading and writing checkpoint files.
//
// A checkpoint may come from anywhere (a download, another framework, a half-finished write), so
// every inconsistency in a file is reported as a value of this enum rather than trapping. Each case
// carries the file's path, and the tensor's name where one is involved, so that the message alone
// says which file to look at and what is wrong with it.
import Foundation

/// Why a checkpoint could not be read or written.
public enum CheckpointError: Error, Sendable, Equatable {
    // MARK: Opening and framing

    /// The file could not be opened or memory-mapped (missing, unreadable, not a regular file).
    case cannotOpen(path: String, reason: String)
    /// The file is shorter than the 8-byte header length that starts every safetensors file.
    case fileTooShort(path: String, fileSize: Int)
    /// The header length exceeds the 100 MB cap of the reference implementation, which guards
    /// against parsing absurd amounts of JSON.
    case headerTooLarge(path: String, headerLength: UInt64, limit: Int)
    /// The header length points past the end of the file.
    case headerLengthExceedsFile(path: String, headerLength: UInt64, fileSize: Int)

    // MARK: Header contents

    /// The header is not valid UTF-8 JSON (or violates the format's JSON rules, such as duplicate keys).
    case invalidJSON(path: String, reason: String)
    /// The header is valid JSON but not an object.
    case headerNotAnObject(path: String, found: String)
    /// `__metadata__` is not a map from strings to strings.
    case invalidMetadata(path: String, reason: String)
    /// A tensor's header entry is not an object.
    case invalidTensorEntry(path: String, tensor: String, found: String)
    /// A tensor's header entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(path: String, tensor: String, field: String)
    /// A tensor's header field has the wrong JSON type.
    case wrongFieldType(path: String, tensor: String, field: String, expected: String, found: String)
    /// A tensor's `dtype` is not one of the format's dtypes.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A tensor's shape has a negative or non-integer dimension, or its size cannot be represented.
    case invalidShape(path: String, tensor: String, reason: String)
    /// A tensor's `data_offsets` are reversed or reach past the end of the data section.
    case dataOffsetsOutOfRange(path: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// A tensor's byte range does not match its shape and dtype.
    case byteLengthMismatch(path: String, tensor: String, dtype: SafeTensorsDType, shape: [Int], expected: Int, actual: Int)
    /// Two tensors claim some of the same bytes.
    case overlappingTensors(path: String, first: String, second: String)
    /// The data section is shorter than the tensors in the header need: the file was cut off.
    case truncated(path: String, dataBytes: Int, requiredBytes: Int)
    /// Bytes of the data section that belong to no tensor. The format requires the data section to
    /// be covered exactly, which rules out hiding a second file ("polyglot") inside a checkpoint.
    case unindexedBytes(path: String, range: Range<Int>)

    // MARK: Access

    /// No tensor of that name is in the file.
    case tensorNotFound(path: String, tensor: String)
    /// The tensor's dtype is valid but cannot be converted by the requested accessor.
    case unsupportedDType(path: String, tensor: String, dtype: SafeTensorsDType, supported: [SafeTensorsDType])

    // MARK: Writing

    /// `SafeTensors.write` was asked for a dtype it cannot store.
    case unsupportedWriteDType(path: String, dtype: SafeTensorsDType)
    /// A tensor name that the format reserves (`__metadata__`).
    case invalidTensorName(path: String, tensor: String, reason: String)
    /// Creating, writing, syncing or renaming the file failed; the destination is left untouched.
    case writeFailed(path: String, reason: String)

    // MARK: Sharded safetensors

    /// A folder holds no `model.safetensors`, no `*.safetensors.index.json` and no `*.safetensors`.
    case noCheckpointFound(path: String)
    /// A `*.safetensors.index.json` that is not a usable sharded-checkpoint index: not (strict) JSON,
    /// no `weight_map`, a shard name that is not a string or points outside the index's folder.
    case invalidIndex(path: String, reason: String)
    /// The index (`path`) maps tensors to a shard file that does not exist.
    case missingShard(path: String, shard: String)
    /// The index (`path`) puts a tensor in a shard whose header does not list it.
    case tensorMissingFromShard(path: String, tensor: String, shard: String)
    /// Two shards of one checkpoint (`path`: the index or the folder) both hold the tensor, so which
    /// one is meant is ambiguous.
    case tensorInMultipleShards(path: String, tensor: String, shards: [String])

    // MARK: GGUF

    /// The file does not start with the four bytes "GGUF".
    case ggufBadMagic(path: String, found: [UInt8])
    /// A GGUF version other than 2 and 3 (1 used 32-bit counts and is obsolete; a big-endian file's
    /// version reads as a huge number).
    case ggufUnsupportedVersion(path: String, version: UInt32)
    /// Reading `what` at byte `offset` needs `needed` bytes, but only `available` remain: the file was
    /// cut off, or a length field is corrupt.
    case ggufTruncated(path: String, what: String, offset: Int, needed: UInt64, available: Int)
    /// A count (tensors, metadata entries, array elements) larger than the rest of the file could hold
    /// even at the smallest encoding of each item. Rejected before anything is allocated for it.
    case ggufCountTooLarge(path: String, what: String, count: UInt64, available: Int)
    /// A string (a key, a value, a tensor name) that is not valid UTF-8.
    case ggufInvalidString(path: String, what: String, offset: Int)
    /// A metadata value (or array element) of a type id the format does not define.
    case ggufUnknownValueType(path: String, key: String, type: UInt32)
    /// A metadata entry that cannot be accepted for another reason (empty key, arrays nested too deep).
    case ggufInvalidMetadata(path: String, key: String, reason: String)
    /// The same metadata key appears twice.
    case ggufDuplicateKey(path: String, key: String)
    /// `general.alignment` is not a UInt32 or not a non-zero power of two.
    case ggufInvalidAlignment(path: String, reason: String)
    /// The same tensor name appears twice.
    case ggufDuplicateTensor(path: String, tensor: String)
    /// A tensor's dimensions are unusable: too many, too large, or a row that does not hold a whole
    /// number of quantisation blocks.
    case ggufInvalidTensorInfo(path: String, tensor: String, reason: String)
    /// A tensor's data offset is not a multiple of the file's alignment.
    case ggufMisalignedTensor(path: String, tensor: String, offset: UInt64, alignment: Int)
    /// A tensor's bytes reach past the end of the data section.
    case ggufTensorDataOutOfRange(path: String, tensor: String, offset: UInt64, byteCount: Int, dataSize: Int)
    /// The tensor's GGML type is valid but has no dequantiser here, or is a type id this reader does
    /// not know (a newer ggml's).
    case unsupportedGGMLType(path: String, tensor: String, type: GGMLType)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .cannotOpen(let path, _), .fileTooShort(let path, _), .headerTooLarge(let path, _, _),
             .headerLengthExceedsFile(let path, _, _), .invalidJSON(let path, _), .headerNotAnObject(let path, _),
             .invalidMetadata(let path, _), .invalidTensorEntry(let path, _, _), .missingField(let path, _, _),
             .wrongFieldType(let path, _, _, _, _), .unknownDType(let path, _, _), .invalidShape(let path, _, _),
             .dataOffsetsOutOfRange(let path, _, _, _, _), .byteLengthMismatch(let path, _, _, _, _, _),
             .overlappingTensors(let path, _, _), .truncated(let path, _, _), .unindexedBytes(let path, _),
             .tensorNotFound(let path, _), .unsupportedDType(let path, _, _, _), .unsupportedWriteDType(let path, _),
             .invalidTensorName(let path, _, _), .writeFailed(let path, _),
             .noCheckpointFound(let path), .invalidIndex(let path, _), .missingShard(let path, _),
             .tensorMissingFromShard(let path, _, _), .tensorInMultipleShards(let path, _, _),
             .ggufBadMagic(let path, _), .ggufUnsupportedVersion(let path, _), .ggufTruncated(let path, _, _, _, _),
             .ggufCountTooLarge(let path, _, _, _), .ggufInvalidString(let path, _, _), .ggufUnknownValueType(let path, _, _),
             .ggufInvalidMetadata(let path, _, _), .ggufDuplicateKey(let path, _), .ggufInvalidAlignment(let path, _),
             .ggufDuplicateTensor(let path, _), .ggufInvalidTensorInfo(let path, _, _), .ggufMisalignedTensor(let path, _, _, _),
             .ggufTensorDataOutOfRange(let path, _, _, _, _), .unsupportedGGMLType(let path, _, _):
            return path
        }
    }

    /// The tensor the error is about, if it is about one.
    public var tensorName: String? {
        switch self {
        case .invalidTensorEntry(_, let tensor, _), .missingField(_, let tensor, _), .wrongFieldType(_, let tensor, _, _, _),
             .unknownDType(_, let tensor, _), .invalidShape(_, let tensor, _), .dataOffsetsOutOfRange(_, let tensor, _, _, _),
             .byteLengthMismatch(_, let tensor, _, _, _, _), .overlappingTensors(_, let tensor, _),
             .tensorNotFound(_, let tensor), .unsupportedDType(_, let tensor, _, _), .invalidTensorName(_, let tensor, _),
             .tensorMissingFromShard(_, let tensor, _), .tensorInMultipleShards(_, let tensor, _),
             .ggufDuplicateTensor(_, let tensor), .ggufInvalidTensorInfo(_, let tensor, _),
             .ggufMisalignedTensor(_, let tensor, _, _), .ggufTensorDataOutOfRange(_, let tensor, _, _, _),
             .unsupportedGGMLType(_, let tensor, _):
            return tensor
        case .cannotOpen, .fileTooShort, .headerTooLarge, .headerLengthExceedsFile, .invalidJSON, .headerNotAnObject,
             .invalidMetadata, .truncated, .unindexedBytes, .unsupportedWriteDType, .writeFailed,
             .noCheckpointFound, .invalidIndex, .missingShard,
             .ggufBadMagic, .ggufUnsupportedVersion, .ggufTruncated, .ggufCountTooLarge, .ggufInvalidString,
             .ggufUnknownValueType, .ggufInvalidMetadata, .ggufDuplicateKey, .ggufInvalidAlignment:
            return nil
        }
    }
}

extension CheckpointError: CustomStringConvertible, LocalizedError {
    public var description: String {
        func names(_ dtypes: [SafeTensorsDType]) -> String { dtypes.map(\.rawValue).joined(separator: ", ") }
        let problem: String
        switch self {
        case .cannotOpen(_, let reason):
            problem = "cannot open: \(reason)"
        case .fileTooShort(_, let size):
            problem = "file is \(size) bytes, too short for the 8-byte header length of a safetensors file"
        case .headerTooLarge(_, let length, let limit):
            problem = "header length \(length) exceeds the limit of \(limit) bytes"
        case .headerLengthExceedsFile(_, let length, let size):
            problem = "header length \(length) reaches past the end of the \(size)-byte file"
        case .invalidJSON(_, let reason):
            problem = "header is not valid JSON: \(reason)"
        case .headerNotAnObject(_, let found):
            problem = "header must be a JSON object, found \(found)"
        case .invalidMetadata(_, let reason):
            problem = "__metadata__ must map strings to strings: \(reason)"
        case .invalidTensorEntry(_, let tensor, let found):
            problem = "tensor '\(tensor)': entry must be an object with dtype, shape and data_offsets, found \(found)"
        case .missingField(_, let tensor, let field):
            problem = "tensor '\(tensor)': entry has no \"\(field)\""
        case .wrongFieldType(_, let tensor, let field, let expected, let found):
            problem = "tensor '\(tensor)': \"\(field)\" must be \(expected), found \(found)"
        case .unknownDType(_, let tensor, let dtype):
            problem = "tensor '\(tensor)': unknown dtype \"\(dtype)\""
        case .invalidShape(_, let tensor, let reason):
            problem = "tensor '\(tensor)': invalid shape: \(reason)"
        case .dataOffsetsOutOfRange(_, let tensor, let begin, let end, let dataSize):
            problem = "tensor '\(tensor)': data_offsets [\(begin), \(end)] are out of range of the \(dataSize)-byte data section"
        case .byteLengthMismatch(_, let tensor, let dtype, let shape, let expected, let actual):
            problem = "tensor '\(tensor)': data_offsets span \(actual) bytes but \(dtype) \(shape) needs \(expected)"
        case .overlappingTensors(_, let first, let second):
            problem = "tensors '\(first)' and '\(second)' overlap in the data section"
        case .truncated(_, let dataBytes, let requiredBytes):
            problem = "file is truncated: the data section holds \(dataBytes) bytes but the header's tensors need \(requiredBytes)"
        case .unindexedBytes(_, let range):
            problem = "bytes \(range.lowerBound)..<\(range.upperBound) of the data section belong to no tensor"
        case .tensorNotFound(_, let tensor):
            problem = "no tensor named '\(tensor)'"
        case .unsupportedDType(_, let tensor, let dtype, let supported):
            problem = "tensor '\(tensor)': dtype \(dtype) cannot be read here (supported: \(names(supported)))"
        case .unsupportedWriteDType(_, let dtype):
            problem = "cannot write dtype \(dtype) (supported: \(names(SafeTensorsDType.writable)))"
        case .invalidTensorName(_, let tensor, let reason):
            problem = "tensor name '\(tensor)': \(reason)"
        case .writeFailed(_, let reason):
            problem = "write failed: \(reason)"
        case .noCheckpointFound:
            problem = "no model.safetensors, *.safetensors.index.json or *.safetensors file in this folder"
        case .invalidIndex(_, let reason):
            problem = "not a valid sharded-checkpoint index: \(reason)"
        case .missingShard(_, let shard):
            problem = "the index names shard file '\(shard)', which does not exist"
        case .tensorMissingFromShard(_, let tensor, let shard):
            problem = "the index puts tensor '\(tensor)' in '\(shard)', but that shard does not contain it"
        case .tensorInMultipleShards(_, let tensor, let shards):
            problem = "tensor '\(tensor)' is present in several shards: \(shards.joined(separator: ", "))"
        case .ggufBadMagic(_, let found):
            let text = found.map { (0x20 ..< 0x7F).contains($0) ? String(UnicodeScalar($0)) : "?" }.joined()
            problem = "not a GGUF file: starts with \"\(text)\" (\(found.map { String($0, radix: 16) }.joined(separator: " "))), not \"GGUF\""
        case .ggufUnsupportedVersion(_, let version):
            let hint = version == 1 ? " (GGUF v1 is obsolete; convert the model again)"
                : (version & 0xFFFF == 0 && version != 0 ? " (a big-endian file?)" : "")
            problem = "GGUF version \(version) is not supported (only 2 and 3)\(hint)"
        case .ggufTruncated(_, let what, let offset, let needed, let available):
            problem = "file is truncated or corrupt: \(what) at byte \(offset) needs \(needed) bytes, but only \(available) remain"
        case .ggufCountTooLarge(_, let what, let count, let available):
            problem = "\(what) \(count) cannot fit in the \(available) bytes that remain"
        case .ggufInvalidString(_, let what, let offset):
            problem = "\(what) at byte \(offset) is not valid UTF-8"
        case .ggufUnknownValueType(_, let key, let type):
            problem = "metadata '\(key)': unknown value type \(type)"
        case .ggufInvalidMetadata(_, let key, let reason):
            problem = "metadata '\(key)': \(reason)"
        case .ggufDuplicateKey(_, let key):
            problem = "metadata key '\(key)' appears more than once"
        case .ggufInvalidAlignment(_, let reason):
            problem = "general.alignment: \(reason)"
        case .ggufDuplicateTensor(_, let tensor):
            problem = "tensor name '\(tensor)' appears more than once"
        case .ggufInvalidTensorInfo(_, let tensor, let reason):
            problem = "tensor '\(tensor)': \(reason)"
        case .ggufMisalignedTensor(_, let tensor, let offset, let alignment):
            problem = "tensor '\(tensor)': data offset \(offset) is not a multiple of the alignment \(alignment)"
        case .ggufTensorDataOutOfRange(_, let tensor, let offset, let byteCount, let dataSize):
            problem = "tensor '\(tensor)': \(byteCount) bytes at offset \(offset) reach past the end of the \(dataSize)-byte data section"
        case .unsupportedGGMLType(_, let tensor, let type):
            let supported = GGMLType.dequantizable.map { $0.name ?? "\($0.rawValue)" }.joined(separator: ", ")
            problem = "tensor '\(tensor)': \(type) cannot be dequantised here (supported: \(supported))"
        }
        return "\(path): \(problem)"
    }

    public var errorDescription: String? { description }
}
