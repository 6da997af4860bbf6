import TensorCore
import Testing
import TestSupport

/// Decoding-shaped products (M ≤ 8 rows against a large [N, K] weight) take the skinny kernel;
/// they must equal the naive product for every M, odd N (unpaired last row) and K with a tail.
@Suite struct SkinnyGemmTests {
    @Test(arguments: [1, 2, 3, 4, 5, 7, 8])
    func matchesReference(_ M: Int) {
        let N = 301, K = 259
        let a = randomTensor([M, K], seed: UInt64(M)), w = randomTensor([N, K], seed: 99)
        let got = a.matmul(w, transposeOther: true)
        let want = Reference.matmul(a, w.transposed())
        let r = compareClose(got, want, atol: 1e-4, rtol: 1e-4)
        #expect(r.ok, "M=\(M): \(r)")
        // alpha through BLAS.gemm directly.
        let c = Tensor(shape: [M, N])
        BLAS.gemm(transA: false, transB: true, M: M, N: N, K: K, alpha: 0.5, A: a.unsafePointer, lda: K,
                  B: w.unsafePointer, ldb: K, C: c.unsafeMutablePointer, ldc: N)
        #expect(compareClose(c, want * 0.5, atol: 1e-4, rtol: 1e-4).ok)
    }

    @Test func batchedDecodeShapeThroughLinearLayout() {
        // [B=8, T=1, C] · [V, C]ᵀ as an LM head does during decoding.
        let x = randomTensor([8, 1, 320], seed: 5), head = randomTensor([1000, 320], seed: 6)
        let got = x.matmul(head, transposeOther: true).reshaped([8, 1000])
        let want = Reference.matmul(x.reshaped([8, 320]), head.transposed())
        #expect(compareClose(got, want, atol: 1e-4, rtol: 1e-4).ok)
    }
}
