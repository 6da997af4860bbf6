// Products with inference-only quantized weights (TensorCore's `QuantizedMatrix`,
// docs/design/quantized.md). The weights have no gradient; a backward pass that reaches one stops
// with a message instead of silently dropping the gradient of the input.
import TensorCore

extension Variable {
    /// self [..., in] · Wᵀ → [..., out] on the stored blocks.
    ///
    /// Gradients do not flow through quantized weights: if this product is recorded (recording on and
    /// the input tracked) and a backward pass reaches it, the pass stops with a precondition failure
    /// naming the weight. Train with float32 weights (`--weights f32`).
    public func matmul(quantized weight: QuantizedMatrix) -> Variable {
        let y = weight.product(value)
        let description = "\(weight.type) \(weight.shape)"
        return record(.matmul, y, [self]) { _ in
            preconditionFailure("backward through a quantized weight (\(description)): quantized weights serve inference only; load the model with --weights f32 to train through it")
        }
    }

    /// An embedding lookup on a quantized table: rows dequantised to float32, no gradient.
    public static func embedding(quantized table: QuantizedMatrix, ids: IndexTensor) -> Variable {
        Variable(table.gatherRows(ids))
    }
}
