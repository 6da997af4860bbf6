// SIGINT / SIGTERM during training: the first one asks the loop to stop after the current
// optimizer step, write a final checkpoint and exit with 128 + the signal number (130, 143); a
// second one ends the process at once (checkpoints are written atomically, so that is safe too).
// The signals are received through dispatch sources, so nothing runs in signal-handler context.
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum StopSignals {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var receivedName: String?

    /// The first signal received ("SIGINT" or "SIGTERM"), nil when none (or not installed).
    public static var received: String? {
        lock.lock(); defer { lock.unlock() }
        return receivedName
    }

    /// Starts listening (once per process; the training commands call it).
    public static func install() {
        lock.lock(); defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                lock.lock()
                let first = receivedName == nil
                if first { receivedName = name }
                lock.unlock()
                if first {
                    FileHandle.standardError.write(Data("\n\(name): stopping after this step and writing a checkpoint (again to stop at once)\n".utf8))
                } else {
                    _exit(128 + number)
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}
