// Atomic checkpoints and exact resume of an online-RL run: `checkpoint-<step>` holds the policy's
// parameters (LoRA adapters and PPO's value head included), the AdamW state (scalars printed with 17 digits so they
// round-trip) and `trainer_state.json`. Prompt order and sampling seeds are pure functions of
// (seed, step), so the step restores the sampler's state too. Written under a temporary name and
// renamed into place: a crash never leaves a half checkpoint.
import Checkpoints
import Foundation
import Optim
import Training

extension OnlineRLTrainer {
    @discardableResult
    public func saveCheckpoint(in dir: URL) throws -> URL {
        let fm = FileManager.default
        let final = dir.appendingPathComponent("checkpoint-\(step)")
        let tmp = dir.appendingPathComponent(".checkpoint-\(step).tmp-\(getpid())")
        try? fm.removeItem(at: tmp)
        do {
            try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
            try SafeTensors.write(trainable.stateDict(), to: tmp.appendingPathComponent("model.safetensors"))
            let opt = optimizer.stateDict()
            try SafeTensors.write(opt.tensors, to: tmp.appendingPathComponent("optimizer.safetensors"),
                                  metadata: opt.scalars.mapValues { String(format: "%.17g", $0) })
            // The adaptive KL coefficient is state too (17 digits round-trip a Float exactly).
            let state: [String: Any] = ["step": step, "seed": String(configuration.seed), "prompts": prompts.count,
                                        "prompts_per_step": configuration.promptsPerStep, "num_generations": configuration.numGenerations,
                                        "kl_coef": String(format: "%.17g", Double(klCoefficient))]
            try JSONSerialization.data(withJSONObject: state, options: [.sortedKeys, .prettyPrinted])
                .write(to: tmp.appendingPathComponent("trainer_state.json"))
            if fm.fileExists(atPath: final.path) { try fm.removeItem(at: final) }
            try fm.moveItem(at: tmp, to: final)
        } catch {
            try? fm.removeItem(at: tmp)
            throw TrainingError.checkpoint(path: final.path, reason: "\(error)")
        }
        return final
    }

    /// Restores parameters, optimizer state and step; refuses a checkpoint of another run shape.
    public func resume(from checkpoint: URL) throws {
        let path = checkpoint.path
        do {
            let data = try Data(contentsOf: checkpoint.appendingPathComponent("trainer_state.json"))
            guard let state = try JSONSerialization.jsonObject(with: data) as? [String: Any], let s = state["step"] as? Int else {
                throw TrainingError.checkpoint(path: path, reason: "trainer_state.json has no step")
            }
            let expected: [(String, String)] = [("seed", String(configuration.seed)), ("prompts", String(prompts.count)),
                                                ("prompts_per_step", String(configuration.promptsPerStep)),
                                                ("num_generations", String(configuration.numGenerations))]
            for (key, value) in expected {
                if let saved = state[key].map({ "\($0)" }), saved != value {
                    throw TrainingError.checkpoint(path: path, reason: "saved with \(key) \(saved), this run has \(value)")
                }
            }
            try trainable.load(try SafeTensorsFile(url: checkpoint.appendingPathComponent("model.safetensors")).loadAll())
            let optFile = try SafeTensorsFile(url: checkpoint.appendingPathComponent("optimizer.safetensors"))
            var scalars: [String: Double] = [:]
            for (k, v) in optFile.metadata { if let d = Double(v) { scalars[k] = d } }
            try optimizer.load(OptimizerState(tensors: try optFile.loadAll(), scalars: scalars))
            if let k = (state["kl_coef"] as? String).flatMap(Double.init) { klCoefficient = Float(k) }
            step = s
        } catch let e as TrainingError {
            throw e
        } catch {
            throw TrainingError.checkpoint(path: path, reason: "\(error)")
        }
    }
}
