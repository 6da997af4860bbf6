// A progress bar with rate and ETA on a terminal; plain periodic lines otherwise (logs, CI).
import Foundation

final class ProgressLine {
    let label: String
    let start = Date()
    var lastPrint = Date.distantPast
    let isTTY = isatty(STDERR_FILENO) != 0

    init(label: String) { self.label = label }

    func update(_ done: Int, of total: Int) {
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= (isTTY ? 0.1 : 5) || done == total else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let frac = total > 0 ? Double(done) / Double(total) : 1
        if isTTY {
            let width = 30, filled = Int(frac * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = String(format: "\r%@ %@ %d/%d  %.1f/s  ETA %@", label, bar, done, total, rate, formatDuration(eta))
            FileHandle.standardError.write(Data(line.utf8))
        } else {
            let line = String(format: "%@: %d/%d (%.0f%%), %.1f/s, ETA %@\n", label, done, total, frac * 100, rate, formatDuration(eta))
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    func finish() {
        if isTTY { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

func formatDuration(_ s: Double) -> String {
    let t = Int(s.rounded())
    return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
}
