// Exact resume of an online-RL run. The folder (`CheckpointFolder`: atomic, model + optimizer +
// trainer_state.json) holds the policy's parameters with LoRA adapters and PPO's value head.
// Prompt order and sampling seeds are pure functions of (seed, step), so the step restores the
// sampler's state too.
import Foundation
import NN
import Optim
import Training

extension OnlineRLTrainer {
    @discardableResult
    public func saveCheckpoint(in dir: URL) throws -> URL {
        // Every rank holds the same state; rank 0 writes it.
        guard writes else { return dir.appendingPathComponent("checkpoint-\(step)") }
        // The adaptive KL coefficient is state too (17 digits round-trip a Float exactly).
        var state: [String: Any] = ["step": step, "seed": String(configuration.seed), "prompts": prompts.count,
                                    "prompts_per_step": configuration.promptsPerStep, "num_generations": configuration.numGenerations,
                                    "kl_coef": String(format: "%.17g", Double(klCoefficient))]
        if let lagrange = multipliers { state["lagrange_multipliers"] = lagrange.values.map { String(format: "%.17g", Double($0)) } }
        return try CheckpointFolder.write(in: dir, step: step, module: trainable, optimizer: optimizer, state: state, extras: checkpointExtras)
    }

    /// Modules trained beside `trainable` with their own optimizer: OREAL's token reward model.
    var checkpointExtras: [(name: String, module: Module, optimizer: AdamW)] {
        guard let rm = tokenRewardModel else { return [] }
        return [(name: "token_level_rm", module: rm.head as Module, optimizer: rm.optimizer)]
    }

    /// Restores parameters, optimizer state and step; refuses a checkpoint of another run shape.
    public func resume(from checkpoint: URL) throws {
        let path = checkpoint.path
        do {
            let (s, state) = try CheckpointFolder.state(of: checkpoint)
            let expected: [(String, String)] = [("seed", String(configuration.seed)), ("prompts", String(prompts.count)),
                                                ("prompts_per_step", String(configuration.promptsPerStep)),
                                                ("num_generations", String(configuration.numGenerations))]
            for (key, value) in expected {
                if let saved = state[key].map({ "\($0)" }), saved != value {
                    throw TrainingError.checkpoint(path: path, reason: "saved with \(key) \(saved), this run has \(value)")
                }
            }
            if !checkpointExtras.isEmpty,
               !FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("token_level_rm.safetensors").path) {
                throw TrainingError.checkpoint(path: path, reason: "this run trains OREAL's token-level reward model but the checkpoint holds no token_level_rm.safetensors")
            }
            try CheckpointFolder.restore(checkpoint, module: trainable, optimizer: optimizer, extras: checkpointExtras)
            if let k = (state["kl_coef"] as? String).flatMap(Double.init) { klCoefficient = Float(k) }
            if var lagrange = multipliers {
                guard let saved = state["lagrange_multipliers"] as? [String], saved.allSatisfy({ Double($0) != nil }) else {
                    throw TrainingError.checkpoint(path: path, reason: "this run has constraints but the checkpoint holds no lagrange_multipliers")
                }
                try lagrange.restore(saved.map { Float(Double($0)!) })
                multipliers = lagrange
                applyMultipliers()
            }
            step = s
        } catch let e as TrainingError {
            throw e
        } catch {
            throw TrainingError.checkpoint(path: path, reason: "\(error)")
        }
    }
}
