// Every matrix product in TokenAlign goes through `BLAS.gemm`. On Linux it calls OpenBLAS's
// `cblas_sgemm`, on Apple platforms Accelerate's.
//
// Threading policy: OpenBLAS is pinned to one thread and the engine splits large products itself
// (along the larger of M and N) over `Parallel.threadCount` workers. This keeps OpenBLAS's own pool
// from competing with the engine's parallel loops (attention runs many small per-head GEMMs inside a
// parallel loop) and makes every kernel share one thread budget.
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `TOKENALIGN_NO_SKINNY_GEMM=1` routes decoding-shaped products to OpenBLAS (for A/B measurements).
let skinnyKernelEnabled: Bool = getenv("TOKENALIGN_NO_SKINNY_GEMM") == nil

public enum BLAS {
    /// One-time setup; called lazily by the first product.
    nonisolated(unsafe) private static var configured = false

    @inline(__always)
    static func configureOnce() {
        if !configured {
            configured = true
            #if !canImport(Accelerate)
            openblas_set_num_threads(1)
            #endif
        }
    }

    /// Products smaller than this many multiply-adds run on one thread.
    public static let parallelThreshold = 1 << 18

    /// `C[M,N] = alpha * op(A)[M,K] · op(B)[K,N] + beta * C`, row-major.
    /// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored.
    public static func gemm(
        transA: Bool, transB: Bool, M: Int, N: Int, K: Int,
        alpha: Float = 1, A: UnsafePointer<Float>, lda: Int,
        B: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, C: UnsafeMutablePointer<Float>, ldc: Int,
        parallel: Bool = true
    ) {
        configureOnce()
        if M == 0 || N == 0 { return }
        if K == 0 {
            // C = beta * C
            for i in 0 ..< M {
                let row = C + i * ldc
                for j in 0 ..< N { row[j] = beta == 0 ? 0 : beta * row[j] }
            }
            return
        }
        // Decoding-shaped products (a few rows times a large weight matrix): stream the weights once
        // instead of letting OpenBLAS pack them (skinnyGemmNT explains why).
        if skinnyKernelEnabled && transB && !transA && beta == 0 && M <= CPU.skinnyRowLimit && N * K >= 1 << 16 {
            CPU.skinnyGemmNT(M: M, N: N, K: K, alpha: alpha, A: A, lda: lda, B: B, ldb: ldb, C: C, ldc: ldc)
            return
        }
        let work = M * N * K
        let threads = Parallel.threadCount
        if !parallel || threads == 1 || work < parallelThreshold {
            sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
            return
        }
        let ctx = UnsafeSendableBox((A, B, C))
        if M >= N {
            // Split rows of C (and of op(A)).
            Parallel.forRanges(M, grain: 16) { r in
                let (A, B, C) = ctx.value
                let aStart = transA ? A + r.lowerBound : A + r.lowerBound * lda
                sgemm(transA, transB, r.count, N, K, alpha, aStart, lda, B, ldb, beta, C + r.lowerBound * ldc, ldc)
            }
        } else {
            // Split columns of C (and of op(B)).
            Parallel.forRanges(N, grain: 16) { r in
                let (A, B, C) = ctx.value
                let bStart = transB ? B + r.lowerBound * ldb : B + r.lowerBound
                sgemm(transA, transB, M, r.count, K, alpha, A, lda, bStart, ldb, beta, C + r.lowerBound, ldc)
            }
        }
    }

    /// A direct, un-split `cblas_sgemm` call using OpenBLAS's own threading with `threads` threads:
    /// the reference the `matmul` benchmark compares the engine path against.
    public static func directSgemm(
        M: Int, N: Int, K: Int, A: UnsafePointer<Float>, B: UnsafePointer<Float>, C: UnsafeMutablePointer<Float>,
        threads: Int
    ) {
        configureOnce()
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(1) }
        #endif
        sgemm(false, false, M, N, K, 1, A, K, B, N, 0, C, N)
    }

    @inline(__always)
    static func sgemm(
        _ transA: Bool, _ transB: Bool, _ M: Int, _ N: Int, _ K: Int, _ alpha: Float,
        _ A: UnsafePointer<Float>, _ lda: Int, _ B: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ C: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
    }
}
