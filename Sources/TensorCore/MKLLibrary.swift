// oneMKL as an optional backend of `BLAS.gemm` (issue 18; docs/design/blas-backends.md). OpenBLAS
// stays the linked default and nothing is needed to build: `TOKENALIGN_BLAS=mkl` makes the first
// product look for `libmkl_rt` (the runtime the `mkl` wheel on PyPI ships; bench/fetch_mkl.sh
// unpacks it into .assets/mkl/lib) and, when found, route every sgemm through it.
//
// The library is opened with RTLD_DEEPBIND: the executable already links OpenBLAS, which exports
// the same CBLAS/BLAS names, and MKL's own calls must bind to MKL. MKL runs with its sequential
// threading layer, as OpenBLAS runs pinned to one thread: the engine splits products itself.
#if canImport(Glibc)
import Glibc

/// A dlopen'ed `libmkl_rt` and its `cblas_sgemm`.
public final class MKLLibrary: @unchecked Sendable {
    /// `cblas_sgemm` with LP64 integers and CBLAS enum values (row-major 101, no-trans 111, trans 112).
    typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void

    /// The file that was opened.
    public let path: String
    /// `MKL_Get_Version_String`.
    public let version: String
    let sgemmFunction: SGEMM

    /// Where `load()` looks, in order: `$TOKENALIGN_MKL` (a file), .assets/mkl/lib under the current
    /// folder, then the loader's own search path (LD_LIBRARY_PATH, a system install).
    public static var searchPaths: [String] {
        var paths: [String] = []
        if let p = getenv("TOKENALIGN_MKL") { paths.append(String(cString: p)) }
        paths += [".assets/mkl/lib/libmkl_rt.so.3", ".assets/mkl/lib/libmkl_rt.so", "libmkl_rt.so.3", "libmkl_rt.so.2", "libmkl_rt.so"]
        return paths
    }

    /// The first library of `searchPaths` that opens and has the symbols, or nil (with why in `failures`).
    public static func load(from paths: [String] = searchPaths) -> (library: MKLLibrary?, failures: [String]) {
        var failures: [String] = []
        for path in paths {
            // A relative path with a slash is a file under the current folder; dlopen needs it absolute
            // (a bare name goes to the loader's search).
            let name = path.contains("/") && !path.hasPrefix("/") ? currentDirectory() + "/" + path : path
            if name.hasPrefix("/") && access(name, R_OK) != 0 { failures.append("\(path): no such file"); continue }
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND) else {
                failures.append("\(path): \(dlerror().map { String(cString: $0) } ?? "dlopen failed")")
                continue
            }
            guard let sgemm = dlsym(handle, "cblas_sgemm") else {
                failures.append("\(path): no cblas_sgemm")
                dlclose(handle)
                continue
            }
            // MKL_Set_Threading_Layer(MKL_THREADING_SEQUENTIAL = 1), MKL_Set_Interface_Layer(LP64 = 0):
            // before the first computation, or libmkl_rt picks Intel OpenMP (not shipped here).
            typealias SetLayer = @convention(c) (Int32) -> Int32
            if let f = dlsym(handle, "MKL_Set_Interface_Layer") { _ = unsafeBitCast(f, to: SetLayer.self)(0) }
            if let f = dlsym(handle, "MKL_Set_Threading_Layer") { _ = unsafeBitCast(f, to: SetLayer.self)(1) }
            var version = "unknown version"
            if let f = dlsym(handle, "MKL_Get_Version_String") {
                typealias GetVersion = @convention(c) (UnsafeMutablePointer<CChar>?, Int32) -> Void
                var buffer = [CChar](repeating: 0, count: 256)
                buffer.withUnsafeMutableBufferPointer { unsafeBitCast(f, to: GetVersion.self)($0.baseAddress, 255) }
                version = String(cString: buffer)
            }
            return (MKLLibrary(path: name, version: version, sgemm: unsafeBitCast(sgemm, to: SGEMM.self)), failures)
        }
        return (nil, failures)
    }

    private init(path: String, version: String, sgemm: SGEMM) {
        self.path = path
        self.version = version
        self.sgemmFunction = sgemm
    }

    /// Row-major `C = alpha·op(A)·op(B) + beta·C` (the arguments of `BLAS.gemm`).
    @inline(__always)
    func sgemm(_ transA: Bool, _ transB: Bool, _ M: Int, _ N: Int, _ K: Int, _ alpha: Float,
               _ A: UnsafePointer<Float>, _ lda: Int, _ B: UnsafePointer<Float>, _ ldb: Int,
               _ beta: Float, _ C: UnsafeMutablePointer<Float>, _ ldc: Int) {
        sgemmFunction(101, transA ? 112 : 111, transB ? 112 : 111, Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda),
                      B, Int32(ldb), beta, C, Int32(ldc))
    }

    private static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        return getcwd(&buffer, buffer.count) != nil ? String(cString: buffer) : "."
    }
}
#endif
