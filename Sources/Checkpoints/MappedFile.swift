// A read-only memory mapping of a whole file.
//
// Checkpoints are mapped rather than read so that opening one costs only its header: tensor bytes
// are paged in when a tensor is converted, and tensors never asked for are never read. The mapping
// is private and read-only, and `SafeTensors.write` replaces files by renaming a new file over them
// (never by rewriting in place), so a file this process wrote cannot change under an open mapping.
// A file truncated in place by another program while mapped can still raise SIGBUS on access; that
// is inherent to mmap and the reason writes here are atomic.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one mapping; unmaps it when the last `SafeTensorsFile` copy using it goes away.
final class MappedFile: @unchecked Sendable {  // immutable, read-only memory: safe to share
    let bytes: UnsafeRawBufferPointer

    /// Maps the regular file at `path`, which must be at least `minimumSize` bytes long (a mapping
    /// of length 0 is not possible, and shorter files cannot be valid anyway).
    init(path: String, minimumSize: Int) throws(CheckpointError) {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; it has no
        // effect on regular files, and anything else is rejected below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: systemError()) }
        defer { close(fd) }  // the mapping keeps its own reference to the file

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotOpen(path: path, reason: "fstat: \(systemError())") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        guard let size = Int(exactly: info.st_size), size >= minimumSize else {
            throw .fileTooShort(path: path, fileSize: Int(clamping: info.st_size))
        }
        let address: UnsafeMutableRawPointer? = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {  // MAP_FAILED
            throw .cannotOpen(path: path, reason: "mmap: \(systemError())")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

/// `strerror(errno)`, for messages.
func systemError(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
