// Learning-rate schedules (the shapes of transformers' `get_*_schedule_with_warmup`) and global
// gradient-norm clipping (torch.nn.utils.clip_grad_norm_).
import Autograd
import NN
import TensorCore

/// Learning rate as a function of the step index (0-based).
public enum LearningRateSchedule: Sendable, Equatable {
    case constant(Float)
    /// Linear warm-up from 0 to `peak` over `warmup` steps, then constant.
    case constantWithWarmup(peak: Float, warmup: Int)
    /// Linear warm-up, then linear decay to 0 at `total` steps.
    case linear(peak: Float, warmup: Int, total: Int)
    /// Linear warm-up, then half-cosine decay to `minimum` at `total` steps.
    case cosine(peak: Float, warmup: Int, total: Int, minimum: Float = 0)

    public func learningRate(at step: Int) -> Float {
        switch self {
        case .constant(let lr):
            return lr
        case .constantWithWarmup(let peak, let warmup):
            return step < warmup ? peak * Float(step) / Float(Swift.max(1, warmup)) : peak
        case .linear(let peak, let warmup, let total):
            if step < warmup { return peak * Float(step) / Float(Swift.max(1, warmup)) }
            return peak * Swift.max(0, Float(total - step) / Float(Swift.max(1, total - warmup)))
        case .cosine(let peak, let warmup, let total, let minimum):
            if step < warmup { return peak * Float(step) / Float(Swift.max(1, warmup)) }
            let progress = Swift.min(1, Float(step - warmup) / Float(Swift.max(1, total - warmup)))
            return minimum + (peak - minimum) * 0.5 * (1 + Float(Foundation_cos(Double.pi * Double(progress))))
        }
    }
}

/// Scales all gradients of `model` so their global L2 norm is at most `maxNorm`.
/// - Returns: the norm before clipping (what TRL logs as `grad_norm`).
@discardableResult
public func clipGradientNorm(_ model: Module, maxNorm: Float) -> Float {
    let params = model.trainableParameters().compactMap { $0.parameter.grad == nil ? nil : $0.parameter }
    var total = 0.0
    for p in params {
        let g = p.grad!
        g.withUnsafeBufferPointer { b in
            var s: Float = 0
            for x in b { s += x * x }
            total += Double(s)
        }
    }
    let norm = Float(total.squareRoot())
    if norm > maxNorm && norm > 0 {
        let scale = maxNorm / (norm + 1e-6)
        for p in params { p.grad = p.grad!.affine(scale: scale) }
    }
    return norm
}

#if canImport(Glibc)
import Glibc
@inline(__always) func Foundation_cos(_ a: Double) -> Double { Glibc.cos(a) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func Foundation_cos(_ a: Double) -> Double { Darwin.cos(a) }
#endif
