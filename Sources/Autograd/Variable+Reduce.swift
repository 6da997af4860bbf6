// Reductions, softmax family and scans with their VJP rules.
import TensorCore

extension Variable {
    /// Σ over `axis`.
    public func sum(axis: Int, keepDims: Bool = false) -> Variable {
        let a = value.normalizedAxis(axis)
        let inShape = shape
        let y = value.sum(axis: a, keepDims: keepDims)
        return record(.sum, y, [self]) { g in
            var kept = inShape
            kept[a] = 1
            return [g.reshaped(kept).broadcasted(to: inShape)]
        }
    }

    /// Σ of every element (rank-0 result).
    public func sum() -> Variable {
        let inShape = shape
        return record(.sumAll, value.sum(), [self]) { g in [Tensor(shape: inShape, repeating: g.scalar)] }
    }

    /// Mean over `axis`.
    public func mean(axis: Int, keepDims: Bool = false) -> Variable {
        let a = value.normalizedAxis(axis)
        let inShape = shape
        let n = Float(inShape[a])
        let y = value.mean(axis: a, keepDims: keepDims)
        return record(.mean, y, [self]) { g in
            var kept = inShape
            kept[a] = 1
            return [g.reshaped(kept).broadcasted(to: inShape).affine(scale: 1 / n)]
        }
    }

    /// Mean of every element (rank-0 result).
    public func mean() -> Variable {
        let inShape = shape
        let n = Float(Swift.max(count, 1))
        return record(.meanAll, value.mean(), [self]) { g in [Tensor(shape: inShape, repeating: g.scalar / n)] }
    }

    /// Maximum over `axis`; the gradient goes to the first maximal element.
    public func max(axis: Int, keepDims: Bool = false) -> Variable {
        axisReduction(.max, axis: axis, keepDims: keepDims, { $0.max(axis: $1, keepDims: true) }) { x, y, a, g in
            // One-hot of the first argmax along `a`.
            let hit = x.equal(y)
            let firstHit = hit * (hit.cumulativeSum(axis: a).equal(Tensor(1)))
            return firstHit * g
        }
    }

    /// log Σ exp over `axis`, stable.
    public func logSumExp(axis: Int, keepDims: Bool = false) -> Variable {
        axisReduction(.logSumExp, axis: axis, keepDims: keepDims, { $0.logSumExp(axis: $1, keepDims: true) }) { x, y, _, g in
            (x - y).exp() * g
        }
    }

    /// Records a reduction over `axis` whose gradient needs the input x and the kept-dims output y:
    /// `gradient(x, y, axis, g)` gets g reshaped to y's shape.
    private func axisReduction(_ op: Op, axis: Int, keepDims: Bool, _ reduce: (Tensor, Int) -> Tensor,
                               gradient: @escaping (_ x: Tensor, _ y: Tensor, _ axis: Int, _ g: Tensor) -> Tensor) -> Variable {
        let a = value.normalizedAxis(axis)
        let x = value
        let y = reduce(x, a)
        let out = keepDims ? y : y.squeezed(axis: a)
        return record(op, out, [self]) { g in [gradient(x, y, a, g.reshaped(y.shape))] }
    }

    /// Softmax over the last axis.
    public func softmax() -> Variable { lastAxisNormalized(.softmax, value.softmax(), backward: CPU.softmaxBackward) }

    /// Log-softmax over the last axis.
    public func logSoftmax() -> Variable { lastAxisNormalized(.logSoftmax, value.logSoftmax(), backward: CPU.logSoftmaxBackward) }

    /// Records softmax or log-softmax: the backward needs only the output y and runs the row kernel
    /// over its R = count / V rows of V entries.
    private func lastAxisNormalized(_ op: Op, _ y: Tensor,
                                    backward: @escaping (_ y: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                                                         _ gx: UnsafeMutablePointer<Float>, _ R: Int, _ V: Int) -> Void) -> Variable {
        record(op, y, [self]) { g in
            let V = y.shape.last ?? 1
            let gx = Tensor(uninitializedShape: y.shape)
            backward(y.unsafePointer, g.unsafePointer, gx.unsafeMutablePointer, y.count / Swift.max(V, 1), V)
            return [gx]
        }
    }

    /// Inclusive cumulative sum along `axis`.
    public func cumulativeSum(axis: Int) -> Variable {
        let a = value.normalizedAxis(axis)
        return record(.cumulativeSum, value.cumulativeSum(axis: a), [self]) { g in [g.reverseCumulativeSum(axis: a)] }
    }
}
