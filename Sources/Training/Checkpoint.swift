// Exact resume of the offline trainers. The folder layout and its atomic write are
// `CheckpointFolder`'s; `trainer_state.json` here holds the step, seed, data size and the LoRA
// dropout generators. The data order is a pure function of (seed, step), so nothing else is needed
// to continue bit for bit.
import Checkpoints
import Foundation
import NN
import Optim
import TensorCore

extension Trainer {
    /// Writes `checkpoint-<step>` under `dir` and returns its URL. Only rank 0 writes (every rank
    /// holds the same state); the others return the URL it writes to.
    @discardableResult
    public func saveCheckpoint(in dir: URL) throws -> URL {
        guard writes else { return dir.appendingPathComponent("checkpoint-\(step)") }
        // Data-order state: the order of epoch e is DataOrder.permutation(seed, e); the next
        // optimizer step reads window `next_window_in_epoch` of epoch `epoch`.
        var state: [String: Any] = ["step": step, "seed": String(configuration.seed), "train_rows": train.count,
                                    "steps_per_epoch": stepsPerEpoch, "total_steps": totalSteps,
                                    "epoch": step / stepsPerEpoch, "next_window_in_epoch": step % stepsPerEpoch,
                                    "window_rows": configuration.batchSize * configuration.gradientAccumulationSteps,
                                    "skipped_nonfinite": skippedNonFinite]
        // LoRA dropout generators: the masks after the resume must be the ones the run would draw.
        var dropout: [String: [String]] = [:]
        for (key, m) in trainable.namedModules() {
            guard let linear = m as? Linear, linear.lora != nil else { continue }
            let g = linear.dropoutGenerator.state
            dropout[key] = [g.0, g.1, g.2, g.3].map { String($0) }
        }
        if !dropout.isEmpty { state["lora_dropout_generators"] = dropout }
        return try CheckpointFolder.write(in: dir, step: step, module: trainable, optimizer: optimizer, state: state)
    }

    /// Restores parameters, optimizer state and step from a checkpoint folder.
    public func resume(from checkpoint: URL) throws {
        let path = checkpoint.path
        do {
            let (s, state) = try CheckpointFolder.state(of: checkpoint)
            if let rows = state["train_rows"] as? Int, rows != train.count {
                throw TrainingError.checkpoint(path: path, reason: "saved with \(rows) training rows, this run has \(train.count)")
            }
            if let seed = state["seed"] as? String, seed != String(configuration.seed) {
                throw TrainingError.checkpoint(path: path, reason: "saved with seed \(seed), this run has \(configuration.seed)")
            }
            try CheckpointFolder.restore(checkpoint, module: trainable, optimizer: optimizer)
            if let saved = state["lora_dropout_generators"] as? [String: [String]] {
                let modules = Dictionary(trainable.namedModules().map { ($0.key, $0.module) }, uniquingKeysWith: { a, _ in a })
                for (key, words) in saved {
                    let w = words.compactMap(UInt64.init)
                    guard let linear = modules[key] as? Linear, w.count == 4 else {
                        throw TrainingError.checkpoint(path: path, reason: "trainer_state.json: no LoRA layer '\(key)' for its dropout generator")
                    }
                    linear.dropoutGenerator.state = (w[0], w[1], w[2], w[3])
                }
            }
            skippedNonFinite = state["skipped_nonfinite"] as? Int ?? 0
            step = s
        } catch let e as TrainingError {
            throw e
        } catch {
            throw TrainingError.checkpoint(path: path, reason: "\(error)")
        }
    }

    /// The newest `checkpoint-<step>` folder under `dir`, if any.
    public static func latestCheckpoint(in dir: URL) -> URL? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        let steps = names.compactMap { n -> Int? in n.hasPrefix("checkpoint-") ? Int(n.dropFirst("checkpoint-".count)) : nil }
        return steps.max().map { dir.appendingPathComponent("checkpoint-\($0)") }
    }
}
