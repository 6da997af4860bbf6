// Matrix products on tensors, all through `BLAS.gemm`.

extension Tensor {
    /// Batched matrix product: self [..., M, K] · other [..., K, N] (or other [K, N] shared by every
    /// batch). `transposeSelf` / `transposeOther` use the last two axes transposed without copying.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2, "matmul: \(shape) × \(other.shape)")
        let M = transposeSelf ? shape[rank - 1] : shape[rank - 2]
        let K = transposeSelf ? shape[rank - 2] : shape[rank - 1]
        let K2 = transposeOther ? other.shape[other.rank - 1] : other.shape[other.rank - 2]
        let N = transposeOther ? other.shape[other.rank - 2] : other.shape[other.rank - 1]
        precondition(K == K2, "matmul: inner extents differ: \(shape)\(transposeSelf ? "ᵀ" : "") × \(other.shape)\(transposeOther ? "ᵀ" : "")")
        let batchA = Array(shape.dropLast(2)), batchB = Array(other.shape.dropLast(2))
        let lda = shape[rank - 1], ldb = other.shape[other.rank - 1]
        if other.rank == 2 {
            let batch = batchA.reduce(1, *)
            let y = Tensor(uninitializedShape: batchA + [M, N])
            if !transposeSelf {
                // One big product over all batch rows.
                BLAS.gemm(transA: false, transB: transposeOther, M: batch * M, N: N, K: K,
                          A: unsafePointer, lda: lda, B: other.unsafePointer, ldb: ldb,
                          C: y.unsafeMutablePointer, ldc: N)
            } else {
                for b in 0 ..< batch {
                    BLAS.gemm(transA: true, transB: transposeOther, M: M, N: N, K: K,
                              A: unsafePointer + b * M * K, lda: lda, B: other.unsafePointer, ldb: ldb,
                              C: y.unsafeMutablePointer + b * M * N, ldc: N)
                }
            }
            return y
        }
        precondition(batchA == batchB, "matmul: batch shapes differ: \(shape) × \(other.shape)")
        let batch = batchA.reduce(1, *)
        let y = Tensor(uninitializedShape: batchA + [M, N])
        let box = UnsafeSendableBox((unsafePointer, other.unsafePointer, y.unsafeMutablePointer))
        let small = M * N * K < BLAS.parallelThreshold
        if small && batch > 1 {
            Parallel.forRanges(batch) { r in
                let (a, b, c) = box.value
                for i in r {
                    BLAS.gemm(transA: transposeSelf, transB: transposeOther, M: M, N: N, K: K,
                              A: a + i * M * K, lda: lda, B: b + i * K * N, ldb: ldb,
                              C: c + i * M * N, ldc: N, parallel: false)
                }
            }
        } else {
            let (a, b, c) = box.value
            for i in 0 ..< batch {
                BLAS.gemm(transA: transposeSelf, transB: transposeOther, M: M, N: N, K: K,
                          A: a + i * M * K, lda: lda, B: b + i * K * N, ldb: ldb, C: c + i * M * N, ldc: N)
            }
        }
        return y
    }
}
