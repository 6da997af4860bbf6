// Reductions over one axis. A tensor is viewed as [outer, n, inner] around the reduced axis;
// inner == 1 (the last axis) is the common, contiguous case.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ReduceOp: String, Sendable, CaseIterable { case sum, max, min, logSumExp }

extension CPU {
    /// out[outer, inner] = reduce_j x[outer, j, inner].
    public static func reduce(_ op: ReduceOp, _ x: UnsafePointer<Float>, outer: Int, n: Int, inner: Int,
                              _ y: UnsafeMutablePointer<Float>) {
        let box = UnsafeSendableBox((x, y))
        let work = outer * n * inner
        if inner == 1 {
            Parallel.forRanges(outer, grain: max(1, (1 << 14) / max(n, 1))) { r in
                let (x, y) = box.value
                for o in r {
                    let row = x + o * n
                    switch op {
                    case .sum:
                        var acc: Float = 0
                        for j in 0 ..< n { acc += row[j] }
                        y[o] = acc
                    case .max:
                        var m = -Float.infinity
                        for j in 0 ..< n { m = Swift.max(m, row[j]) }
                        y[o] = m
                    case .min:
                        var m = Float.infinity
                        for j in 0 ..< n { m = Swift.min(m, row[j]) }
                        y[o] = m
                    case .logSumExp:
                        y[o] = rowLogSumExp(row, n)
                    }
                }
            }
            return
        }
        // Strided: accumulate rows of length `inner`.
        Parallel.forRanges(outer * inner, grain: max(1, (1 << 14) / max(n, 1))) { r in
            let (x, y) = box.value
            // Iterate per outer block to keep inner loops contiguous.
            var k = r.lowerBound
            while k < r.upperBound {
                let o = k / inner, i0 = k % inner
                let i1 = Swift.min(inner, i0 + (r.upperBound - k))
                let base = x + o * n * inner
                let dst = y + o * inner
                switch op {
                case .sum:
                    for i in i0 ..< i1 { dst[i] = 0 }
                    for j in 0 ..< n { let src = base + j * inner; for i in i0 ..< i1 { dst[i] += src[i] } }
                case .max:
                    for i in i0 ..< i1 { dst[i] = -Float.infinity }
                    for j in 0 ..< n { let src = base + j * inner; for i in i0 ..< i1 { dst[i] = Swift.max(dst[i], src[i]) } }
                case .min:
                    for i in i0 ..< i1 { dst[i] = Float.infinity }
                    for j in 0 ..< n { let src = base + j * inner; for i in i0 ..< i1 { dst[i] = Swift.min(dst[i], src[i]) } }
                case .logSumExp:
                    for i in i0 ..< i1 {
                        var m = -Float.infinity
                        for j in 0 ..< n { m = Swift.max(m, base[j * inner + i]) }
                        if m == -Float.infinity { dst[i] = m; continue }
                        var s: Float = 0
                        for j in 0 ..< n { s += expf(base[j * inner + i] - m) }
                        dst[i] = m + logf(s)
                    }
                }
                k += i1 - i0
            }
        }
        _ = work
    }

    /// log Σ exp(row) computed stably (max subtracted first).
    @inline(__always)
    public static func rowLogSumExp(_ row: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity
        for j in 0 ..< n { m = Swift.max(m, row[j]) }
        if m == -Float.infinity { return m }
        var acc = Vec()
        let mv = Vec(repeating: m)
        var j = 0
        while j < n {
            let w = Swift.min(vecWidth, n - j)
            var e = VMath.exp(VMath.load(row + j, w) - mv)
            if w < vecWidth { for l in w ..< vecWidth { e[l] = 0 } }
            acc += e
            j += vecWidth
        }
        return m + logf(acc.sum())
    }

    /// Index of the largest element in each row of length n (first one on ties).
    public static func argmaxRows(_ x: UnsafePointer<Float>, rows: Int, n: Int) -> [Int32] {
        var out = [Int32](repeating: 0, count: rows)
        for r in 0 ..< rows {
            let row = x + r * n
            var best = 0
            var bv = row[0]
            for j in 1 ..< max(n, 1) where row[j] > bv || (bv.isNaN && !row[j].isNaN) {
                bv = row[j]; best = j
            }
            out[r] = Int32(best)
        }
        return out
    }
}
