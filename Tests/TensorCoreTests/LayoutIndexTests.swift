// Layout (concatenate, split, slice, permute, transpose, reshape) and indexing (gather/scatter,
// embedding and its backward, argmax, top-k, sort) against naive index loops.
import TensorCore
import TestSupport
import Testing

/// Naive permutation: out[i] = x[i permuted back].
func naivePermute(_ x: Tensor, _ perm: [Int]) -> Tensor {
    let outShape = perm.map { x.shape[$0] }
    let xs = x.scalars
    return Tensor(shape: outShape, data: (0 ..< x.count).map { f in
        let o = unravel(f, outShape)
        var i = [Int](repeating: 0, count: x.rank)
        for (k, p) in perm.enumerated() { i[p] = o[k] }
        return xs[ravel(i, x.shape)]
    })
}

/// All permutations of 0..<n.
func permutations(_ n: Int) -> [[Int]] {
    if n == 0 { return [[]] }
    return permutations(n - 1).flatMap { p in (0 ... p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
}

@Suite("Layout")
struct LayoutTests {
    @Test("concatenate along each axis, then split back", arguments: [0, 1, 2, -1])
    func concatenateSplit(_ axis: Int) {
        let a = axis < 0 ? axis + 3 : axis
        let sizes = [1, 3, 2]
        let parts = sizes.enumerated().map { i, s -> Tensor in
            var shape = [2, 3, 4]
            shape[a] = s
            return randomTensor(shape, seed: 50 + UInt64(i))
        }
        let y = Tensor.concatenate(parts, axis: axis)
        var outShape = [2, 3, 4]
        outShape[a] = 6
        #expect(y.shape == outShape)
        // Naive: element of y at index idx comes from the part covering idx[a].
        let ys = y.scalars
        for f in 0 ..< y.count {
            var idx = unravel(f, outShape)
            var p = 0, start = 0
            while idx[a] >= start + sizes[p] { start += sizes[p]; p += 1 }
            idx[a] -= start
            #expect(ys[f] == parts[p].scalars[ravel(idx, parts[p].shape)], "element \(f)")
        }
        let back = y.split(axis: axis, sizes: sizes)
        for (p, q) in zip(back, parts) { expectEqual(p, q, "split axis \(axis)") }
    }

    @Test("slice along each axis; axis 0 is a storage-sharing view", arguments: [0, 1, 2])
    func slice(_ axis: Int) {
        let x = randomTensor([4, 5, 6], seed: 55)
        for range in [0 ..< 1, 1 ..< 3, 2 ..< x.shape[axis], 0 ..< x.shape[axis], 2 ..< 2] {
            let y = x.slice(axis: axis, range)
            var s = x.shape
            s[axis] = range.count
            let xs = x.scalars
            let expected = Tensor(shape: s, data: (0 ..< Tensor.elementCount(s)).map { f in
                var idx = unravel(f, s)
                idx[axis] += range.lowerBound
                return xs[ravel(idx, x.shape)]
            })
            expectEqual(y, expected, "slice axis \(axis) \(range)")
            if axis == 0 { #expect(y.sharesStorage(with: x)) }
        }
    }

    @Test("permuted: every permutation of rank 3, and rank 4")
    func permute() {
        let x = randomTensor([2, 3, 4], seed: 56)
        for perm in permutations(3) {
            expectEqual(x.permuted(perm), naivePermute(x, perm), "perm \(perm)")
            expectEqual(x.permuted(perm).permuted(Tensor.inversePermutation(perm)), x, "inverse \(perm)")
        }
        let z = randomTensor([2, 3, 4, 5], seed: 57)
        for perm in [[0, 2, 1, 3], [3, 1, 0, 2], [1, 0, 3, 2], [0, 1, 2, 3]] {
            expectEqual(z.permuted(perm), naivePermute(z, perm), "perm \(perm)")
        }
        // Large enough to split over threads.
        let big = randomTensor([40, 32, 70], seed: 58)
        for perm in [[2, 0, 1], [1, 0, 2], [0, 2, 1]] {
            expectEqual(big.permuted(perm), naivePermute(big, perm), "big perm \(perm)")
        }
    }

    @Test("transposed swaps axes")
    func transposed() {
        let x = randomTensor([2, 3, 4], seed: 59)
        expectEqual(x.transposed(), naivePermute(x, [0, 2, 1]), "last two")
        expectEqual(x.transposed(0, 2), naivePermute(x, [2, 1, 0]), "0 ↔ 2")
        expectEqual(x.transposed(-3, -2), naivePermute(x, [1, 0, 2]), "negative axes")
        let m = randomTensor([5, 7], seed: 60)
        expectEqual(m.transposed(), naiveTransposeLast(m), "matrix")
    }

    @Test("reshaped / expandingDimensions / squeezed are free views")
    func reshape() {
        let x = randomTensor([2, 3, 4], seed: 61)
        let r = x.reshaped([6, -1])
        #expect(r.shape == [6, 4] && r.sharesStorage(with: x) && r.scalars == x.scalars)
        #expect(x.reshaped([-1]).shape == [24])
        #expect(x.expandingDimensions(at: 1).shape == [2, 1, 3, 4])
        #expect(x.expandingDimensions(at: -1).shape == [2, 3, 4, 1])
        #expect(x.expandingDimensions(at: 0).squeezed().shape == [2, 3, 4])
        #expect(Tensor.zeros([1, 3, 1]).squeezed(axis: -1).shape == [1, 3])
    }
}

@Suite("Indexing")
struct IndexingTests {
    @Test("gatherLast and scatterLast")
    func gatherScatter() {
        let x = randomTensor([2, 3, 5], seed: 62)
        let idx = IndexTensor(shape: [2, 3], data: [0, 4, 2, 2, 1, 4])
        let y = x.gatherLast(idx)
        let xs = x.scalars
        expectEqual(y, Tensor(shape: [2, 3], data: (0 ..< 6).map { xs[$0 * 5 + Int(idx.data[$0])] }), "gatherLast")
        let v = randomTensor([2, 3], seed: 63)
        let s = Tensor.scatterLast(v, index: idx, shape: [2, 3, 5])
        var expected = [Float](repeating: 0, count: 30)
        for r in 0 ..< 6 { expected[r * 5 + Int(idx.data[r])] += v.scalars[r] }
        expectEqual(s, Tensor(shape: [2, 3, 5], data: expected), "scatterLast")
    }

    @Test("embedding and embeddingBackward (repeated ids accumulate)")
    func embedding() {
        let V = 6, C = 4
        let table = randomTensor([V, C], seed: 64)
        let ids = IndexTensor(shape: [2, 3], data: [5, 0, 5, 2, 5, 0])
        let y = Tensor.embedding(table, ids: ids)
        #expect(y.shape == [2, 3, C])
        let ts = table.scalars
        expectEqual(y, Tensor(shape: [2, 3, C], data: ids.data.flatMap { Array(ts[Int($0) * C ..< Int($0 + 1) * C]) }), "embedding")
        let g = randomTensor([2, 3, C], seed: 65)
        var expected = [Double](repeating: 0, count: V * C)
        for (i, id) in ids.data.enumerated() {
            for c in 0 ..< C { expected[Int(id) * C + c] += Double(g.scalars[i * C + c]) }
        }
        expectClose(Tensor.embeddingBackward(g, ids: ids, vocabularySize: V), tensor([V, C], expected), atol: 1e-6,
                    "embeddingBackward")
    }

    @Test("argmax, topK and sorted keep the lower index on ties")
    func ordering() {
        let x = Tensor(shape: [3, 6], data: [1, 3, 3, 0, 3, -1,
                                             -2, -2, -2, -2, -2, -2,
                                             0.5, -4, 9, 2, 9, 0.5])
        #expect(x.argmax() == IndexTensor(shape: [3], data: [1, 0, 2]))
        let top = x.topK(3)
        expectEqual(top.values, Tensor(shape: [3, 3], data: [3, 3, 3, -2, -2, -2, 9, 9, 2]), "topK values")
        #expect(top.indices == IndexTensor(shape: [3, 3], data: [1, 2, 4, 0, 1, 2, 2, 4, 3]))
        let bottom = x.topK(2, descending: false)
        expectEqual(bottom.values, Tensor(shape: [3, 2], data: [-1, 0, -2, -2, -4, 0.5]), "bottom-k values")
        #expect(bottom.indices == IndexTensor(shape: [3, 2], data: [5, 3, 0, 1, 1, 0]))
        let asc = x.sorted()
        #expect(asc.indices.data[0 ..< 6] == [5, 3, 0, 1, 2, 4])
        #expect(asc.indices.data[6 ..< 12] == [0, 1, 2, 3, 4, 5])
        #expect(asc.indices.data[12 ..< 18] == [1, 0, 5, 3, 2, 4])
        let desc = x.sorted(descending: true)
        #expect(desc.indices.data[12 ..< 18] == [2, 4, 3, 0, 5, 1])
        #expect(x.topK(0).values.shape == [3, 0])
    }

    @Test("argmax / sorted against a naive scan on random rows")
    func orderingRandom() {
        let x = gridTensor([20, 33], seed: 66)   // many ties
        let xs = x.scalars
        for r in 0 ..< 20 {
            let row = Array(xs[r * 33 ..< (r + 1) * 33])
            let best = row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }!
            #expect(Int(x.argmax().data[r]) == best, "row \(r)")
            let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
            #expect(x.sorted(descending: true).indices.data[r * 33 ..< (r + 1) * 33].map(Int.init) == order, "row \(r)")
        }
    }
}
