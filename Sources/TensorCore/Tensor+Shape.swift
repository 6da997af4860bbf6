// Layout operations: concatenate, split, slice, transpose, permute. Each writes a new contiguous
// buffer with block copies (memcpy-sized runs), except the free views in Tensor.swift.

extension Tensor {
    /// Concatenates tensors along `axis`; all other extents must agree.
    public static func concatenate(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concatenate: no tensors")
        let first = parts[0]
        let a = first.normalizedAxis(axis)
        var outShape = first.shape
        outShape[a] = 0
        for p in parts {
            precondition(p.rank == first.rank, "concatenate: ranks \(first.shape) vs \(p.shape)")
            for i in 0 ..< p.rank where i != a {
                precondition(p.shape[i] == first.shape[i], "concatenate along \(axis): \(first.shape) vs \(p.shape)")
            }
            outShape[a] += p.shape[a]
        }
        let outer = first.shape[..<a].reduce(1, *)
        let inner = first.shape[(a + 1)...].reduce(1, *)
        let y = Tensor(uninitializedShape: outShape)
        let out = y.unsafeMutablePointer
        let rowOut = outShape[a] * inner
        var col = 0
        for p in parts {
            let run = p.shape[a] * inner
            let src = p.unsafePointer
            for o in 0 ..< outer {
                (out + o * rowOut + col).update(from: src + o * run, count: run)
            }
            col += run
        }
        return y
    }

    /// Elements `range` along `axis` (a copy unless axis is 0, where it is a view).
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a], "slice(axis: \(axis), \(range)) of \(shape)")
        if a == 0 { return rows(range) }
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        var s = shape
        s[a] = range.count
        let y = Tensor(uninitializedShape: s)
        let run = range.count * inner, rowIn = shape[a] * inner
        let src = unsafePointer, out = y.unsafeMutablePointer
        for o in 0 ..< outer {
            (out + o * run).update(from: src + o * rowIn + range.lowerBound * inner, count: run)
        }
        return y
    }

    /// Splits along `axis` into pieces of the given sizes.
    public func split(axis: Int, sizes: [Int]) -> [Tensor] {
        let a = normalizedAxis(axis)
        precondition(sizes.reduce(0, +) == shape[a], "split: sizes \(sizes) for extent \(shape[a]) of \(shape)")
        var out: [Tensor] = []
        var start = 0
        for s in sizes {
            out.append(slice(axis: a, start ..< start + s))
            start += s
        }
        return out
    }

    /// Swaps two axes.
    public func transposed(_ a0: Int, _ a1: Int) -> Tensor {
        var perm = Array(0 ..< rank)
        perm.swapAt(normalizedAxis(a0), normalizedAxis(a1))
        return permuted(perm)
    }

    /// Swaps the last two axes.
    public func transposed() -> Tensor { transposed(-2, -1) }

    /// Reorders axes: result axis i is input axis `perm[i]`.
    public func permuted(_ perm: [Int]) -> Tensor {
        precondition(perm.count == rank && Set(perm) == Set(0 ..< rank), "permuted(\(perm)) of rank \(rank)")
        if perm == Array(0 ..< rank) { return self }
        let outShape = perm.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let strides = perm.map { inStrides[$0] }
        let y = Tensor(uninitializedShape: outShape)
        if count == 0 { return y }
        let src = unsafePointer, out = y.unsafeMutablePointer
        let r = rank
        let inner = outShape[r - 1], innerStride = strides[r - 1]
        let outerCount = count / inner
        // Parallel over outer index ranges; each worker decodes its starting multi-index.
        let box = UnsafeSendableBox((src, out))
        Parallel.forRanges(outerCount, grain: Swift.max(1, 4096 / Swift.max(inner, 1))) { range in
            let (src, out) = box.value
            var idx = [Int](repeating: 0, count: r - 1)
            var rem = range.lowerBound
            for k in stride(from: r - 2, through: 0, by: -1) {
                idx[k] = rem % outShape[k]
                rem /= outShape[k]
            }
            for o in range {
                var base = 0
                for k in 0 ..< r - 1 { base += idx[k] * strides[k] }
                let dst = out + o * inner
                if innerStride == 1 {
                    dst.update(from: src + base, count: inner)
                } else {
                    for j in 0 ..< inner { dst[j] = src[base + j * innerStride] }
                }
                var k = r - 2
                while k >= 0 {
                    idx[k] += 1
                    if idx[k] < outShape[k] { break }
                    idx[k] = 0
                    k -= 1
                }
            }
        }
        return y
    }

    /// Inverse of a permutation.
    public static func inversePermutation(_ perm: [Int]) -> [Int] {
        var inv = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inv[p] = i }
        return inv
    }
}
