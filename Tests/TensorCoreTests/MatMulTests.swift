// Matrix products (`Tensor.matmul` → `BLAS.gemm`) against a naive Double triple loop, for every
// transpose combination, batched and shared right operands, odd sizes and sizes above
// `BLAS.parallelThreshold` (which split over threads along M or N).
import TensorCore
import TestSupport
import Testing

struct GemmCase: Sendable, CustomTestStringConvertible {
    var M: Int, K: Int, N: Int
    var testDescription: String { "\(M)×\(K)×\(N)" }
}

@Suite("MatMul")
struct MatMulTests {
    static let sizes: [GemmCase] = [
        GemmCase(M: 1, K: 1, N: 1), GemmCase(M: 3, K: 5, N: 2), GemmCase(M: 17, K: 13, N: 19),
        GemmCase(M: 130, K: 70, N: 90),   // above the threshold, split along M
        GemmCase(M: 60, K: 80, N: 300),   // above the threshold, split along N
        GemmCase(M: 300, K: 200, N: 100),
    ]

    @Test("2-D, all transpose combinations", arguments: sizes)
    func twoD(_ c: GemmCase) {
        let a = randomTensor([c.M, c.K], seed: 1), b = randomTensor([c.K, c.N], seed: 2)
        #expect(c.M * c.K * c.N < BLAS.parallelThreshold || c.M * c.K * c.N > 2 * BLAS.parallelThreshold)
        let expected = naiveMatmul(a, b)
        for ta in [false, true] {
            for tb in [false, true] {
                // Store the operands so that op(A) = a and op(B) = b.
                let aStored = ta ? naiveTransposeLast(a) : a
                let bStored = tb ? naiveTransposeLast(b) : b
                let y = aStored.matmul(bStored, transposeSelf: ta, transposeOther: tb)
                expectClose(y, expected, atol: 1e-4, rtol: 1e-4, "\(c.testDescription) transposeSelf \(ta) transposeOther \(tb)")
            }
        }
    }

    @Test("Batched 3-D and 4-D, all transpose combinations",
          arguments: [GemmCase(M: 3, K: 4, N: 5), GemmCase(M: 7, K: 9, N: 11), GemmCase(M: 80, K: 70, N: 60)])
    func batched(_ c: GemmCase) {
        for batch in [[1], [3], [2, 3]] {
            let a = randomTensor(batch + [c.M, c.K], seed: 3), b = randomTensor(batch + [c.K, c.N], seed: 4)
            let expected = naiveMatmul(a, b)
            for ta in [false, true] {
                for tb in [false, true] {
                    let aStored = ta ? naiveTransposeLast(a) : a
                    let bStored = tb ? naiveTransposeLast(b) : b
                    let y = aStored.matmul(bStored, transposeSelf: ta, transposeOther: tb)
                    expectClose(y, expected, atol: 1e-4, rtol: 1e-4,
                                "batch \(batch) \(c.testDescription) transposeSelf \(ta) transposeOther \(tb)")
                }
            }
        }
    }

    @Test("Shared 2-D right operand (a Linear weight), all transpose combinations",
          arguments: [GemmCase(M: 3, K: 4, N: 5), GemmCase(M: 33, K: 65, N: 129)])
    func sharedRight(_ c: GemmCase) {
        for batch in [[2], [2, 3]] {
            let a = randomTensor(batch + [c.M, c.K], seed: 5), w = randomTensor([c.K, c.N], seed: 6)
            let expected = naiveMatmul(a, w)
            for ta in [false, true] {
                for tb in [false, true] {
                    let aStored = ta ? naiveTransposeLast(a) : a
                    let wStored = tb ? naiveTransposeLast(w) : w
                    let y = aStored.matmul(wStored, transposeSelf: ta, transposeOther: tb)
                    expectClose(y, expected, atol: 1e-4, rtol: 1e-4,
                                "batch \(batch) \(c.testDescription) transposeSelf \(ta) transposeOther \(tb)")
                }
            }
        }
    }

    @Test("Matmul of a rows view reads from the view's offset")
    func rowsView() {
        let big = randomTensor([10, 6], seed: 7), w = randomTensor([6, 4], seed: 8)
        let view = big.rows(3 ..< 8)
        #expect(view.sharesStorage(with: big))
        expectClose(view.matmul(w), naiveMatmul(Tensor(shape: [5, 6], data: Array(big.scalars[18 ..< 48])), w),
                    atol: 1e-5, "rows view")
    }

    @Test("BLAS.gemm: alpha, beta accumulation and leading dimensions larger than the matrix",
          arguments: [GemmCase(M: 5, K: 7, N: 3), GemmCase(M: 150, K: 40, N: 60), GemmCase(M: 40, K: 60, N: 150)])
    func gemmStrides(_ c: GemmCase) {
        // A, B and C are the top-left blocks of wider buffers (row strides lda, ldb, ldc).
        let pad = 3
        for ta in [false, true] {
            for tb in [false, true] {
                let aRows = ta ? c.K : c.M, aCols = ta ? c.M : c.K
                let bRows = tb ? c.N : c.K, bCols = tb ? c.K : c.N
                let lda = aCols + pad, ldb = bCols + pad, ldc = c.N + pad
                let aBuf = randomTensor([aRows, lda], seed: 9), bBuf = randomTensor([bRows, ldb], seed: 10)
                let cBuf = randomTensor([c.M, ldc], seed: 11)
                // Naive: C = 0.5 · op(A) op(B) + 2 · C on the blocks; padding untouched.
                let A = aBuf.scalars, B = bBuf.scalars, C0 = cBuf.scalars
                var expected = C0.map(Double.init)
                for i in 0 ..< c.M {
                    for j in 0 ..< c.N {
                        var s = 0.0
                        for k in 0 ..< c.K {
                            let av = ta ? A[k * lda + i] : A[i * lda + k]
                            let bv = tb ? B[j * ldb + k] : B[k * ldb + j]
                            s += Double(av) * Double(bv)
                        }
                        expected[i * ldc + j] = 0.5 * s + 2 * Double(C0[i * ldc + j])
                    }
                }
                var out = cBuf
                out.withUnsafeMutableBufferPointer { cp in
                    BLAS.gemm(transA: ta, transB: tb, M: c.M, N: c.N, K: c.K, alpha: 0.5,
                              A: aBuf.unsafePointer, lda: lda, B: bBuf.unsafePointer, ldb: ldb,
                              beta: 2, C: cp.baseAddress!, ldc: ldc)
                }
                expectClose(out, tensor(cBuf.shape, expected), atol: 1e-4, rtol: 1e-4,
                            "\(c.testDescription) transA \(ta) transB \(tb)")
                #expect(cBuf.scalars == C0, "the input tensor was not modified (copy-on-write)")
            }
        }
    }

    @Test("K = 0 gives beta·C")
    func emptyInner() {
        let a = Tensor(shape: [3, 0], data: []), b = Tensor(shape: [0, 4], data: [])
        expectEqual(a.matmul(b), Tensor.zeros([3, 4]), "[3,0]·[0,4]")
    }
}

@Suite("Parallel")
struct ParallelTests {
    @Test("forRanges covers 0..<count exactly once in disjoint chunks", arguments: [0, 1, 2, 7, 1000, 100_003])
    func coverage(_ count: Int) {
        var hits = [Int32](repeating: 0, count: count)
        hits.withUnsafeMutableBufferPointer { p in
            let box = UnsafeSendableBox(p.baseAddress)
            Parallel.forRanges(count, grain: 16) { r in
                for i in r { box.value![i] += 1 }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }
}
