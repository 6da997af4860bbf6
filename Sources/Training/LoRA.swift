// LoRA on linear layers chosen by name (PEFT `target_modules`: a layer matches when the last
// component of its key is one of the names, e.g. `q_proj` matches `model.layers.0.self_attn.q_proj`).
import NN
import TensorCore

public enum LoRA {
    /// Adds adapters to every matching `Linear` (freezing its base weight), freezes every other
    /// parameter, and returns the number of adapted layers.
    @discardableResult
    public static func apply(to model: Module, configuration: LoRAConfiguration, targets: [String], rng: inout RandomGenerator) -> Int {
        model.freeze()
        var count = 0
        visit(model, path: "") { path, m in
            guard let linear = m as? Linear, let last = path.split(separator: ".").last, targets.contains(String(last)) else { return }
            linear.addLoRA(configuration, rng: &rng)
            count += 1
        }
        return count
    }

    /// Runs `body` with every adapter of `model` switched off: the base model, e.g. the reference of
    /// a LoRA run. Adapters are switched back on afterwards, also when `body` throws.
    public static func withAdaptersDisabled<T>(_ model: Module, _ body: () throws -> T) rethrows -> T {
        var switched: [Linear] = []
        visit(model, path: "") { _, m in
            if let l = m as? Linear, l.lora != nil, l.adaptersEnabled { l.adaptersEnabled = false; switched.append(l) }
        }
        defer { for l in switched { l.adaptersEnabled = true } }
        return try body()
    }

    /// True if some linear layer of `model` carries an adapter.
    public static func hasAdapters(_ model: Module) -> Bool {
        var found = false
        visit(model, path: "") { _, m in if let l = m as? Linear, l.lora != nil { found = true } }
        return found
    }

    /// Folds every adapter into its base weight (for export).
    public static func fuse(_ model: Module) {
        visit(model, path: "") { _, m in (m as? Linear)?.fuseLoRA() }
    }

    static func visit(_ m: Module, path: String, _ body: (String, Module) -> Void) {
        body(path, m)
        for (name, child) in m.children() {
            visit(child, path: path.isEmpty ? name : "\(path).\(name)", body)
        }
    }
}
