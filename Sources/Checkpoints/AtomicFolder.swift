// Writing a folder of files so that a reader (a resumed run, `transformers`, a second command) sees
// the previous folder or the new one, never a mix, however the writer dies (kill -9, a full disk, a
// file-size limit). The files go into `.<name>.tmp-<pid>` beside the destination, which is renamed
// into place last; a destination that exists is first renamed aside to `.<name>.old-<pid>` and
// removed after. rename(2) within one directory is atomic, so the only window is between the two
// renames, where the complete old folder sits under its `.old-` name: the next write to the same
// destination (or `RunLock` for checkpoints) puts it back. Checkpoints (`CheckpointFolder`) and
// model exports (`PretrainedModel.save`, `ModelRegistry.save`) both go through here
// (docs/design/hardening.md §2).
import Foundation

public enum AtomicFolder {
    /// `.<name>.tmp-<pid>` beside `final`: where a write in progress puts its files.
    public static func temporary(for final: URL, pid: Int32 = getpid()) -> URL {
        final.deletingLastPathComponent().appendingPathComponent(".\(final.lastPathComponent).tmp-\(pid)")
    }

    /// `.<name>.old-<pid>` beside `final`: the previous folder while it is being replaced.
    public static func aside(for final: URL, pid: Int32 = getpid()) -> URL {
        final.deletingLastPathComponent().appendingPathComponent(".\(final.lastPathComponent).old-\(pid)")
    }

    /// Writes the folder `final` through `body`, which gets the temporary folder to fill.
    ///
    /// - Parameter replaceable: when `final` already exists, the names it may hold (besides dot
    ///   files); a folder holding anything else is not replaced, so that a save pointed at a folder
    ///   of other files (a download, a source tree) does not delete them. Nil: any folder.
    /// - Throws: what `body` throws (after removing the temporary; the previous folder is
    ///   untouched), or `CheckpointError.writeFailed` naming `final` when it cannot be replaced.
    public static func write(_ final: URL, replaceable: Set<String>? = nil, _ body: (URL) throws -> Void) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
        recoverAbandoned(final)
        if let replaceable, let names = try? fm.contentsOfDirectory(atPath: final.path),
           let foreign = names.sorted().first(where: { !$0.hasPrefix(".") && !replaceable.contains($0) }) {
            throw CheckpointError.writeFailed(path: final.path, reason: "not replaced: it holds \(foreign), which this save does not write; choose a new or empty folder")
        }
        let tmp = temporary(for: final), old = aside(for: final)
        try? fm.removeItem(at: tmp)
        do {
            try fm.createDirectory(at: tmp, withIntermediateDirectories: false)
            try body(tmp)
            if fm.fileExists(atPath: final.path) {
                try? fm.removeItem(at: old)
                try fm.moveItem(at: final, to: old)
            }
            try fm.moveItem(at: tmp, to: final)
            try? fm.removeItem(at: old)
        } catch {
            try? fm.removeItem(at: tmp)
            if fm.fileExists(atPath: old.path) && !fm.fileExists(atPath: final.path) { try? fm.moveItem(at: old, to: final) }
            throw error
        }
    }

    /// Cleans up after writers of `final` that died: their temporaries are removed and a previous
    /// folder they had renamed aside comes back when its replacement never arrived. Writers still
    /// alive (another process with that pid) are left alone.
    public static func recoverAbandoned(_ final: URL) {
        let fm = FileManager.default
        let parent = final.deletingLastPathComponent(), name = final.lastPathComponent
        let names = (try? fm.contentsOfDirectory(atPath: parent.path)) ?? []
        for entry in names where entry.hasPrefix(".\(name).") {
            let suffix = entry.dropFirst(name.count + 2)
            let isOld = suffix.hasPrefix("old-")
            guard isOld || suffix.hasPrefix("tmp-"), let pid = Int32(suffix.dropFirst(4)), pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            let url = parent.appendingPathComponent(entry)
            if isOld && !fm.fileExists(atPath: final.path) { try? fm.moveItem(at: url, to: final) } else { try? fm.removeItem(at: url) }
        }
    }
}

/// A test hook, hidden from users: with `TOKENALIGN_TEST_CHECKPOINT_PAUSE_MS=<ms>` in the
/// environment, checkpoint and export writing announce each write on standard error
/// (`checkpoint-write-begin <step>`, `export-write-begin <folder>`) and pause that long after each
/// file, so a test can kill the process (kill -9) at chosen points inside the write and check that
/// the previous folder survives and resume stays exact.
public enum FolderWriteHook {
    static let pauseMicroseconds: UInt32? = ProcessInfo.processInfo.environment["TOKENALIGN_TEST_CHECKPOINT_PAUSE_MS"]
        .flatMap { UInt32($0) }.map { $0 * 1000 }

    public static func begin(_ announcement: String) {
        guard pauseMicroseconds != nil else { return }
        FileHandle.standardError.write(Data("\(announcement)\n".utf8))
    }

    public static func pause() {
        if let us = pauseMicroseconds { usleep(us) }
    }
}
