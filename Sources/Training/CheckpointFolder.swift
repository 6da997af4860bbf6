// The on-disk form every trainer's checkpoints share: `checkpoint-<step>/` with `model.safetensors`
// (the trained module's parameters), `optimizer.safetensors` (moments as tensors, scalars in the
// metadata printed with 17 digits so they round-trip exactly) and `trainer_state.json`. Written
// under a temporary name and renamed into place, so a crash never leaves a half checkpoint and the
// previous one stays intact.
import Checkpoints
import Foundation
import Support
import NN
import Optim
import TensorCore

public enum CheckpointFolder {
    /// Writes `checkpoint-<step>` under `dir` atomically and returns its URL.
    ///
    /// The files go into `.checkpoint-<step>.tmp-<pid>`, which is renamed into place last
    /// (`AtomicFolder`). A folder of the same step (a final checkpoint at a step that was also due)
    /// is first renamed aside to `.checkpoint-<step>.old-<pid>` and removed after; `RunLock` puts
    /// such a folder back when a crash left it without its replacement, and removes temporaries of
    /// dead writers.
    /// - Throws: `TrainingError.checkpoint` naming the checkpoint and, in the reason, the file
    ///   that could not be written (e.g. a full disk or a file-size limit); the previous
    ///   checkpoints are untouched.
    /// - Parameter extras: further trained modules with optimizers of their own (OREAL's token
    ///   reward model), written as `<name>.safetensors` and `<name>_optimizer.safetensors`.
    public static func write(in dir: URL, step: Int, module: Module, optimizer: AdamW, state: [String: Any],
                             extras: [(name: String, module: Module, optimizer: AdamW)] = []) throws -> URL {
        let final = dir.appendingPathComponent("checkpoint-\(step)")
        var file = "checkpoint-\(step)"
        do {
            try AtomicFolder.write(final) { tmp in
                FolderWriteHook.begin("checkpoint-write-begin \(step)")
                for (name, m, o) in [(name: "model", module: module, optimizer: optimizer)] + extras {
                    file = "\(name).safetensors"
                    try SafeTensors.write(m.stateDict(), to: tmp.appendingPathComponent(file))
                    FolderWriteHook.pause()
                    let opt = o.stateDict()
                    file = name == "model" ? "optimizer.safetensors" : "\(name)_optimizer.safetensors"
                    try SafeTensors.write(opt.tensors, to: tmp.appendingPathComponent(file), metadata: opt.scalars.mapValues { String(format: "%.17g", $0) })
                    FolderWriteHook.pause()
                }
                file = "trainer_state.json"
                try Data(JSONValue(foundation: state).written(.prettySorted).utf8).write(to: tmp.appendingPathComponent(file))
                FolderWriteHook.pause()
                file = "checkpoint-\(step)"
            }
        } catch {
            let reason = (error as? CheckpointError)?.description ?? error.localizedDescription
            throw TrainingError.checkpoint(path: final.path, reason: "writing \(file) failed (\(reason)); the previous checkpoints are untouched")
        }
        return final
    }

    /// Reads `trainer_state.json` of a checkpoint (it must hold the step).
    public static func state(of checkpoint: URL) throws -> (step: Int, state: [String: Any]) {
        let data = try Data(contentsOf: checkpoint.appendingPathComponent("trainer_state.json"))
        guard let state = try JSONValue.parse(data, file: "trainer_state.json").foundationObject as? [String: Any], let s = state["step"] as? Int else {
            throw TrainingError.checkpoint(path: checkpoint.path, reason: "trainer_state.json has no step")
        }
        return (s, state)
    }

    /// Loads the parameters into `module` and the optimizer state into `optimizer`.
    /// - Parameter extras: the modules `write` was given as extras, restored from their own files.
    public static func restore(_ checkpoint: URL, module: Module, optimizer: AdamW,
                               extras: [(name: String, module: Module, optimizer: AdamW)] = []) throws {
        for (name, m, o) in [(name: "model", module: module, optimizer: optimizer)] + extras {
            try m.load(try SafeTensorsFile(url: checkpoint.appendingPathComponent("\(name).safetensors")).loadAll())
            let optFile = try SafeTensorsFile(url: checkpoint.appendingPathComponent(name == "model" ? "optimizer.safetensors" : "\(name)_optimizer.safetensors"))
            var scalars: [String: Double] = [:]
            for (k, v) in optFile.metadata { if let d = Double(v) { scalars[k] = d } }
            try o.load(OptimizerState(tensors: try optFile.loadAll(), scalars: scalars))
        }
    }
}
