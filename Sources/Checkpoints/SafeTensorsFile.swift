// Reading safetensors files (https://github.com/huggingface/safetensors, README "Format").
import Foundation
import TensorCore

/// An opened safetensors file: memory-mapped, with its header parsed and fully validated.
///
/// Opening reads only the header; each tensor's bytes are read (paged in from the mapping) when
/// the tensor is asked for, so inspecting a large checkpoint or loading a few of its tensors is
/// cheap. Every problem with the file is reported as a `CheckpointError` naming the file (and the
/// tensor), never as a trap. Copies share one mapping; the struct is safe to use from any thread.
///
/// ```swift
/// let file = try SafeTensorsFile(url: checkpointURL)
/// for name in file.tensorNames { print(name, file.info(name)?.shape ?? []) }
/// let embedding = try file.tensor("embed.weight")
/// ```
public struct SafeTensorsFile: Sendable {
    /// The file.
    public let url: URL
    /// The header's `__metadata__` map (empty when the header has none).
    public let metadata: [String: String]
    /// The names of all tensors, sorted.
    public let tensorNames: [String]

    private let infos: [String: TensorInfo]
    private let mapping: MappedFile
    /// Offset of the data section in the file: the 8-byte length plus the header.
    private let dataStart: Int

    /// Opens, maps and validates the file at `url`.
    public init(url: URL) throws(CheckpointError) {
        let path = url.path(percentEncoded: false)
        guard url.isFileURL else { throw .cannotOpen(path: url.absoluteString, reason: "not a file URL") }
        let mapping = try MappedFile(path: path, minimumSize: 8)
        let file = mapping.bytes

        // 8 bytes: the header size N, an unsigned little-endian 64-bit integer.
        let headerLength = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(SafeTensorsHeader.maxLength) else {
            throw .headerTooLarge(path: path, headerLength: headerLength, limit: SafeTensorsHeader.maxLength)
        }
        guard headerLength <= UInt64(file.count - 8) else {
            throw .headerLengthExceedsFile(path: path, headerLength: headerLength, fileSize: file.count)
        }
        let dataStart = 8 + Int(headerLength)
        let header = try SafeTensorsHeader.parse(
            json: UnsafeRawBufferPointer(rebasing: file[8 ..< dataStart]), dataSize: file.count - dataStart, path: path)

        self.url = url
        self.metadata = header.metadata
        self.tensorNames = header.tensors.keys.sorted()
        self.infos = header.tensors
        self.mapping = mapping
        self.dataStart = dataStart
    }

    private var path: String { url.path(percentEncoded: false) }

    /// The dtype, shape and byte range of tensor `name`, or nil if the file has no such tensor.
    public func info(_ name: String) -> TensorInfo? { infos[name] }

    /// Tensor `name` converted to Float32. F32, F16 and BF16 tensors are supported (conversion from
    /// the half-precision types is exact); other dtypes throw `unsupportedDType`.
    public func tensor(_ name: String) throws(CheckpointError) -> Tensor {
        let info = try lookup(name)
        guard SafeTensorsDType.floatReadable.contains(info.dtype) else {
            throw .unsupportedDType(path: path, tensor: name, dtype: info.dtype, supported: SafeTensorsDType.floatReadable)
        }
        let result = Tensor(uninitializedShape: info.shape)
        if let source = bytes(of: info) {
            FloatConversion.toFloat32(info.dtype, from: source, to: result.unsafeMutablePointer, count: info.elementCount)
        }
        return result
    }

    /// The elements of integer tensor `name` (I32 or I64, e.g. token ids or positions), in row-major
    /// order; `info(name)?.shape` gives the shape. Other dtypes throw `unsupportedDType`.
    public func integers(_ name: String) throws(CheckpointError) -> [Int64] {
        let info = try lookup(name)
        guard SafeTensorsDType.integerReadable.contains(info.dtype) else {
            throw .unsupportedDType(path: path, tensor: name, dtype: info.dtype, supported: SafeTensorsDType.integerReadable)
        }
        guard let source = bytes(of: info) else { return [] }
        let count = info.elementCount
        let is64 = info.dtype == .i64
        return [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0 ..< count {
                buffer[i] = is64
                    ? Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                    : Int64(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            }
            initialized = count
        }
    }

    /// Every tensor, converted to Float32. Throws `unsupportedDType` (naming the tensor) if any
    /// tensor is not F32, F16 or BF16; use `tensor(_:)` to pick tensors from mixed files.
    public func loadAll() throws(CheckpointError) -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        tensors.reserveCapacity(tensorNames.count)
        for name in tensorNames { tensors[name] = try tensor(name) }
        return tensors
    }

    private func lookup(_ name: String) throws(CheckpointError) -> TensorInfo {
        guard let info = infos[name] else { throw .tensorNotFound(path: path, tensor: name) }
        return info
    }

    /// Start of the tensor's bytes in the mapping; nil for empty tensors. The header validation
    /// guarantees the range lies inside the file.
    private func bytes(of info: TensorInfo) -> UnsafeRawPointer? {
        guard info.byteCount > 0, let base = mapping.bytes.baseAddress else { return nil }
        return base + dataStart + info.dataOffsets.lowerBound
    }
}
