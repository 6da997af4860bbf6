// Parsing and validation of a GGUF header: everything before the tensor data.
//
// Layout (ggml `docs/gguf.md`; little-endian throughout):
//   magic "GGUF" · u32 version · u64 tensor_count · u64 metadata_kv_count
//   metadata_kv_count × (string key · u32 value_type · value)
//   tensor_count × (string name · u32 n_dims · n_dims × u64 ne · u32 ggml_type · u64 offset)
//   padding to `general.alignment` (default 32) · tensor data
// where a string is u64 length + UTF-8 bytes (no terminator) and an array value is u32 element type ·
// u64 count · elements (an element may itself be an array, with its own type and count). Version 1
// used u32 counts and lengths; it is obsolete and rejected, like ggml does.
//
// Every field comes from an untrusted file and the package is built with -Ounchecked, so each read is
// bounds-checked here explicitly, every count is checked against the bytes that remain *before*
// anything is allocated for it (a 16-byte file cannot ask for 2⁶⁴ strings), and every size
// computation is overflow-checked. The checks follow ggml's `gguf_init_from_reader` and run in file
// order, so a file with several problems always reports the same one:
//   1. magic, version, counts;
//   2. each metadata entry (non-empty unique key, known value type, lengths, UTF-8), then
//      `general.alignment` (a u32 power of two);
//   3. each tensor info (unique name, at most 4 dimensions, element and byte counts representable,
//      rows of whole quantisation blocks);
//   4. the data section start, then each tensor's offset (aligned) and extent (inside the file);
//   5. tensors against each other (no two share bytes).
// Unlike ggml, tensors need not be stored back to back in info order (the format only asks for
// aligned offsets), and a tensor of an unknown type id is accepted unsized, so the rest of the file
// stays usable; reading it is what fails.

/// Where one tensor lives in a GGUF file and how to interpret its bytes.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let type: GGMLType
    /// The dimensions as the file lists them, innermost (fastest-varying) first: ggml's `ne`. A
    /// PyTorch weight of shape [out, in] is stored as [in, out].
    public let ggufDimensions: [Int]
    /// Row-major extents (`ggufDimensions` reversed), the shape of the `Tensor` it loads as; `[]` for
    /// a tensor with no dimensions (a scalar).
    public var shape: [Int] { ggufDimensions.reversed() }
    /// Offset of the tensor's bytes from the start of the data section.
    public let offset: Int
    /// Product of the dimensions.
    public let elementCount: Int
    /// Bytes the tensor occupies; nil when the type id is unknown (and so is its block layout).
    public let byteCount: Int?
}

/// A parsed and validated GGUF header.
struct GGUFHeader {
    /// ggml's `GGML_MAX_DIMS`: no ggml program can use a tensor with more dimensions.
    static let maxDimensions = 4
    /// Arrays of arrays deeper than this are refused; it bounds the parser's recursion, and real
    /// files do not nest at all.
    static let maxArrayDepth = 8
    static let defaultAlignment = 32

    var version: UInt32
    var metadataKeys: [String]
    var metadata: [String: GGUFValue]
    var tensors: [GGUFTensorInfo]
    var alignment: Int
    /// Offset of the data section in the file.
    var dataStart: Int

    static func parse(_ file: UnsafeRawBufferPointer, path: String) throws(CheckpointError) -> GGUFHeader {
        var reader = GGUFReader(bytes: file, path: path)

        // 1. Fixed header.
        try reader.need(4, "the magic")
        let magic = [UInt8](UnsafeRawBufferPointer(rebasing: file[0 ..< 4]))
        guard magic == Array("GGUF".utf8) else { throw .ggufBadMagic(path: path, found: magic) }
        reader.position = 4
        let version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else { throw .ggufUnsupportedVersion(path: path, version: version) }
        let tensorCount = try reader.read(UInt64.self, "the tensor count")
        let kvCount = try reader.read(UInt64.self, "the metadata count")
        // Smallest metadata entry: key length + type + a 1-byte value. Smallest tensor info: name
        // length + n_dims + type + offset.
        let kvs = try reader.checkedCount(kvCount, minimumSize: 13, "metadata entry count")
        let tensorTotal = try reader.checkedCount(tensorCount, minimumSize: 24, "tensor count")

        // 2. Metadata.
        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        keys.reserveCapacity(kvs)
        metadata.reserveCapacity(kvs)
        for i in 0 ..< kvs {
            let keyOffset = reader.position
            let key = try reader.readString("the key of metadata entry \(i)")
            guard !key.isEmpty else {
                throw .ggufInvalidMetadata(path: path, key: key, reason: "metadata entry \(i) at byte \(keyOffset) has an empty key")
            }
            guard metadata[key] == nil else { throw .ggufDuplicateKey(path: path, key: key) }
            let typeID = try reader.read(UInt32.self, "the value type of '\(key)'")
            guard let type = GGUFValueType(rawValue: typeID) else { throw .ggufUnknownValueType(path: path, key: key, type: typeID) }
            metadata[key] = try reader.readValue(type, key: key, depth: 0)
            keys.append(key)
        }

        var alignment = defaultAlignment
        if let value = metadata["general.alignment"] {
            guard case .uint32(let a) = value else {
                throw .ggufInvalidAlignment(path: path, reason: "must be a u32, found a \(value.type)")
            }
            guard a != 0, a & (a - 1) == 0 else {
                throw .ggufInvalidAlignment(path: path, reason: "\(a) is not a non-zero power of two")
            }
            alignment = Int(a)
        }

        // 3. Tensor infos.
        var tensors: [GGUFTensorInfo] = []
        var rawOffsets: [UInt64] = []  // as written, for messages: `offset` saturates at Int.max
        var names = Set<String>()
        tensors.reserveCapacity(tensorTotal)
        rawOffsets.reserveCapacity(tensorTotal)
        for i in 0 ..< tensorTotal {
            let name = try reader.readString("the name of tensor \(i)")
            guard names.insert(name).inserted else { throw .ggufDuplicateTensor(path: path, tensor: name) }
            let dimensionCount = try reader.read(UInt32.self, "the dimension count of tensor '\(name)'")
            guard dimensionCount <= maxDimensions else {
                throw .ggufInvalidTensorInfo(path: path, tensor: name,
                                             reason: "\(dimensionCount) dimensions (ggml allows at most \(maxDimensions))")
            }
            var dims: [Int] = []
            var elementCount = 1
            var overflow = false
            for d in 0 ..< Int(dimensionCount) {
                let raw = try reader.read(UInt64.self, "dimension \(d) of tensor '\(name)'")
                guard let n = Int(exactly: raw) else {
                    throw .ggufInvalidTensorInfo(path: path, tensor: name, reason: "dimension \(d) is \(raw), too large")
                }
                dims.append(n)
                let (product, stepOverflow) = elementCount.multipliedReportingOverflow(by: n)
                elementCount = product
                overflow = overflow || stepOverflow
            }
            guard !overflow else {
                throw .ggufInvalidTensorInfo(path: path, tensor: name, reason: "dimensions \(dims) have too many elements")
            }
            let type = GGMLType(rawValue: try reader.read(UInt32.self, "the type of tensor '\(name)'"))
            var byteCount: Int?
            if let layout = type.blockLayout {
                // Blocks run along the innermost dimension, so each row must hold whole blocks.
                let rowLength = dims.first ?? 1
                guard rowLength % layout.elements == 0 else {
                    throw .ggufInvalidTensorInfo(
                        path: path, tensor: name,
                        reason: "rows of \(rowLength) elements are not a whole number of \(type) blocks of \(layout.elements)")
                }
                let (bytes, bytesOverflow) = (elementCount / layout.elements).multipliedReportingOverflow(by: layout.bytes)
                guard !bytesOverflow else {
                    throw .ggufInvalidTensorInfo(path: path, tensor: name, reason: "dimensions \(dims) need more bytes than can be addressed")
                }
                byteCount = bytes
            }
            let offset = try reader.read(UInt64.self, "the data offset of tensor '\(name)'")
            guard offset % UInt64(alignment) == 0 else {
                throw .ggufMisalignedTensor(path: path, tensor: name, offset: offset, alignment: alignment)
            }
            // Range-checked below, once the data section is known; an offset beyond Int is out of it.
            let intOffset = Int(exactly: offset) ?? Int.max
            rawOffsets.append(offset)
            tensors.append(GGUFTensorInfo(name: name, type: type, ggufDimensions: dims, offset: intOffset,
                                          elementCount: elementCount, byteCount: byteCount))
        }

        // 4. Data section and each tensor's extent.
        let (padded, _) = reader.position.addingReportingOverflow((alignment - reader.position % alignment) % alignment)
        if !tensors.isEmpty, padded > file.count {
            throw .ggufTruncated(path: path, what: "the padding before the tensor data", offset: reader.position,
                                 needed: UInt64(padded - reader.position), available: file.count - reader.position)
        }
        let dataStart = min(padded, file.count)
        let dataSize = file.count - dataStart
        for (info, rawOffset) in zip(tensors, rawOffsets) {
            guard let byteCount = info.byteCount else { continue }
            guard info.offset <= dataSize, byteCount <= dataSize - info.offset else {
                throw .ggufTensorDataOutOfRange(path: path, tensor: info.name, offset: rawOffset,
                                                byteCount: byteCount, dataSize: dataSize)
            }
        }

        // 5. Overlaps: sorted by range, any overlap shows between neighbours; the name breaks ties so
        // the report is deterministic.
        let sized = tensors.compactMap { info in info.byteCount.flatMap { $0 > 0 ? (info.offset, info.offset + $0, info.name) : nil } }
            .sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        var coveredEnd = 0
        var coveredBy = ""
        for (begin, end, name) in sized {
            if begin < coveredEnd { throw .overlappingTensors(path: path, first: coveredBy, second: name) }
            coveredEnd = end
            coveredBy = name
        }

        return GGUFHeader(version: version, metadataKeys: keys, metadata: metadata, tensors: tensors,
                          alignment: alignment, dataStart: dataStart)
    }
}

/// A cursor over the mapped file. Every read checks that its bytes are there.
struct GGUFReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var position = 0

    var remaining: Int { bytes.count - position }

    /// Throws `ggufTruncated` unless `count` more bytes are there. `what` is only evaluated on failure.
    func need(_ count: Int, _ what: @autoclosure () -> String) throws(CheckpointError) {
        guard count <= remaining else {
            throw .ggufTruncated(path: path, what: what(), offset: position, needed: UInt64(count), available: remaining)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(CheckpointError) -> T {
        try need(MemoryLayout<T>.size, what())
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        position += MemoryLayout<T>.size
        return value
    }

    /// `count` as an Int, if `count` items of at least `minimumSize` bytes each fit in the rest of
    /// the file; `ggufCountTooLarge` otherwise.
    func checkedCount(_ count: UInt64, minimumSize: Int, _ what: @autoclosure () -> String) throws(CheckpointError) -> Int {
        guard count <= UInt64(remaining / minimumSize) else {
            throw .ggufCountTooLarge(path: path, what: what(), count: count, available: remaining)
        }
        return Int(count)
    }

    mutating func readString(_ what: @autoclosure () -> String) throws(CheckpointError) -> String {
        let length = try read(UInt64.self, "the length of \(what())")
        guard length <= UInt64(remaining) else {
            throw .ggufTruncated(path: path, what: what(), offset: position, needed: length, available: remaining)
        }
        let start = position
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[start ..< start + Int(length)])
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw .ggufInvalidString(path: path, what: what(), offset: start)
        }
        position = start + Int(length)
        return string
    }

    /// One value of `type` (not preceded by its type id: the caller has read it).
    mutating func readValue(_ type: GGUFValueType, key: String, depth: Int) throws(CheckpointError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, "the value of '\(key)'"))
        case .int8: return .int8(try read(Int8.self, "the value of '\(key)'"))
        case .uint16: return .uint16(try read(UInt16.self, "the value of '\(key)'"))
        case .int16: return .int16(try read(Int16.self, "the value of '\(key)'"))
        case .uint32: return .uint32(try read(UInt32.self, "the value of '\(key)'"))
        case .int32: return .int32(try read(Int32.self, "the value of '\(key)'"))
        case .uint64: return .uint64(try read(UInt64.self, "the value of '\(key)'"))
        case .int64: return .int64(try read(Int64.self, "the value of '\(key)'"))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, "the value of '\(key)'")))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, "the value of '\(key)'")))
        // ggml reads a bool as a byte and treats any non-zero value as true; so do we.
        case .bool: return .bool(try read(UInt8.self, "the value of '\(key)'") != 0)
        case .string: return .string(try readString("the value of '\(key)'"))
        case .array: return .array(try readArray(key: key, depth: depth))
        }
    }

    /// An array's element type, count and elements.
    mutating func readArray(key: String, depth: Int) throws(CheckpointError) -> GGUFArray {
        guard depth < GGUFHeader.maxArrayDepth else {
            throw .ggufInvalidMetadata(path: path, key: key, reason: "arrays nested more than \(GGUFHeader.maxArrayDepth) deep")
        }
        let typeID = try read(UInt32.self, "the element type of '\(key)'")
        guard let elementType = GGUFValueType(rawValue: typeID) else {
            throw .ggufUnknownValueType(path: path, key: key, type: typeID)
        }
        let rawCount = try read(UInt64.self, "the element count of '\(key)'")
        let count = try checkedCount(rawCount, minimumSize: elementType.minimumSize, "element count of '\(key)'")
        switch elementType {
        case .uint8: return .uint8(readFixed(count, UInt8.self))
        case .int8: return .int8(readFixed(count, Int8.self))
        case .uint16: return .uint16(readFixed(count, UInt16.self))
        case .int16: return .int16(readFixed(count, Int16.self))
        case .uint32: return .uint32(readFixed(count, UInt32.self))
        case .int32: return .int32(readFixed(count, Int32.self))
        case .uint64: return .uint64(readFixed(count, UInt64.self))
        case .int64: return .int64(readFixed(count, Int64.self))
        case .float32: return .float32(readFixed(count, UInt32.self).map { Float(bitPattern: $0) })
        case .float64: return .float64(readFixed(count, UInt64.self).map { Double(bitPattern: $0) })
        case .bool: return .bool(readFixed(count, UInt8.self).map { $0 != 0 })
        case .string:
            var strings: [String] = []
            strings.reserveCapacity(count)
            for i in 0 ..< count { strings.append(try readString("element \(i) of '\(key)'")) }
            return .string(strings)
        case .array:
            var arrays: [GGUFArray] = []
            arrays.reserveCapacity(count)
            for i in 0 ..< count { arrays.append(try readArray(key: "\(key)[\(i)]", depth: depth + 1)) }
            return .array(arrays)
        }
    }

    /// `count` little-endian integers. The caller has checked (`checkedCount`) that they are there.
    private mutating func readFixed<T: FixedWidthInteger>(_ count: Int, _: T.Type) -> [T] {
        let start = position
        let source = bytes.baseAddress
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let source, let destination = buffer.baseAddress {
                for i in 0 ..< count {
                    destination[i] = T(littleEndian: source.loadUnaligned(fromByteOffset: start + i * MemoryLayout<T>.size, as: T.self))
                }
            }
            initialized = count
        }
        position = start + count * MemoryLayout<T>.size
        return values
    }
}
