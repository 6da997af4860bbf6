@testable import TensorCore
import Testing
import TestSupport

#if canImport(Glibc)
/// oneMKL, the optional BLAS backend (docs/design/blas-backends.md), must compute the products
/// OpenBLAS computes. It is only present where bench/fetch_mkl.sh unpacked it (or TOKENALIGN_MKL
/// points at it); CI does not have it, so these tests are skipped there.
@Suite(.enabled(if: MKLLibrary.load().library != nil,
                "oneMKL (libmkl_rt) not found: run bench/fetch_mkl.sh or set TOKENALIGN_MKL; CI has no MKL"))
struct MKLBackendTests {
    let mkl = MKLLibrary.load().library!

    /// A hand-computed product: [[1, 2], [3, 4]]·[[5, 6], [7, 8]] = [[19, 22], [43, 50]], and with
    /// α = 2, β = −1 on C = [[1, 1], [1, 1]]: [[37, 43], [85, 99]].
    @Test func handComputedProduct() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        mkl.sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2)
        #expect(c == [19, 22, 43, 50])
        var d: [Float] = [1, 1, 1, 1]
        mkl.sgemm(false, false, 2, 2, 2, 2, a, 2, b, 2, -1, &d, 2)
        #expect(d == [37, 43, 85, 99])
    }

    /// Every transpose combination, odd sizes, α and β: MKL's C equals OpenBLAS's within float
    /// accumulation error (both sum K products in their own order: |Δ| ≤ 1e-5·Σ|a·b| + 1e-6).
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func equalsOpenBLAS(_ transposes: (Bool, Bool)) {
        let (tA, tB) = transposes
        for (M, N, K) in [(1, 257, 129), (7, 33, 300), (64, 96, 576), (130, 70, 1)] {
            let a = randomTensor(tA ? [K, M] : [M, K], seed: 1), b = randomTensor(tB ? [N, K] : [K, N], seed: 2)
            let c0 = randomTensor([M, N], seed: 3).scalars
            let viaMKL = Tensor(shape: [M, N], data: c0), viaOpenBLAS = Tensor(shape: [M, N], data: c0)
            let (lda, ldb) = (tA ? M : K, tB ? K : N)
            mkl.sgemm(tA, tB, M, N, K, 0.75, a.unsafePointer, lda, b.unsafePointer, ldb, 0.5, viaMKL.unsafeMutablePointer, N)
            BLAS.openBLASSgemm(tA, tB, M, N, K, 0.75, a.unsafePointer, lda, b.unsafePointer, ldb, 0.5,
                               viaOpenBLAS.unsafeMutablePointer, N)
            // Σ_k |a_ik·b_kj| + |c_ij| bounds the accumulation error of entry (i, j).
            let av = a.scalars, bv = b.scalars, x = viaMKL.scalars, y = viaOpenBLAS.scalars
            var worst: Float = -1
            for i in 0 ..< M {
                for j in 0 ..< N {
                    var s: Float = abs(c0[i * N + j])
                    for k in 0 ..< K { s += abs(av[tA ? k * M + i : i * K + k] * bv[tB ? j * K + k : k * N + j]) }
                    worst = max(worst, abs(x[i * N + j] - y[i * N + j]) - (1e-5 * s + 1e-6))
                }
            }
            #expect(worst <= 0, "M=\(M) N=\(N) K=\(K) transA=\(tA) transB=\(tB): MKL and OpenBLAS differ beyond float accumulation")
        }
    }
}
#endif
