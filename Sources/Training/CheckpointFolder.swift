// The on-disk form every trainer's checkpoints share: `checkpoint-<step>/` with `model.safetensors`
// (the trained module's parameters), `optimizer.safetensors` (moments as tensors, scalars in the
// metadata printed with 17 digits so they round-trip exactly) and `trainer_state.json`. Written
// under a temporary name and renamed into place, so a crash never leaves a half checkpoint and the
// previous one stays intact.
import Checkpoints
import Foundation
import NN
import Optim
import TensorCore

public enum CheckpointFolder {
    /// Writes `checkpoint-<step>` under `dir` atomically and returns its URL.
    public static func write(in dir: URL, step: Int, module: Module, optimizer: AdamW, state: [String: Any]) throws -> URL {
        let fm = FileManager.default
        let final = dir.appendingPathComponent("checkpoint-\(step)")
        let tmp = dir.appendingPathComponent(".checkpoint-\(step).tmp-\(getpid())")
        try? fm.removeItem(at: tmp)
        do {
            try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
            try SafeTensors.write(module.stateDict(), to: tmp.appendingPathComponent("model.safetensors"))
            let opt = optimizer.stateDict()
            try SafeTensors.write(opt.tensors, to: tmp.appendingPathComponent("optimizer.safetensors"),
                                  metadata: opt.scalars.mapValues { String(format: "%.17g", $0) })
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

    /// Reads `trainer_state.json` of a checkpoint (it must hold the step).
    public static func state(of checkpoint: URL) throws -> (step: Int, state: [String: Any]) {
        let data = try Data(contentsOf: checkpoint.appendingPathComponent("trainer_state.json"))
        guard let state = try JSONSerialization.jsonObject(with: data) as? [String: Any], let s = state["step"] as? Int else {
            throw TrainingError.checkpoint(path: checkpoint.path, reason: "trainer_state.json has no step")
        }
        return (s, state)
    }

    /// Loads the parameters into `module` and the optimizer state into `optimizer`.
    public static func restore(_ checkpoint: URL, module: Module, optimizer: AdamW) throws {
        try module.load(try SafeTensorsFile(url: checkpoint.appendingPathComponent("model.safetensors")).loadAll())
        let optFile = try SafeTensorsFile(url: checkpoint.appendingPathComponent("optimizer.safetensors"))
        var scalars: [String: Double] = [:]
        for (k, v) in optFile.metadata { if let d = Double(v) { scalars[k] = d } }
        try optimizer.load(OptimizerState(tensors: try optFile.loadAll(), scalars: scalars))
    }
}
