// Work splitting over the machine's cores. Kernels hand a *range* closure to `parallelFor`, so the
// closure is called once per chunk, never per element.
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Parallel {
    /// Number of worker threads kernels split over (defaults to the number of online cores;
    /// `TOKENALIGN_THREADS` overrides it).
    public static let threadCount: Int = {
        if let s = getenv("TOKENALIGN_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()

    /// Calls `body` on disjoint sub-ranges of `0..<count` that together cover it, in parallel when the
    /// work is large enough. `grain` is the smallest number of items worth a thread of its own.
    public static func forRanges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let threads = threadCount
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 {
            body(0 ..< count)
            return
        }
        let ranOnPool = WorkerPool.shared.run(chunks: chunks) { c in
            let lo = count * c / chunks
            let hi = count * (c + 1) / chunks
            if lo < hi { body(lo ..< hi) }
        }
        if !ranOnPool {
            for c in 0 ..< chunks {
                let lo = count * c / chunks
                let hi = count * (c + 1) / chunks
                if lo < hi { body(lo ..< hi) }
            }
        }
    }
}

/// Lets a non-Sendable closure or pointer cross into `concurrentPerform`; callers guarantee the
/// chunks touch disjoint memory.
extension Parallel {
    /// Calls `row(r)` for every r in 0 ..< `rows` (rows of `width` elements each) on the worker pool,
    /// one task covering at least `grain` elements: the row loop of the softmax and broadcast kernels.
    @inline(__always)
    public static func forEachRow(_ rows: Int, width: Int, grain: Int, _ row: (Int) -> Void) {
        forRanges(rows, grain: max(1, grain / max(width, 1))) { r in
            for i in r { row(i) }
        }
    }
}

public struct UnsafeSendableBox<T>: @unchecked Sendable {
    public let value: T
    @inlinable public init(_ value: T) { self.value = value }
}
