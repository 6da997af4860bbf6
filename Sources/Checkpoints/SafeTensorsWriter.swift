// Writing safetensors files (https://github.com/huggingface/safetensors, README "Format").
import Foundation
import Support
import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Namespace for writing safetensors files; read them with `SafeTensorsFile`.
public enum SafeTensors {
    /// Writes `tensors` to `url` as a safetensors file, atomically.
    ///
    /// The layout is the one the reference implementation produces, so the file loads in Python's
    /// `safetensors` and anything else that follows the format:
    /// - tensors are stored in name order with contiguous `data_offsets` starting at 0, so the data
    ///   section has no holes (the format forbids them);
    /// - the JSON header is padded with spaces to a multiple of 8 bytes, which puts the data section
    ///   at an 8-byte boundary of the file so that readers can use it in place;
    /// - `metadata`, if not empty, is stored under `__metadata__`.
    ///
    /// With `dtype: .bf16` values are rounded to nearest, ties to even (NaN stays NaN, values beyond
    /// the bfloat16 range become infinities), matching PyTorch's `tensor.to(torch.bfloat16)`.
    ///
    /// The file is written under a temporary name in the destination's directory, flushed to disk,
    /// and then renamed over `url`. Readers (including a `SafeTensorsFile` that has the old file
    /// mapped) therefore see either the old file or the complete new one, and a crash or error
    /// mid-write leaves the destination untouched; on error the temporary file is removed.
    ///
    /// - Throws: `CheckpointError.unsupportedWriteDType` for dtypes other than F32 and BF16,
    ///   `.invalidTensorName` for a tensor named `__metadata__`, `.writeFailed` for I/O errors.
    public static func write(
        _ tensors: [String: Tensor], to url: URL, dtype: SafeTensorsDType = .f32, metadata: [String: String] = [:]
    ) throws(CheckpointError) {
        let path = url.path(percentEncoded: false)
        guard url.isFileURL else { throw .writeFailed(path: url.absoluteString, reason: "not a file URL") }
        guard SafeTensorsDType.writable.contains(dtype) else { throw .unsupportedWriteDType(path: path, dtype: dtype) }
        if tensors["__metadata__"] != nil {
            throw .invalidTensorName(path: path, tensor: "__metadata__", reason: "the name is reserved for the metadata map")
        }
        let entries = tensors.sorted { $0.key < $1.key }

        let header = headerBytes(entries, dtype: dtype, metadata: metadata)
        guard header.count <= SafeTensorsHeader.maxLength else {
            throw .writeFailed(path: path, reason: "header of \(header.count) bytes exceeds the format's limit")
        }

        let directory = url.deletingLastPathComponent()
        let temporaryPath = directory.appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt64.random(in: 0 ... .max))").path(percentEncoded: false)
        do throws(CheckpointError) {
            let output = try OutputFile(creating: temporaryPath, reportingAs: path)
            do throws(CheckpointError) {
                var prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
                prefix += header
                try output.append(prefix)
                for (_, tensor) in entries { try writeData(of: tensor, as: dtype, to: output) }
                try output.finish()
            } catch {
                output.discard()
                throw error
            }
            guard rename(temporaryPath, path) == 0 else {
                throw .writeFailed(path: path, reason: "rename from \(temporaryPath): \(systemError())")
            }
        } catch {
            unlink(temporaryPath)
            throw error
        }
        // Persist the rename itself; the data is already safe, so failure here is not an error.
        let directoryFD = open(directory.path(percentEncoded: false), O_RDONLY)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// The JSON header for `tensors` stored in this order as `dtype`, padded with spaces to a
    /// multiple of 8 bytes.
    static func headerBytes(_ tensors: [(key: String, value: Tensor)], dtype: SafeTensorsDType, metadata: [String: String]) -> [UInt8] {
        var json = "{"
        var first = true
        func key(_ k: String) {
            json += first ? "" : ","
            first = false
            json += StringLiteral.json(k) + ":"
        }
        if !metadata.isEmpty {
            key("__metadata__")
            let members = metadata.sorted { $0.key < $1.key }.map { StringLiteral.json($0.key) + ":" + StringLiteral.json($0.value) }
            json += "{" + members.joined(separator: ",") + "}"
        }
        var offset = 0
        for (name, tensor) in tensors {
            let byteCount = tensor.count * dtype.bitWidth / 8
            key(name)
            json += "{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],"
            json += "\"data_offsets\":[\(offset),\(offset + byteCount)]}"
            offset += byteCount
        }
        json += "}"
        var bytes = Array(json.utf8)
        bytes += repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8)
        return bytes
    }

    /// Elements converted to BF16 per `write` call: bounds the scratch buffer.
    private static let chunk = 1 << 16

    private static func writeData(of tensor: Tensor, as dtype: SafeTensorsDType, to output: OutputFile) throws(CheckpointError) {
        let source = tensor.unsafePointer  // valid for the whole call: the caller holds `tensor`
        let count = tensor.count
        if dtype == .f32 {
            try output.append(UnsafeRawBufferPointer(start: source, count: count * 4))
            return
        }
        let scratch = UnsafeMutablePointer<UInt16>.allocate(capacity: min(count, chunk))
        defer { scratch.deallocate() }
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            FloatConversion.narrowBF16(source + start, scratch, n)
            try output.append(UnsafeRawBufferPointer(start: scratch, count: n * 2))
            start += n
        }
    }
}

/// A file opened for writing with POSIX calls, so that it can be fsync'ed before the rename.
private final class OutputFile {
    private var fd: Int32
    /// The destination path, which errors name (the temporary name means nothing to the user).
    private let reportedPath: String

    init(creating path: String, reportingAs reportedPath: String) throws(CheckpointError) {
        self.reportedPath = reportedPath
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .writeFailed(path: reportedPath, reason: "cannot create \(path): \(systemError())") }
    }

    /// Writes all of `bytes`.
    func append(_ bytes: UnsafeRawBufferPointer) throws(CheckpointError) {
        if let code = writeAll(bytes) { throw .writeFailed(path: reportedPath, reason: systemError(code)) }
    }

    func append(_ bytes: [UInt8]) throws(CheckpointError) {
        if let code = bytes.withUnsafeBytes({ writeAll($0) }) {
            throw .writeFailed(path: reportedPath, reason: systemError(code))
        }
    }

    /// Writes all of `bytes`, resuming after partial writes and interrupted calls; returns the
    /// `errno` of a failure.
    private func writeAll(_ bytes: UnsafeRawBufferPointer) -> Int32? {
        guard var next = bytes.baseAddress else { return nil }
        var remaining = bytes.count
        while remaining > 0 {
            let written = write(fd, next, min(remaining, 1 << 30))
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            next += written
            remaining -= written
        }
        return nil
    }

    /// Flushes the data to disk (so that the rename cannot expose an incomplete file after a crash)
    /// and closes the file.
    func finish() throws(CheckpointError) {
        guard fsync(fd) == 0 else { throw .writeFailed(path: reportedPath, reason: "fsync: \(systemError())") }
        let result = close(fd)
        fd = -1
        guard result == 0 else { throw .writeFailed(path: reportedPath, reason: "close: \(systemError())") }
    }

    /// Closes the file after a failure, ignoring errors.
    func discard() {
        if fd >= 0 { _ = close(fd) }
        fd = -1
    }
}
