// The training-step primitive: evaluate a scalar loss of a model and collect the gradients of its
// trainable parameters by checkpoint key.
import Autograd
import TensorCore

/// Evaluates `loss` and back-propagates into `model`'s trainable parameters.
/// - Parameter accumulate: when false (default) gradients are cleared first; when true they add to
///   what earlier calls left (gradient accumulation over micro-batches).
/// - Returns: the loss value and the gradients by parameter key.
/// - Throws: `AutogradError.frozenWeight` when the loss depends on a product with a quantized
///   (inference-only) weight, naming it; nothing is accumulated then.
public func valueAndGrad(_ model: Module, accumulate: Bool = false, _ loss: () -> Variable) throws(AutogradError) -> (value: Float, gradients: [String: Tensor]) {
    if !accumulate { model.zeroGrad() }
    let l = loss()
    precondition(l.count == 1, "valueAndGrad: the loss must be a scalar, got shape \(l.shape)")
    try l.checkedBackward()
    var grads: [String: Tensor] = [:]
    for (k, p) in model.trainableParameters() {
        grads[k] = p.grad ?? Tensor(shape: p.shape, repeating: 0)
    }
    return (l.scalar, grads)
}
