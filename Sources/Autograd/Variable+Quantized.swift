// Products with inference-only quantized weights (TensorCore's `QuantizedMatrix`,
// docs/design/quantized.md). The weights have no gradient, and the input's gradient would be the
// product with the dequantised weights, which training never wants from a frozen copy: a backward
// pass that reaches one is refused (thrown by `checkedBackward`, naming the weight) instead of
// silently dropping the gradient of the input.
import TensorCore

extension Variable {
    /// self [..., in] · Wᵀ → [..., out] on the stored blocks.
    ///
    /// Gradients do not flow through quantized weights: if this product is recorded (recording on and
    /// the input tracked), `checkedBackward` (and so `valueAndGrad`) throws
    /// `AutogradError.frozenWeight` naming `name`; a plain `backward` stops with the same message.
    public func matmul(quantized weight: QuantizedMatrix, name: String = "") -> Variable {
        let y = weight.product(value)
        let why = Self.frozenWeightMessage(weight, name: name)
        return record(.matmul, y, [self], refusal: why) { _ in preconditionFailure(why) }
    }

    /// The refusal of a backward pass through `weight`.
    static func frozenWeightMessage(_ weight: QuantizedMatrix, name: String) -> String {
        let tensor = name.isEmpty ? "a quantized weight" : "the quantized weight '\(name)'"
        return "backward pass through \(tensor) (\(weight.type.rawValue) \(weight.shape)): quantized weights serve inference only; load the model with --weights f32 to train through it"
    }

    /// An embedding lookup on a quantized table: rows dequantised to float32, no gradient.
    public static func embedding(quantized table: QuantizedMatrix, ids: IndexTensor) -> Variable {
        Variable(table.gatherRows(ids))
    }
}
