// One writer per run folder. A run takes `flock(LOCK_EX | LOCK_NB)` on `<run>/.lock` and writes its
// pid, host and start time into it; a second run on the same folder is refused naming that holder.
// The kernel drops an flock when its process dies, however it dies (kill -9 included), so a lock
// file left by a dead process is simply taken over: the file is only a label for the message.
// Within one process the lock is re-entrant (the CLI holds it around setup, training and saving;
// `Trainer.run` takes it too), counted per folder and released by the last holder.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class RunLock: @unchecked Sendable {
    /// The lock file's name inside the run folder.
    public static let fileName = ".lock"
    public let folder: URL
    /// What the lock file said when this process took over a lock left by a dead one, else nil.
    public let tookOver: String?

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var held: [String: (fd: Int32, count: Int)] = [:]
    private var released = false

    private init(folder: URL, tookOver: String?) {
        self.folder = folder
        self.tookOver = tookOver
    }

    /// Creates `folder` if needed and locks it for this process.
    /// - Throws: `TrainingError.runFolderLocked` naming the holder when another process holds it;
    ///   `TrainingError.checkpoint` when the lock file cannot be created.
    public static func acquire(_ folder: URL) throws -> RunLock {
        let key = folder.standardizedFileURL.path
        registryLock.lock()
        defer { registryLock.unlock() }
        if let h = held[key] {
            held[key] = (h.fd, h.count + 1)
            return RunLock(folder: folder, tookOver: nil)
        }
        let path = folder.appendingPathComponent(fileName).path
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.checkpoint(path: folder.path, reason: "cannot create the run folder: \(error.localizedDescription)")
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw TrainingError.checkpoint(path: path, reason: "cannot open the run lock: \(String(cString: strerror(errno)))")
        }
        let previous = readLabel(fd)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let e = errno
            close(fd)
            if e == EWOULDBLOCK {
                throw TrainingError.runFolderLocked(path: path, holder: previous.isEmpty ? "another process" : previous)
            }
            throw TrainingError.checkpoint(path: path, reason: "cannot lock: \(String(cString: strerror(e)))")
        }
        let label = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName) since \(ISO8601DateFormatter().string(from: Date()))"
        _ = ftruncate(fd, 0)
        _ = label.withCString { pwrite(fd, $0, strlen($0), 0) }
        held[key] = (fd, 1)
        removeStaleTemporaries(in: folder)
        return RunLock(folder: folder, tookOver: previous.isEmpty ? nil : previous)
    }

    /// Releases this hold; the last one unlocks (the file stays, holding the last label).
    public func release() {
        let key = folder.standardizedFileURL.path
        RunLock.registryLock.lock()
        defer { RunLock.registryLock.unlock() }
        guard !released, let h = RunLock.held[key] else { return }
        released = true
        if h.count > 1 {
            RunLock.held[key] = (h.fd, h.count - 1)
        } else {
            _ = flock(h.fd, LOCK_UN)
            close(h.fd)
            RunLock.held[key] = nil
        }
    }

    deinit { release() }

    /// The label a lock file holds ("pid … on … since …"), empty when none.
    static func readLabel(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 255, 0) }
        guard n > 0 else { return "" }
        return String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Half-written checkpoints (`.checkpoint-<step>.tmp-<pid>`) of processes that died while
    /// writing are removed; a complete one renamed aside (`.old-<pid>`, CheckpointFolder.write)
    /// whose replacement never arrived is put back. Only called while holding the lock, so no live
    /// writer owns them.
    static func removeStaleTemporaries(in folder: URL) {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix(".checkpoint-") {
            let url = folder.appendingPathComponent(name)
            if let r = name.range(of: ".old-") {
                let final = folder.appendingPathComponent(String(name[name.index(after: name.startIndex) ..< r.lowerBound]))
                if !fm.fileExists(atPath: final.path) { try? fm.moveItem(at: url, to: final) } else { try? fm.removeItem(at: url) }
            } else if name.contains(".tmp-") {
                try? fm.removeItem(at: url)
            }
        }
    }
}
