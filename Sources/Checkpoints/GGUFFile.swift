// Reading GGUF files (ggml's format, as written by llama.cpp's converters): metadata and tensors
// dequantised to Float32.
import Foundation
import TensorCore

/// An opened GGUF file (version 2 or 3): memory-mapped, with its header parsed and fully validated.
///
/// Opening reads only the header (metadata and tensor infos); a tensor's bytes are paged in from the
/// mapping and dequantised when the tensor is asked for. Every problem with the file is reported as a
/// `CheckpointError` naming the file (and the tensor or key), never as a trap. Copies share one
/// mapping; the struct is safe to use from any thread.
///
/// GGUF lists a tensor's dimensions innermost first (`GGUFTensorInfo.ggufDimensions`); tensors load
/// in row-major order with the reversed dimensions (`shape`), so a weight llama.cpp converted from a
/// PyTorch `[out, in]` matrix loads as `[out, in]` again.
///
/// ```swift
/// let gguf = try GGUFFile(url: modelURL)
/// let layers = gguf.metadata["llama.block_count"]?.int
/// let embedding = try gguf.tensor("token_embd.weight")   // Q8_0 → Float32, shape [vocab, d_model]
/// ```
public struct GGUFFile: Sendable {
    /// The file.
    public let url: URL
    /// The format version (2 or 3; they differ only in that 3 also allows big-endian files, which
    /// this reader rejects through their version field).
    public let version: UInt32
    /// All metadata entries.
    public let metadata: [String: GGUFValue]
    /// The metadata keys in file order.
    public let metadataKeys: [String]
    /// All tensors, in file order.
    public let tensorInfos: [GGUFTensorInfo]
    /// The data alignment: `general.alignment`, or 32 when the file does not set it.
    public let alignment: Int
    /// Offset of the data section in the file (the end of the header, rounded up to `alignment`).
    public let dataOffset: Int

    private let index: [String: Int]
    private let mapping: MappedFile

    /// Opens, maps and validates the file at `url`.
    public init(url: URL) throws(CheckpointError) {
        let path = url.path(percentEncoded: false)
        guard url.isFileURL else { throw .cannotOpen(path: url.absoluteString, reason: "not a file URL") }
        let mapping: MappedFile
        do {
            // Four bytes for the magic; an empty file cannot be mapped at all.
            mapping = try MappedFile(path: path, minimumSize: 4)
        } catch {
            if case .fileTooShort(_, let size) = error {
                throw .ggufTruncated(path: path, what: "the magic", offset: 0, needed: 4, available: size)
            }
            throw error
        }
        let header = try GGUFHeader.parse(mapping.bytes, path: path)

        self.url = url
        self.version = header.version
        self.metadata = header.metadata
        self.metadataKeys = header.metadataKeys
        self.tensorInfos = header.tensors
        self.alignment = header.alignment
        self.dataOffset = header.dataStart
        self.index = Dictionary(uniqueKeysWithValues: header.tensors.enumerated().map { ($1.name, $0) })
        self.mapping = mapping
    }

    private var path: String { url.path(percentEncoded: false) }

    /// The tensor names, in file order.
    public var tensorNames: [String] { tensorInfos.map(\.name) }

    /// The metadata value for `key`, or nil.
    public subscript(key: String) -> GGUFValue? { metadata[key] }

    /// `general.architecture` ("llama", …), which prefixes the model's hyperparameter keys.
    public var architecture: String? { metadata["general.architecture"]?.string }

    /// Where tensor `name` lives and what it holds, or nil if the file has no such tensor.
    public func info(_ name: String) -> GGUFTensorInfo? { index[name].map { tensorInfos[$0] } }

    /// Tensor `name` dequantised to Float32, in row-major order with `info(name).shape`.
    ///
    /// F32, F16, BF16 (exact) and Q8_0, Q4_0, Q4_1 (ggml's `dequantize_row_*`, bit for bit) are
    /// supported; other types throw `unsupportedGGMLType`, naming the tensor and the type.
    public func tensor(_ name: String) throws(CheckpointError) -> Tensor {
        guard let info = info(name) else { throw .tensorNotFound(path: path, tensor: name) }
        guard GGMLType.dequantizable.contains(info.type), let byteCount = info.byteCount else {
            throw .unsupportedGGMLType(path: path, tensor: name, type: info.type)
        }
        let result = Tensor(uninitializedShape: info.shape)
        if byteCount > 0, let base = mapping.bytes.baseAddress {
            // The header validation guarantees the bytes lie inside the file.
            GGUFDequantize.toFloat32(info.type, from: base + dataOffset + info.offset,
                                     to: result.unsafeMutablePointer, count: info.elementCount)
        }
        return result
    }

    /// Every tensor, dequantised to Float32. Throws `unsupportedGGMLType` (naming the tensor) if any
    /// tensor's type is not supported; use `tensor(_:)` to pick tensors from such files.
    public func loadAll() throws(CheckpointError) -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        tensors.reserveCapacity(tensorInfos.count)
        for info in tensorInfos { tensors[info.name] = try tensor(info.name) }
        return tensors
    }

    /// Calls `body` with the tensor's raw bytes as stored (quantised blocks included), for code that
    /// works on quantised weights directly. The buffer is only valid inside `body`.
    public func withRawBytes<R>(
        of name: String, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        guard let info = info(name) else { throw CheckpointError.tensorNotFound(path: path, tensor: name) }
        guard let byteCount = info.byteCount else {
            throw CheckpointError.unsupportedGGMLType(path: path, tensor: name, type: info.type)
        }
        return try withExtendedLifetime(mapping) {
            let start = dataOffset + info.offset
            return try body(UnsafeRawBufferPointer(rebasing: mapping.bytes[start ..< start + byteCount]))
        }
    }
}
