// Layout, indexing and matrix products with their VJP rules.
import TensorCore

extension Variable {
    public func reshaped(_ newShape: [Int]) -> Variable {
        let inShape = shape
        return record(.reshape, value.reshaped(newShape), [self]) { g in [g.reshaped(inShape)] }
    }

    public func permuted(_ perm: [Int]) -> Variable {
        let inv = Tensor.inversePermutation(perm)
        return record(.permute, value.permuted(perm), [self]) { g in [g.permuted(inv)] }
    }

    public func transposed(_ a0: Int, _ a1: Int) -> Variable {
        var perm = Array(0 ..< rank)
        perm.swapAt(value.normalizedAxis(a0), value.normalizedAxis(a1))
        return permuted(perm)
    }

    public func transposed() -> Variable { transposed(-2, -1) }

    /// Elements `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Variable {
        let a = value.normalizedAxis(axis)
        let inShape = shape
        return record(.slice, value.slice(axis: a, range), [self]) { g in
            var parts: [Tensor] = []
            if range.lowerBound > 0 {
                var s = inShape; s[a] = range.lowerBound
                parts.append(Tensor(shape: s, repeating: 0))
            }
            parts.append(g)
            if range.upperBound < inShape[a] {
                var s = inShape; s[a] = inShape[a] - range.upperBound
                parts.append(Tensor(shape: s, repeating: 0))
            }
            return [parts.count == 1 ? g : Tensor.concatenate(parts, axis: a)]
        }
    }

    /// Splits along `axis` into pieces of the given sizes.
    public func split(axis: Int, sizes: [Int]) -> [Variable] {
        var out: [Variable] = []
        var start = 0
        for s in sizes {
            out.append(slice(axis: axis, start ..< start + s))
            start += s
        }
        return out
    }

    public static func concatenate(_ parts: [Variable], axis: Int) -> Variable {
        let a = parts[0].value.normalizedAxis(axis)
        let sizes = parts.map { $0.shape[a] }
        return record(.concatenate, Tensor.concatenate(parts.map(\.value), axis: a), parts) { g in
            g.split(axis: a, sizes: sizes).map { Optional($0) }
        }
    }

    /// self[..., index[...]] along the last axis.
    public func gatherLast(_ index: IndexTensor) -> Variable {
        let inShape = shape
        return record(.gatherLast, value.gatherLast(index), [self]) { g in
            [Tensor.scatterLast(g, index: index, shape: inShape)]
        }
    }

    /// Rows of an embedding table [V, C] for `ids` → [..., C].
    public static func embedding(_ table: Variable, ids: IndexTensor) -> Variable {
        let V = table.shape[0]
        return record(.embedding, Tensor.embedding(table.value, ids: ids), [table]) { g in
            [Tensor.embeddingBackward(g, ids: ids, vocabularySize: V)]
        }
    }

    /// Batched product self [..., M, K] · other [..., K, N] (other may be a shared [K, N]).
    /// With `transposeOther`, other is [..., N, K] (e.g. a `Linear` weight [out, in]).
    public func matmul(_ other: Variable, transposeOther: Bool = false) -> Variable {
        let a = value, b = other.value
        let y = a.matmul(b, transposeOther: transposeOther)
        return record(.matmul, y, [self, other]) { g in
            // dA = g · op(B)ᵀ
            let ga = g.matmul(b, transposeOther: !transposeOther)
            // dB: for shared 2-D B, fold the batch into rows: [*, K]ᵀ · [*, N].
            let gb: Tensor
            if b.rank == 2 {
                let K = a.shape.last!, N = g.shape.last!
                let a2 = a.reshaped([-1, K]), g2 = g.reshaped([-1, N])
                gb = transposeOther ? g2.matmul(a2, transposeSelf: true) : a2.matmul(g2, transposeSelf: true)
            } else {
                gb = transposeOther ? g.matmul(a, transposeSelf: true) : a.matmul(g, transposeSelf: true)
            }
            return [ga, gb]
        }
    }
}
