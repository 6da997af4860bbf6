// Reverse-mode automatic differentiation over `Tensor`.
//
// A `Variable` wraps a tensor value. When gradient recording is on (the default) and an operation
// has at least one input that needs a gradient, the result remembers its `Op`, its inputs and a VJP
// closure (one per *operation*, never per element). `backward()` walks this graph in reverse
// topological order. `withoutGradients { … }` turns recording off so inference builds no graph.
import TensorCore

/// A differentiable value. Leaves with `requiresGrad` accumulate gradients into `grad`.
public final class Variable {
    /// The current value. Optimisers update parameters by assigning here.
    public var value: Tensor
    /// Accumulated gradient (same shape as `value`), nil until a backward pass reaches this leaf.
    public var grad: Tensor?
    /// Whether backward passes should compute a gradient for this leaf.
    public var requiresGrad: Bool
    /// The operation that produced this value; nil for leaves and for constants.
    public internal(set) var node: GraphNode?

    /// A leaf (parameter or input).
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.node = nil
    }

    init(_ value: Tensor, node: GraphNode) {
        self.value = value
        self.requiresGrad = false
        self.node = node
    }

    public var shape: [Int] { value.shape }
    public var rank: Int { value.rank }
    public var count: Int { value.count }
    /// The single element of a one-element value.
    public var scalar: Float { value.scalar }

    /// True when gradients flow through this variable.
    public var isTracked: Bool { requiresGrad || node != nil }

    /// A constant with the same value: gradients stop here.
    public func detached() -> Variable { Variable(value) }

    public func zeroGrad() { grad = nil }
}

/// One recorded operation: its kind, its inputs and its vector–Jacobian product.
public final class GraphNode {
    public let op: Op
    let inputs: [Variable]
    /// Maps the upstream gradient (shape of the output) to one gradient per input (nil: no gradient).
    let vjp: (Tensor) -> [Tensor?]
    /// Why no gradient can pass this node (a product with a frozen quantized weight), or nil.
    /// `checkedBackward` throws it before any VJP runs.
    let refusal: String?

    init(op: Op, inputs: [Variable], refusal: String? = nil, vjp: @escaping (Tensor) -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.refusal = refusal
        self.vjp = vjp
    }
}

/// A backward pass that cannot run.
public enum AutogradError: Error, Equatable, CustomStringConvertible {
    /// The graph reaches a product with an inference-only (quantized) weight; the message names it.
    case frozenWeight(String)

    public var description: String {
        switch self {
        case .frozenWeight(let why): return why
        }
    }
}

/// Gradient recording switch, scoped to the current task (and thread, in synchronous code).
public enum GradientMode {
    @TaskLocal public static var isEnabled: Bool = true
}

/// Runs `body` with gradient recording off: no graph is built, so memory and time go to compute only.
@discardableResult
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$isEnabled.withValue(false) { try body() }
}

/// Records `op` if any input is tracked and recording is on; otherwise returns a constant.
@inline(__always)
func record(_ op: Op, _ value: Tensor, _ inputs: [Variable], refusal: String? = nil,
            _ vjp: @escaping (Tensor) -> [Tensor?]) -> Variable {
    if GradientMode.isEnabled, inputs.contains(where: { $0.isTracked }) {
        return Variable(value, node: GraphNode(op: op, inputs: inputs, refusal: refusal, vjp: vjp))
    }
    return Variable(value)
}

extension Variable {
    /// Back-propagates from this variable. A non-scalar output needs an explicit `seed` gradient.
    /// Gradients of leaves accumulate (`grad += …`) so several backward passes sum, as in gradient
    /// accumulation. Unless `retainGraph`, the graph is released afterwards. A graph through a
    /// quantized weight stops with a precondition failure here; `checkedBackward` throws instead.
    public func backward(seed: Tensor? = nil, retainGraph: Bool = false) {
        run(order: topologicalOrder(), seed: seed, retainGraph: retainGraph)
    }

    /// `backward`, but a graph that reaches a node no gradient can pass (a product with a frozen
    /// quantized weight) throws `AutogradError.frozenWeight` naming the weight, before any gradient
    /// is computed or the graph released. The training step (`valueAndGrad`) goes through here.
    public func checkedBackward(seed: Tensor? = nil, retainGraph: Bool = false) throws(AutogradError) {
        let order = topologicalOrder()
        // Named: the first such node the pass would reach (nearest the output).
        if let refusal = order.reversed().lazy.compactMap({ $0.node?.refusal }).first { throw .frozenWeight(refusal) }
        run(order: order, seed: seed, retainGraph: retainGraph)
    }

    /// The tracked variables this one depends on, each after its inputs (iterative DFS).
    private func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Bool)] = [(self, false)]
        while let (v, expanded) = stack.popLast() {
            if expanded { order.append(v); continue }
            let id = ObjectIdentifier(v)
            if visited.contains(id) { continue }
            visited.insert(id)
            stack.append((v, true))
            if let node = v.node {
                for input in node.inputs where input.isTracked && !visited.contains(ObjectIdentifier(input)) {
                    stack.append((input, false))
                }
            }
        }
        return order
    }

    private func run(order: [Variable], seed: Tensor?, retainGraph: Bool) {
        let g0: Tensor
        if let seed {
            precondition(seed.shape == shape, "backward: seed \(seed.shape) for value \(shape)")
            g0 = seed
        } else {
            precondition(count == 1, "backward: value of shape \(shape) needs a seed gradient")
            g0 = Tensor(shape: shape, repeating: 1)
        }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): g0]
        for v in order.reversed() {
            let id = ObjectIdentifier(v)
            guard let g = grads.removeValue(forKey: id) else { continue }
            if let node = v.node {
                let inputGrads = node.vjp(g)
                for (input, ig) in zip(node.inputs, inputGrads) {
                    guard let ig, input.isTracked else { continue }
                    precondition(ig.shape == input.shape,
                                 "VJP of \(node.op) gave gradient \(ig.shape) for input \(input.shape)")
                    let iid = ObjectIdentifier(input)
                    if var existing = grads.removeValue(forKey: iid) {
                        existing += ig
                        grads[iid] = existing
                    } else {
                        grads[iid] = ig
                    }
                }
                if !retainGraph { v.node = nil }
            } else if v.requiresGrad {
                if var existing = v.grad {
                    existing += g
                    v.grad = existing
                } else {
                    v.grad = g
                }
            }
        }
    }
}
