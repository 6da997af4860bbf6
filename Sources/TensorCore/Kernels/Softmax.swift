// Softmax and log-softmax over the last axis. Legend: R = rows (product of leading axes), V = row length.
// Numerically stable: the row maximum is subtracted before exponentiating.

extension CPU {
    /// y[r, :] = softmax(x[r, :]).
    public static func softmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, R: Int, V: Int) {
        Parallel.forEachRow(R, width: V, grain: 1 << 13) { row in softmaxRow(x + row * V, y + row * V, V) }
    }


    @inline(__always)
    public static func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ V: Int) {
        var m = -Float.infinity
        for j in 0 ..< V { m = Swift.max(m, x[j]) }
        if m == -Float.infinity {  // fully masked row: define as zeros
            for j in 0 ..< V { y[j] = 0 }
            return
        }
        let mv = Vec(repeating: m)
        var acc = Vec()
        var j = 0
        while j < V {
            let w = Swift.min(vecWidth, V - j)
            var e = VMath.exp(VMath.load(x + j, w) - mv)
            if w < vecWidth { for l in w ..< vecWidth { e[l] = 0 } }
            VMath.store(e, y + j, w)
            acc += e
            j += vecWidth
        }
        let inv = 1 / acc.sum()
        for j in 0 ..< V { y[j] *= inv }
    }

    /// y[r, :] = x[r, :] - logsumexp(x[r, :]).
    public static func logSoftmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, R: Int, V: Int) {
        Parallel.forEachRow(R, width: V, grain: 1 << 13) { row in
            let xr = x + row * V, yr = y + row * V
            let lse = rowLogSumExp(xr, V)
            for j in 0 ..< V { yr[j] = xr[j] - lse }
        }
    }

    /// gx = y ⊙ (gy − Σ gy⊙y) for y = softmax(x).
    public static func softmaxBackward(y: UnsafePointer<Float>, gy: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>, R: Int, V: Int) {
        Parallel.forEachRow(R, width: V, grain: 1 << 13) { row in
            let o = row * V
            var dot: Float = 0
            for j in 0 ..< V { dot += gy[o + j] * y[o + j] }
            for j in 0 ..< V { gx[o + j] = y[o + j] * (gy[o + j] - dot) }
        }
    }

    /// gx = gy − softmax(x) Σ gy for y = log_softmax(x).
    public static func logSoftmaxBackward(y: UnsafePointer<Float>, gy: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>, R: Int, V: Int) {
        Parallel.forEachRow(R, width: V, grain: 1 << 13) { row in
            let o = row * V
            var s: Float = 0
            for j in 0 ..< V { s += gy[o + j] }
            var j = 0
            let sv = Vec(repeating: s)
            while j < V {
                let w = Swift.min(vecWidth, V - j)
                let p = VMath.exp(VMath.load(y + o + j, w))
                VMath.store(VMath.load(gy + o + j, w) - p * sv, gx + o + j, w)
                j += vecWidth
            }
        }
    }
}
