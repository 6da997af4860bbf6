// Stochastic gradient descent with optional momentum, Nesterov and (coupled) weight decay, matching
// torch.optim.SGD: g ← g + λθ; b ← μb + (1−dampening)g (b = g on the first step); θ ← θ − lr·b
// (or lr·(g + μb) with Nesterov).
import Autograd
import NN
import TensorCore

public final class SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var dampening: Float
    public var weightDecay: Float
    public var nesterov: Bool
    public private(set) var stepCount = 0
    private var buffers: [String: Tensor] = [:]

    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov needs momentum > 0 and dampening 0")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public func step(_ model: Module) {
        stepCount += 1
        for (key, p) in model.trainableParameters() {
            guard var g = p.grad else { continue }
            if weightDecay != 0 { g = g + p.value * weightDecay }
            if momentum != 0 {
                var b: Tensor
                if let prev = buffers[key] { b = prev * momentum + g * (1 - dampening) } else { b = g }
                buffers[key] = b
                g = nesterov ? g + b * momentum : b
            }
            p.value = p.value - g * learningRate
        }
    }

    public func stateDict() -> OptimizerState {
        var tensors: [String: Tensor] = [:]
        for (k, t) in buffers { tensors["\(k).momentum_buffer"] = t }
        return OptimizerState(tensors: tensors, scalars: ["step": Double(stepCount), "lr": Double(learningRate)])
    }

    public func load(_ state: OptimizerState) throws {
        guard let step = state.scalars["step"] else { throw OptimizerStateError(description: "SGD state: missing scalar 'step'") }
        var b: [String: Tensor] = [:]
        for (name, t) in state.tensors {
            guard name.hasSuffix(".momentum_buffer") else { throw OptimizerStateError(description: "SGD state: unexpected tensor '\(name)'") }
            b[String(name.dropLast(".momentum_buffer".count))] = t
        }
        stepCount = Int(step)
        if let lr = state.scalars["lr"] { learningRate = Float(lr) }
        buffers = b
    }
}
