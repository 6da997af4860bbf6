// Modules: objects that own parameters (leaf `Variable`s) and child modules, with a parameter tree
// keyed by checkpoint-style names (`layers.0.self_attn.q_proj.weight`). Parameters and children are
// discovered by reflection (`Mirror`), as in MLX's `Module`: a property named `qProj` holding a
// module becomes the key segment `q_proj`, arrays of modules become `name.0`, `name.1`, …
// A module whose checkpoint names don't follow that rule overrides `key(forProperty:)`.
import Autograd
import TensorCore

/// Base class of every layer and model.
open class Module {
    /// Training mode (dropout on). `train(_:)` sets it recursively.
    public private(set) var isTraining: Bool = true

    public init() {}

    /// Checkpoint key segments that do not follow the camelCase → snake_case rule, by property name
    /// (GPT-2's `ln_1`, PEFT's `lora_A.weight`). A module overrides this rather than `key(forProperty:)`.
    open var renamedKeys: [String: String] { [:] }

    /// The checkpoint key segment for a stored property: its entry in `renamedKeys`, else
    /// camelCase → snake_case.
    open func key(forProperty name: String) -> String { renamedKeys[name] ?? snakeCase(name) }

    /// Direct children: (key, module).
    public func children() -> [(String, Module)] {
        var out: [(String, Module)] = []
        forEachProperty { name, value in
            switch value {
            case let m as Module: out.append((key(forProperty: name), m))
            case let ms as [Module]:
                for (i, m) in ms.enumerated() { out.append(("\(key(forProperty: name)).\(i)", m)) }
            default: break
            }
        }
        return out
    }

    /// Every module below this one (itself first, key ""), by full key, depth first.
    public func namedModules() -> [(key: String, module: Module)] {
        var out: [(key: String, module: Module)] = [("", self)]
        for (k, c) in children() {
            for (sub, m) in c.namedModules() { out.append((sub.isEmpty ? k : "\(k).\(sub)", m)) }
        }
        return out
    }

    /// Every parameter, trainable or frozen, by full key, in declaration order.
    public func namedParameters() -> [(key: String, parameter: Variable)] {
        var out: [(key: String, parameter: Variable)] = []
        collect(prefix: "", into: &out)
        return out
    }

    /// Parameters that currently require gradients.
    public func trainableParameters() -> [(key: String, parameter: Variable)] {
        namedParameters().filter { $0.parameter.requiresGrad }
    }

    /// Parameters by key.
    public func parameters() -> [String: Variable] {
        Dictionary(namedParameters().map { ($0.key, $0.parameter) }, uniquingKeysWith: { a, _ in a })
    }

    /// Total number of scalars, optionally only trainable ones.
    public func parameterCount(trainableOnly: Bool = false) -> Int {
        (trainableOnly ? trainableParameters() : namedParameters()).reduce(0) { $0 + $1.parameter.count }
    }

    /// Stops gradients for parameters whose key satisfies `predicate` (all by default).
    public func freeze(where predicate: (String) -> Bool = { _ in true }) {
        for (k, p) in namedParameters() where predicate(k) { p.requiresGrad = false; p.grad = nil }
    }

    /// Re-enables gradients for parameters whose key satisfies `predicate` (all by default).
    public func unfreeze(where predicate: (String) -> Bool = { _ in true }) {
        for (k, p) in namedParameters() where predicate(k) { p.requiresGrad = true }
    }

    /// Clears accumulated gradients.
    public func zeroGrad() {
        for (_, p) in namedParameters() { p.grad = nil }
    }

    /// Sets training mode recursively.
    public func train(_ on: Bool = true) {
        isTraining = on
        for (_, c) in children() { c.train(on) }
    }

    /// Evaluation mode (`train(false)`).
    public func eval() { train(false) }

    /// Current values by key (a snapshot: later updates don't change it).
    public func stateDict() -> [String: Tensor] {
        Dictionary(namedParameters().map { ($0.key, $0.parameter.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// Assigns parameter values by key. Strict by default: every parameter must be given, every
    /// given key must be a parameter, and shapes must match; all problems are reported together.
    public func load(_ values: [String: Tensor], strict: Bool = true) throws {
        let params = parameters()
        var missing: [String] = [], mismatched: [ParameterLoadError.Mismatch] = []
        for (k, p) in params {
            guard let v = values[k] else { missing.append(k); continue }
            if v.shape != p.shape { mismatched.append(.init(key: k, expected: p.shape, actual: v.shape)) }
        }
        let unused = values.keys.filter { params[$0] == nil }.sorted()
        if !mismatched.isEmpty || (strict && (!missing.isEmpty || !unused.isEmpty)) {
            throw ParameterLoadError(missing: missing.sorted(), unused: unused, mismatched: mismatched.sorted { $0.key < $1.key })
        }
        for (k, p) in params { if let v = values[k] { p.value = v } }
    }

    // MARK: - Reflection

    func collect(prefix: String, into out: inout [(key: String, parameter: Variable)]) {
        forEachProperty { name, value in
            let k = prefix + key(forProperty: name)
            switch value {
            case let v as Variable: out.append((k, v))
            case let m as Module: m.collect(prefix: k + ".", into: &out)
            case let ms as [Module]:
                for (i, m) in ms.enumerated() { m.collect(prefix: "\(k).\(i).", into: &out) }
            default: break
            }
        }
    }

    /// Calls `body` for each stored property (superclass properties first), unwrapping optionals.
    func forEachProperty(_ body: (String, Any) -> Void) {
        var mirrors: [Mirror] = []
        var m: Mirror? = Mirror(reflecting: self)
        while let cur = m { mirrors.append(cur); m = cur.superclassMirror }
        for mirror in mirrors.reversed() {
            for child in mirror.children {
                guard var label = child.label else { continue }
                if label.hasPrefix("_") { label.removeFirst() }
                if label == "isTraining" { continue }
                if let unwrapped = unwrapOptional(child.value) { body(label, unwrapped) }
            }
        }
    }
}

func unwrapOptional(_ value: Any) -> Any? {
    let m = Mirror(reflecting: value)
    guard m.displayStyle == .optional else { return value }
    return m.children.first.map { $0.value }
}

/// `selfAttn` → `self_attn`, `qProj` → `q_proj`, `lmHead` → `lm_head`.
public func snakeCase(_ s: String) -> String {
    var out = ""
    for ch in s {
        if ch.isUppercase {
            if !out.isEmpty { out.append("_") }
            out.append(contentsOf: ch.lowercased())
        } else {
            out.append(ch)
        }
    }
    return out
}

/// Raised by `Module.load` when keys or shapes don't match; lists every problem by name.
public struct ParameterLoadError: Error, CustomStringConvertible, Equatable {
    public struct Mismatch: Equatable, Sendable {
        public var key: String
        public var expected: [Int]
        public var actual: [Int]

        public init(key: String, expected: [Int], actual: [Int]) {
            self.key = key
            self.expected = expected
            self.actual = actual
        }
    }
    public var missing: [String]
    public var unused: [String]
    public var mismatched: [Mismatch]

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing parameters: \(missing.joined(separator: ", "))") }
        if !unused.isEmpty { parts.append("unused keys: \(unused.joined(separator: ", "))") }
        for m in mismatched { parts.append("shape mismatch for \(m.key): expected \(m.expected), got \(m.actual)") }
        return parts.joined(separator: "; ")
    }
}
