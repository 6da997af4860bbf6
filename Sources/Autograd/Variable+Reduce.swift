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
        let a = value.normalizedAxis(axis)
        let x = value
        let y = x.max(axis: a, keepDims: true)
        let out = keepDims ? y : y.squeezed(axis: a)
        return record(.max, out, [self]) { g in
            // One-hot of the first argmax along `a`.
            let hit = x.equal(y)
            let firstHit = hit * (hit.cumulativeSum(axis: a).equal(Tensor(1)))
            return [firstHit * g.reshaped(y.shape)]
        }
    }

    /// log Σ exp over `axis`, stable.
    public func logSumExp(axis: Int, keepDims: Bool = false) -> Variable {
        let a = value.normalizedAxis(axis)
        let x = value
        let y = x.logSumExp(axis: a, keepDims: true)
        let out = keepDims ? y : y.squeezed(axis: a)
        return record(.logSumExp, out, [self]) { g in
            [(x - y).exp() * g.reshaped(y.shape)]
        }
    }

    /// Softmax over the last axis.
    public func softmax() -> Variable {
        let y = value.softmax()
        return record(.softmax, y, [self]) { g in
            let V = y.shape.last ?? 1
            let gx = Tensor(uninitializedShape: y.shape)
            CPU.softmaxBackward(y: y.unsafePointer, gy: g.unsafePointer, gx: gx.unsafeMutablePointer, R: y.count / Swift.max(V, 1), V: V)
            return [gx]
        }
    }

    /// Log-softmax over the last axis.
    public func logSoftmax() -> Variable {
        let y = value.logSoftmax()
        return record(.logSoftmax, y, [self]) { g in
            let V = y.shape.last ?? 1
            let gx = Tensor(uninitializedShape: y.shape)
            CPU.logSoftmaxBackward(y: y.unsafePointer, gy: g.unsafePointer, gx: gx.unsafeMutablePointer, R: y.count / Swift.max(V, 1), V: V)
            return [gx]
        }
    }

    /// Inclusive cumulative sum along `axis`.
    public func cumulativeSum(axis: Int) -> Variable {
        let a = value.normalizedAxis(axis)
        return record(.cumulativeSum, value.cumulativeSum(axis: a), [self]) { g in [g.reverseCumulativeSum(axis: a)] }
    }
}
