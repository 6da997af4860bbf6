// Indexing: gather along the last axis (per-token log-prob of labels), embedding lookup and its
// scatter-add, argmax / top-k / sort.

extension Tensor {
    /// out[..., ] = self[..., index[...]] along the last axis. `index` has the leading shape of self.
    /// Used for log p(label) from [B, T, V] log-probs with [B, T] labels.
    public func gatherLast(_ index: IndexTensor) -> Tensor {
        let V = shape.last ?? 1
        precondition(Array(shape.dropLast()) == index.shape, "gatherLast: index \(index.shape) for \(shape)")
        let y = Tensor(uninitializedShape: index.shape)
        let x = unsafePointer, out = y.unsafeMutablePointer
        index.data.withUnsafeBufferPointer { idx in
            for r in 0 ..< idx.count {
                let k = Int(idx[r])
                precondition(k >= 0 && k < V, "gatherLast: index \(k) out of range 0..<\(V) at row \(r)")
                out[r] = x[r * V + k]
            }
        }
        return y
    }

    /// Scatter-add of `values` (shape = index.shape) into a zero tensor of `shape` along the last axis:
    /// the VJP of `gatherLast`.
    public static func scatterLast(_ values: Tensor, index: IndexTensor, shape: [Int]) -> Tensor {
        let V = shape.last ?? 1
        let y = Tensor(shape: shape, repeating: 0)
        let out = y.unsafeMutablePointer, v = values.unsafePointer
        index.data.withUnsafeBufferPointer { idx in
            for r in 0 ..< idx.count { out[r * V + Int(idx[r])] += v[r] }
        }
        return y
    }

    /// Rows of an embedding table: table [V, C], ids [...] → [..., C].
    public static func embedding(_ table: Tensor, ids: IndexTensor) -> Tensor {
        precondition(table.rank == 2, "embedding: table must be [V, C], got \(table.shape)")
        let V = table.shape[0], C = table.shape[1]
        let y = Tensor(uninitializedShape: ids.shape + [C])
        let src = table.unsafePointer, out = y.unsafeMutablePointer
        ids.data.withUnsafeBufferPointer { idx in
            for i in 0 ..< idx.count {
                let k = Int(idx[i])
                precondition(k >= 0 && k < V, "embedding: id \(k) out of range 0..<\(V) at position \(i)")
                (out + i * C).update(from: src + k * C, count: C)
            }
        }
        return y
    }

    /// Accumulates gradient rows into a [V, C] table gradient: the VJP of `embedding`.
    public static func embeddingBackward(_ grad: Tensor, ids: IndexTensor, vocabularySize V: Int) -> Tensor {
        let C = grad.shape.last ?? 1
        let g = Tensor(shape: [V, C], repeating: 0)
        let out = g.unsafeMutablePointer, src = grad.unsafePointer
        ids.data.withUnsafeBufferPointer { idx in
            for i in 0 ..< idx.count {
                let row = out + Int(idx[i]) * C, s = src + i * C
                for c in 0 ..< C { row[c] += s[c] }
            }
        }
        return g
    }

    /// Index of the maximum along the last axis.
    public func argmax() -> IndexTensor {
        let V = shape.last ?? 1
        let rows = count / Swift.max(V, 1)
        return IndexTensor(shape: Array(shape.dropLast()), data: CPU.argmaxRows(unsafePointer, rows: rows, n: V))
    }

    /// Sorts each row of the last axis. Returns values and the source indices (stable).
    public func sorted(descending: Bool = false) -> (values: Tensor, indices: IndexTensor) {
        topK(shape.last ?? 1, descending: descending)
    }

    /// The `k` largest (or smallest, if `descending` is false) entries of each row of the last axis,
    /// in order, with their indices. Ties keep the lower index first.
    public func topK(_ k: Int, descending: Bool = true) -> (values: Tensor, indices: IndexTensor) {
        let V = shape.last ?? 1
        precondition(k >= 0 && k <= V, "topK(\(k)) of last axis \(V)")
        let rows = count / Swift.max(V, 1)
        let vals = Tensor(uninitializedShape: Array(shape.dropLast()) + [k])
        var idx = [Int32](repeating: 0, count: rows * k)
        let x = unsafePointer, out = vals.unsafeMutablePointer
        var order = [Int32](repeating: 0, count: V)
        for r in 0 ..< rows {
            let row = x + r * V
            for j in 0 ..< V { order[j] = Int32(j) }
            if descending {
                order.sort { a, b in
                    let va = row[Int(a)], vb = row[Int(b)]
                    return va > vb || (va == vb && a < b)
                }
            } else {
                order.sort { a, b in
                    let va = row[Int(a)], vb = row[Int(b)]
                    return va < vb || (va == vb && a < b)
                }
            }
            for j in 0 ..< k {
                idx[r * k + j] = order[j]
                out[r * k + j] = row[Int(order[j])]
            }
        }
        return (vals, IndexTensor(shape: Array(shape.dropLast()) + [k], data: idx))
    }
}
