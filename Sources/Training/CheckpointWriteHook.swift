// A test hook, hidden from users: with `TOKENALIGN_TEST_CHECKPOINT_PAUSE_MS=<ms>` in the
// environment, checkpoint writing announces each write on standard error
// ("checkpoint-write-begin <step>") and pauses that long after each file, so a test can kill the
// process (kill -9) at chosen points inside the write and check that the previous checkpoint
// survives and resume stays exact.
import Foundation

enum CheckpointWriteHook {
    static let pauseMicroseconds: UInt32? = ProcessInfo.processInfo.environment["TOKENALIGN_TEST_CHECKPOINT_PAUSE_MS"]
        .flatMap { UInt32($0) }.map { $0 * 1000 }

    static func begin(step: Int) {
        guard pauseMicroseconds != nil else { return }
        FileHandle.standardError.write(Data("checkpoint-write-begin \(step)\n".utf8))
    }

    static func pause() {
        if let us = pauseMicroseconds { usleep(us) }
    }
}
