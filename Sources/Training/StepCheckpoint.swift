// The end of an optimizer step, the same for the offline trainer (`Trainer`) and the online one
// (`OnlineRLTrainer`): a checkpoint when one is due or the run is stopping, then a received
// SIGINT / SIGTERM ends the run naming the checkpoint it wrote (docs/design/hardening.md).
import Foundation

public enum StepCheckpoint {
    /// Writes a checkpoint with `save` into `outputDirectory` when `due` or when `disposition` is
    /// `.stop`, reports it, and throws `TrainingError.interrupted` when a stop signal arrived.
    /// - Returns: whether the training loop ends here.
    public static func finish(step: Int, due: Bool, disposition: TrainingDisposition, outputDirectory: URL?,
                              save: (URL) throws -> URL, progress: (TrainingEvent) -> TrainingDisposition) throws -> Bool {
        var disposition = disposition
        var saved: URL?
        if let dir = outputDirectory, due || disposition == .stop {
            let path = try save(dir)
            saved = path
            if progress(.checkpoint(step: step, path: path.path)) == .stop { disposition = .stop }
        }
        if let signal = StopSignals.received {
            throw TrainingError.interrupted(signal: signal, step: step, checkpoint: saved?.path)
        }
        return disposition == .stop
    }
}
