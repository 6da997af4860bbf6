// A progress bar with rate and ETA on a terminal; plain periodic lines otherwise (logs, CI).
import Foundation

final class ProgressLine {
    let label: String
    let start = Date()
    var lastPrint: Date
    let isTTY = isatty(STDERR_FILENO) != 0
    /// The first update seen: rate and ETA are measured from it, so a bar created after some work
    /// was already done (or whose first unit took a while to start) does not report a wild rate.
    var first: (done: Int, time: Date)?

    init(label: String) {
        self.label = label
        // Plain lines (logs, CI) start after 5 s, so short loops print only their last line.
        lastPrint = isTTY ? .distantPast : Date()
    }

    func update(_ done: Int, of total: Int) {
        let now = Date()
        if first == nil { first = (done, now) }
        guard now.timeIntervalSince(lastPrint) >= (isTTY ? 0.1 : 5) || done == total else { return }
        lastPrint = now
        let origin = first ?? (done, now)
        let elapsed = now.timeIntervalSince(origin.time)
        let rate = elapsed > 0.05 ? Double(done - origin.done) / elapsed : 0
        let eta = rate > 0 ? formatDuration(Double(total - done) / rate) : "–"
        let rateText = rate > 0 ? String(format: "%.1f/s", rate) : "–/s"
        let frac = total > 0 ? Double(done) / Double(total) : 1
        if isTTY {
            let width = 30, filled = Int(frac * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = "\r\(label) \(bar) \(done)/\(total)  \(rateText)  ETA \(eta)"
            FileHandle.standardError.write(Data(line.utf8))
        } else {
            let line = "\(label): \(done)/\(total) (\(Int((frac * 100).rounded()))%), \(rateText), ETA \(eta), \(formatDuration(now.timeIntervalSince(start))) elapsed\n"
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
