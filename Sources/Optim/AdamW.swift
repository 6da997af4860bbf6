// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019, arXiv:1711.05101), with
// bias correction (Kingma & Ba 2015, arXiv:1412.6980). Matches torch.optim.AdamW:
//   θ ← θ − lr·λ·θ;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
//   θ ← θ − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
import Autograd
import NN
import TensorCore

public final class AdamW: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float
    public private(set) var stepCount = 0
    private var m: [String: Tensor] = [:]
    private var v: [String: Tensor] = [:]

    /// Defaults as torch.optim.AdamW (lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01).
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    public func step(_ model: Module) {
        stepCount += 1
        let t = Float(stepCount)
        let bc1 = 1 - powf32(beta1, t), bc2 = 1 - powf32(beta2, t)
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = eps, decay = 1 - learningRate * weightDecay
        for (key, p) in model.trainableParameters() {
            guard let g = p.grad else { continue }
            var mk = m[key] ?? Tensor(shape: p.shape, repeating: 0)
            var vk = v[key] ?? Tensor(shape: p.shape, repeating: 0)
            m[key] = nil; v[key] = nil  // keep the buffers uniquely referenced while updating
            mk.makeUnique(); vk.makeUnique(); p.value.makeUnique()
            let box = UnsafeSendableBox((p.value.unsafeMutablePointer, g.unsafePointer, mk.unsafeMutablePointer, vk.unsafeMutablePointer))
            Parallel.forRanges(p.count, grain: 1 << 14) { r in
                let (w, g, m, v) = box.value
                for i in r {
                    let gi = g[i]
                    let mi = b1 * m[i] + (1 - b1) * gi
                    let vi = b2 * v[i] + (1 - b2) * gi * gi
                    m[i] = mi
                    v[i] = vi
                    w[i] = w[i] * decay - lr * (mi / bc1) / ((vi / bc2).squareRoot() + eps)
                }
            }
            m[key] = mk
            v[key] = vk
        }
    }

    public func stateDict() -> OptimizerState {
        var tensors: [String: Tensor] = [:]
        for (k, t) in m { tensors["\(k).exp_avg"] = t }
        for (k, t) in v { tensors["\(k).exp_avg_sq"] = t }
        return OptimizerState(tensors: tensors, scalars: [
            "step": Double(stepCount), "lr": Double(learningRate), "beta1": Double(beta1), "beta2": Double(beta2),
            "eps": Double(eps), "weight_decay": Double(weightDecay),
        ])
    }

    public func load(_ state: OptimizerState) throws {
        guard let step = state.scalars["step"] else { throw OptimizerStateError(description: "AdamW state: missing scalar 'step'") }
        var newM: [String: Tensor] = [:], newV: [String: Tensor] = [:]
        for (name, t) in state.tensors {
            if name.hasSuffix(".exp_avg_sq") { newV[String(name.dropLast(".exp_avg_sq".count))] = t }
            else if name.hasSuffix(".exp_avg") { newM[String(name.dropLast(".exp_avg".count))] = t }
            else { throw OptimizerStateError(description: "AdamW state: unexpected tensor '\(name)'") }
        }
        guard Set(newM.keys) == Set(newV.keys) else {
            throw OptimizerStateError(description: "AdamW state: exp_avg and exp_avg_sq cover different parameters")
        }
        stepCount = Int(step)
        if let lr = state.scalars["lr"] { learningRate = Float(lr) }
        m = newM
        v = newV
    }
}

@inline(__always) func powf32(_ a: Float, _ b: Float) -> Float { Float(Foundation_pow(Double(a), Double(b))) }

#if canImport(Glibc)
import Glibc
@inline(__always) func Foundation_pow(_ a: Double, _ b: Double) -> Double { Glibc.pow(a, b) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func Foundation_pow(_ a: Double, _ b: Double) -> Double { Darwin.pow(a, b) }
#endif
