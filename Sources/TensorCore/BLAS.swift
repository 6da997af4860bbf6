// Every matrix product in TokenAlign goes through `BLAS.gemm`. On Linux it calls OpenBLAS's
// `cblas_sgemm` (or, with TOKENALIGN_BLAS=mkl and oneMKL found, MKL's: `MKLLibrary`), on Apple
// platforms Accelerate's.
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

/// The library behind `BLAS.gemm`'s sgemm calls.
public enum BLASBackend: String, Sendable, CaseIterable {
    /// OpenBLAS (linked; the default) or, on Apple platforms, Accelerate.
    case openblas
    /// oneMKL, opened at run time (`TOKENALIGN_BLAS=mkl`).
    case mkl
}

public enum BLAS {
    /// One-time setup; called lazily by the first product.
    nonisolated(unsafe) private static var configured = false
    #if canImport(Glibc)
    /// oneMKL when TOKENALIGN_BLAS=mkl selected it and it loaded.
    nonisolated(unsafe) static var mkl: MKLLibrary?
    #endif

    @inline(__always)
    static func configureOnce() {
        if !configured {
            configured = true
            #if !canImport(Accelerate)
            openblas_set_num_threads(1)
            selectBackend()
            #endif
        }
    }

    /// The backend products run on (TOKENALIGN_BLAS=openblas|mkl, read at the first product).
    public static var backend: BLASBackend {
        configureOnce()
        #if canImport(Glibc)
        return mkl == nil ? .openblas : .mkl
        #else
        return .openblas
        #endif
    }

    /// Reads TOKENALIGN_BLAS. A value that cannot be honoured (unknown, or MKL not found) is said on
    /// standard error once, with where MKL was looked for, and products stay on OpenBLAS: the
    /// variable is read inside a product, which cannot throw. Benchmarks record `backend` in every row.
    private static func selectBackend() {
        #if canImport(Glibc)
        guard let value = getenv("TOKENALIGN_BLAS").map({ String(cString: $0).lowercased() }), !value.isEmpty,
              value != BLASBackend.openblas.rawValue else { return }
        guard value == BLASBackend.mkl.rawValue else {
            warn("TOKENALIGN_BLAS=\(value) is not a backend (openblas, mkl); using OpenBLAS")
            return
        }
        let (library, failures) = MKLLibrary.load()
        guard let library else {
            warn("TOKENALIGN_BLAS=mkl: libmkl_rt not found (\(failures.joined(separator: "; "))); using OpenBLAS (bench/fetch_mkl.sh fetches it)")
            return
        }
        mkl = library
        #endif
    }

    private static func warn(_ message: String) {
        let line = Array("tokenalign: \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
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
        openBLASSgemm(false, false, M, N, K, 1, A, K, B, N, 0, C, N)
    }

    @inline(__always)
    static func sgemm(
        _ transA: Bool, _ transB: Bool, _ M: Int, _ N: Int, _ K: Int, _ alpha: Float,
        _ A: UnsafePointer<Float>, _ lda: Int, _ B: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ C: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        #if canImport(Glibc)
        if let mkl {
            mkl.sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
            return
        }
        #endif
        openBLASSgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
    }

    /// The linked library's `cblas_sgemm`, whatever the backend (the reference MKL is tested against).
    @inline(__always)
    static func openBLASSgemm(
        _ transA: Bool, _ transB: Bool, _ M: Int, _ N: Int, _ K: Int, _ alpha: Float,
        _ A: UnsafePointer<Float>, _ lda: Int, _ B: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ C: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
    }
}
