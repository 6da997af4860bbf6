// Validation of a safetensors header against the data section it describes.
//
// Format (huggingface/safetensors README, "Format"):
//   - 8 bytes: N, a little-endian u64, the size of the header;
//   - N bytes: a UTF-8 JSON object that MUST begin with `{` and MAY be padded with trailing spaces,
//     mapping each tensor name to {"dtype", "shape", "data_offsets": [BEGIN, END]}, where the offsets
//     are relative to the start of the data section and END is one past the last byte; the optional
//     key `__metadata__` holds a string-to-string map;
//   - the rest of the file: the data section, which must be covered by the tensors exactly
//     ("entirely indexed, and cannot contain holes").
//
// The checks below follow the reference implementation (`Metadata::validate` in
// safetensors/src/tensor.rs) but report each problem as its own `CheckpointError` case. They run in
// a fixed order, so a file with several problems always reports the same one:
//   1. each entry, in name order: fields and their types, dtype, shape, offsets, byte length;
//   2. the data section against the sum of the tensor sizes (a cut-off file is `truncated`);
//   3. each range against the data section;
//   4. ranges against each other (overlap), then bytes no tensor covers.
import Support

/// Where one tensor lives in a safetensors file and how to interpret its bytes.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafeTensorsDType
    /// Row-major extents; `[]` is a scalar, and a zero extent makes an empty tensor (no bytes).
    public let shape: [Int]
    /// The header's `data_offsets`: the tensor's bytes, relative to the start of the data section.
    public let dataOffsets: Range<Int>
    /// Product of `shape`.
    public let elementCount: Int

    /// Bytes the tensor occupies in the file.
    public var byteCount: Int { dataOffsets.count }
}

/// A parsed and validated header.
struct SafeTensorsHeader {
    /// The reference implementation refuses headers above 100 MB (`MAX_HEADER_SIZE`); so do we.
    static let maxLength = 100_000_000

    var tensors: [String: TensorInfo]
    var metadata: [String: String]

    /// Parses `json` (the header bytes) and checks it against a data section of `dataSize` bytes.
    static func parse(json: UnsafeRawBufferPointer, dataSize: Int, path: String) throws(CheckpointError) -> SafeTensorsHeader {
        // The format's JSON dialect is what `serde_json` accepts, with duplicate keys refused (the
        // aliasing trick a malicious header could use), integers exact and nesting capped.
        let root: JSONValue
        do {
            root = try JSONValue.parse(json, file: path, options: .strict)
        } catch {
            throw .invalidJSON(path: path, reason: "\(error.reason) at \(error.position)")
        }
        guard let entries = root.objectValue else { throw .headerNotAnObject(path: path, found: root.summary) }
        guard json.first == UInt8(ascii: "{") else {
            throw .invalidJSON(path: path, reason: "the header must begin with '{', not whitespace")
        }
        // Byte-distinct names that Swift's `String` equates (canonical equivalence) would alias too.
        guard entries.count == root.members?.count else {
            throw .invalidJSON(path: path, reason: "duplicate key: two tensor names are the same text in different Unicode forms")
        }

        var metadata: [String: String] = [:]
        var tensors: [String: TensorInfo] = [:]
        for name in entries.keys.sorted() {
            guard let value = entries[name] else { continue }
            if name == "__metadata__" {
                metadata = try parseMetadata(value, path: path)
            } else {
                tensors[name] = try parseEntry(name: name, value, dataSize: dataSize, path: path)
            }
        }
        try checkLayout(tensors, dataSize: dataSize, path: path)
        return SafeTensorsHeader(tensors: tensors, metadata: metadata)
    }

    private static func parseMetadata(_ value: JSONValue, path: String) throws(CheckpointError) -> [String: String] {
        switch value {
        case .null:
            return [:]
        case .object(let members):
            var metadata: [String: String] = [:]
            for m in members {
                let key = m.key, member = m.value
                guard case .string(let string) = member else {
                    throw .invalidMetadata(path: path, reason: "value of \"\(key)\" is \(member.summary)")
                }
                metadata[key] = string
            }
            return metadata
        default:
            throw .invalidMetadata(path: path, reason: "found \(value.summary)")
        }
    }

    private static func parseEntry(
        name: String, _ value: JSONValue, dataSize: Int, path: String
    ) throws(CheckpointError) -> TensorInfo {
        guard let fields = value.objectValue else {
            throw .invalidTensorEntry(path: path, tensor: name, found: value.summary)
        }
        func field(_ key: String) throws(CheckpointError) -> JSONValue {
            guard let v = fields[key] else { throw .missingField(path: path, tensor: name, field: key) }
            return v
        }

        // dtype
        let dtypeValue = try field("dtype")
        guard case .string(let dtypeName) = dtypeValue else {
            throw .wrongFieldType(path: path, tensor: name, field: "dtype", expected: "a string", found: dtypeValue.summary)
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(path: path, tensor: name, dtype: dtypeName)
        }

        // shape
        let shapeValue = try field("shape")
        guard case .array(let dims) = shapeValue else {
            throw .wrongFieldType(path: path, tensor: name, field: "shape", expected: "an array of integers", found: shapeValue.summary)
        }
        // The element count is the product taken left to right, and any step that overflows makes
        // the shape invalid even if a later extent is 0: that is the reference implementation's rule
        // (`try_fold(1, usize::checked_mul)`), and `Tensor` computes the count the same way.
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        var elementCount = 1
        var overflow = false
        for dim in dims {
            switch dim {
            case .integer(let n) where n >= 0:
                shape.append(n)
                let (product, stepOverflow) = elementCount.multipliedReportingOverflow(by: n)
                elementCount = product
                overflow = overflow || stepOverflow
            case .integer(let n):
                throw .invalidShape(path: path, tensor: name, reason: "dimension \(n) is negative")
            case .number(let d):
                throw .invalidShape(path: path, tensor: name, reason: "dimension \(d) is not a non-negative integer")
            case .bigInteger(let digits):
                throw .invalidShape(path: path, tensor: name, reason: "dimension \(digits) is beyond the 64-bit integer range")
            default:
                throw .wrongFieldType(path: path, tensor: name, field: "shape", expected: "an array of integers", found: "an array containing \(dim.summary)")
            }
        }
        let (bits, bitsOverflow) = elementCount.multipliedReportingOverflow(by: dtype.bitWidth)
        guard !overflow, !bitsOverflow else {
            throw .invalidShape(path: path, tensor: name, reason: "\(shape) has too many elements")
        }
        guard bits % 8 == 0 else {
            throw .invalidShape(path: path, tensor: name, reason: "\(elementCount) elements of \(dtype) do not fill a whole number of bytes")
        }

        // data_offsets
        let offsetsValue = try field("data_offsets")
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
              case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1], begin >= 0, end >= 0
        else {
            throw .wrongFieldType(path: path, tensor: name, field: "data_offsets", expected: "an array of two non-negative integers",
                                  found: offsetsValue.summary)
        }
        guard begin <= end else {
            throw .dataOffsetsOutOfRange(path: path, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        guard end - begin == bits / 8 else {
            throw .byteLengthMismatch(path: path, tensor: name, dtype: dtype, shape: shape, expected: bits / 8, actual: end - begin)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin ..< end, elementCount: elementCount)
    }

    private static func checkLayout(_ tensors: [String: TensorInfo], dataSize: Int, path: String) throws(CheckpointError) {
        // A cut-off file: the tensors need more bytes than there are. Each size is bounded by its
        // end offset (an Int), but the sum of many can still overflow; treat that as "needs more".
        var required = 0
        for info in tensors.values {
            let (sum, overflow) = required.addingReportingOverflow(info.byteCount)
            required = overflow ? Int.max : sum
        }
        guard required <= dataSize else { throw .truncated(path: path, dataBytes: dataSize, requiredBytes: required) }

        // Sorting by range makes overlaps and holes visible between neighbours; the name breaks ties
        // so that the report is deterministic.
        let ordered = tensors.values.sorted {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name)
        }
        for info in ordered where info.dataOffsets.upperBound > dataSize {
            throw .dataOffsetsOutOfRange(path: path, tensor: info.name, begin: info.dataOffsets.lowerBound,
                                         end: info.dataOffsets.upperBound, dataSize: dataSize)
        }
        var covered = 0  // end of the furthest-reaching range so far
        var coveredBy: String?
        for info in ordered {
            if info.dataOffsets.lowerBound < covered, let previous = coveredBy {
                throw .overlappingTensors(path: path, first: previous, second: info.name)
            }
            if info.dataOffsets.lowerBound > covered {
                throw .unindexedBytes(path: path, range: covered ..< info.dataOffsets.lowerBound)
            }
            if info.dataOffsets.upperBound >= covered {
                covered = info.dataOffsets.upperBound
                coveredBy = info.name
            }
        }
        if covered < dataSize { throw .unindexedBytes(path: path, range: covered ..< dataSize) }
    }
}
