// C[M, N] = α·A[M, K]·B[N, K]ᵀ for a few rows M (decoding: one row per sequence in the batch).
//
// With M ≤ 8 the product is limited by reading B (the weight matrix) from memory. OpenBLAS packs B
// into a buffer on every call, reading and writing it again; this kernel streams each pair of B rows
// once and combines it with up to four rows of A held in registers (2×4 = 8 vector accumulators, one
// horizontal sum per output). Rows of A beyond M are padded by repeating the last row and discarded.
// Legend: M rows of A and C, N rows of B (columns of C), K inner dimension.

extension CPU {
    /// Largest M routed here by `BLAS.gemm`.
    public static let skinnyRowLimit = 8

    public static func skinnyGemmNT(M: Int, N: Int, K: Int, alpha: Float, A: UnsafePointer<Float>, lda: Int,
                                    B: UnsafePointer<Float>, ldb: Int, C: UnsafeMutablePointer<Float>, ldc: Int) {
        let box = UnsafeSendableBox((A, B, C))
        let pairs = (N + 1) / 2
        Parallel.forRanges(pairs, grain: Swift.max(1, 32768 / Swift.max(K * M, 1))) { r in
            let (A, B, C) = box.value
            for p in r {
                let n0 = 2 * p, n1 = Swift.min(n0 + 1, N - 1)
                let b0 = B + n0 * ldb, b1 = B + n1 * ldb
                var m0 = 0
                while m0 < M {
                    let a0 = A + m0 * lda
                    let a1 = A + Swift.min(m0 + 1, M - 1) * lda
                    let a2 = A + Swift.min(m0 + 2, M - 1) * lda
                    let a3 = A + Swift.min(m0 + 3, M - 1) * lda
                    var c00 = Vec(), c01 = Vec(), c10 = Vec(), c11 = Vec()
                    var c20 = Vec(), c21 = Vec(), c30 = Vec(), c31 = Vec()
                    var k = 0
                    while k + vecWidth <= K {
                        let v0 = UnsafeRawPointer(b0 + k).loadUnaligned(as: Vec.self)
                        let v1 = UnsafeRawPointer(b1 + k).loadUnaligned(as: Vec.self)
                        let x0 = UnsafeRawPointer(a0 + k).loadUnaligned(as: Vec.self)
                        let x1 = UnsafeRawPointer(a1 + k).loadUnaligned(as: Vec.self)
                        let x2 = UnsafeRawPointer(a2 + k).loadUnaligned(as: Vec.self)
                        let x3 = UnsafeRawPointer(a3 + k).loadUnaligned(as: Vec.self)
                        c00 += x0 * v0; c01 += x0 * v1
                        c10 += x1 * v0; c11 += x1 * v1
                        c20 += x2 * v0; c21 += x2 * v1
                        c30 += x3 * v0; c31 += x3 * v1
                        k += vecWidth
                    }
                    var s00 = c00.sum(), s01 = c01.sum(), s10 = c10.sum(), s11 = c11.sum()
                    var s20 = c20.sum(), s21 = c21.sum(), s30 = c30.sum(), s31 = c31.sum()
                    while k < K {
                        let v0 = b0[k], v1 = b1[k]
                        s00 += a0[k] * v0; s01 += a0[k] * v1
                        s10 += a1[k] * v0; s11 += a1[k] * v1
                        s20 += a2[k] * v0; s21 += a2[k] * v1
                        s30 += a3[k] * v0; s31 += a3[k] * v1
                        k += 1
                    }
                    let rows = Swift.min(4, M - m0)
                    let c0 = C + m0 * ldc
                    c0[n0] = alpha * s00
                    if n1 != n0 { c0[n1] = alpha * s01 }
                    if rows > 1 { c0[ldc + n0] = alpha * s10; if n1 != n0 { c0[ldc + n1] = alpha * s11 } }
                    if rows > 2 { c0[2 * ldc + n0] = alpha * s20; if n1 != n0 { c0[2 * ldc + n1] = alpha * s21 } }
                    if rows > 3 { c0[3 * ldc + n0] = alpha * s30; if n1 != n0 { c0[3 * ldc + n1] = alpha * s31 } }
                    m0 += 4
                }
            }
        }
    }
}
