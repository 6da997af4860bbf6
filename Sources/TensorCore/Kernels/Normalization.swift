// Layer norm and RMS norm with hand-written backward passes (llm.c style: the forward saves
// per-row statistics that the backward needs). Legend: R = rows (B·T), C = channels.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-row statistics saved by a normalisation forward pass.
public struct NormStatistics: Sendable {
    /// Row means [R] (layer norm only; empty for RMS norm).
    public var mean: Tensor
    /// Reciprocal standard deviation (or RMS) per row, [R].
    public var rstd: Tensor
}

extension CPU {
    /// Layer norm over the last axis (Ba et al. 2016, arXiv:1607.06450):
    /// y = (x − μ)/√(σ² + ε) · w + b.
    public static func layerNormForward(_ x: Tensor, weight: Tensor, bias: Tensor?, eps: Float) -> (Tensor, NormStatistics) {
        let C = x.shape.last ?? 1, R = x.count / Swift.max(C, 1)
        precondition(weight.shape == [C] && (bias == nil || bias!.shape == [C]), "layerNorm: x \(x.shape), weight \(weight.shape)")
        let y = Tensor(uninitializedShape: x.shape)
        let mean = Tensor(uninitializedShape: [R]), rstd = Tensor(uninitializedShape: [R])
        let box = UnsafeSendableBox((x.unsafePointer, weight.unsafePointer, bias?.unsafePointer, y.unsafeMutablePointer,
                                     mean.unsafeMutablePointer, rstd.unsafeMutablePointer))
        Parallel.forRanges(R, grain: Swift.max(1, 8192 / Swift.max(C, 1))) { r in
            let (x, w, b, y, mp, rp) = box.value
            for row in r {
                let xr = x + row * C, yr = y + row * C
                var s: Float = 0
                for c in 0 ..< C { s += xr[c] }
                let m = s / Float(C)
                var v: Float = 0
                for c in 0 ..< C { let d = xr[c] - m; v += d * d }
                let rs = 1 / sqrtf(v / Float(C) + eps)
                if let b {
                    for c in 0 ..< C { yr[c] = (xr[c] - m) * rs * w[c] + b[c] }
                } else {
                    for c in 0 ..< C { yr[c] = (xr[c] - m) * rs * w[c] }
                }
                mp[row] = m
                rp[row] = rs
            }
        }
        return (y, NormStatistics(mean: mean, rstd: rstd))
    }

    /// Gradients of layer norm: (dx, dw, db).
    public static func layerNormBackward(_ dy: Tensor, x: Tensor, weight: Tensor, stats: NormStatistics) -> (Tensor, Tensor, Tensor) {
        let C = x.shape.last ?? 1, R = x.count / Swift.max(C, 1)
        let dx = Tensor(uninitializedShape: x.shape)
        let threads = Parallel.threadCount
        let partial = Tensor(shape: [threads, 2, C], repeating: 0)  // per-chunk dw, db
        let box = UnsafeSendableBox((dy.unsafePointer, x.unsafePointer, weight.unsafePointer, stats.mean.unsafePointer,
                                     stats.rstd.unsafePointer, dx.unsafeMutablePointer, partial.unsafeMutablePointer))
        let chunks = Swift.min(threads, Swift.max(1, R))
        Parallel.forRanges(chunks) { cr in
            let (dy, x, w, mp, rp, dx, part) = box.value
            for chunk in cr {
                let lo = R * chunk / chunks, hi = R * (chunk + 1) / chunks
                let dw = part + chunk * 2 * C, db = dw + C
                for row in lo ..< hi {
                    let xr = x + row * C, gr = dy + row * C, out = dx + row * C
                    let m = mp[row], rs = rp[row]
                    var sumG: Float = 0, sumGX: Float = 0
                    for c in 0 ..< C {
                        let xh = (xr[c] - m) * rs
                        let g = gr[c] * w[c]
                        sumG += g
                        sumGX += g * xh
                        dw[c] += gr[c] * xh
                        db[c] += gr[c]
                    }
                    let invC = 1 / Float(C)
                    for c in 0 ..< C {
                        let xh = (xr[c] - m) * rs
                        out[c] = rs * (gr[c] * w[c] - sumG * invC - xh * sumGX * invC)
                    }
                }
            }
        }
        let p = partial.sum(axis: 0)  // [2, C]
        return (dx, p.row(0), p.row(1))
    }

    /// RMS norm over the last axis (Zhang & Sennrich 2019, arXiv:1910.07467): y = x/√(mean(x²) + ε) · w.
    public static func rmsNormForward(_ x: Tensor, weight: Tensor, eps: Float) -> (Tensor, NormStatistics) {
        let C = x.shape.last ?? 1, R = x.count / Swift.max(C, 1)
        precondition(weight.shape == [C], "rmsNorm: x \(x.shape), weight \(weight.shape)")
        let y = Tensor(uninitializedShape: x.shape)
        let rstd = Tensor(uninitializedShape: [R])
        let box = UnsafeSendableBox((x.unsafePointer, weight.unsafePointer, y.unsafeMutablePointer, rstd.unsafeMutablePointer))
        Parallel.forRanges(R, grain: Swift.max(1, 8192 / Swift.max(C, 1))) { r in
            let (x, w, y, rp) = box.value
            for row in r {
                let xr = x + row * C, yr = y + row * C
                var ss: Float = 0
                for c in 0 ..< C { ss += xr[c] * xr[c] }
                let rs = 1 / sqrtf(ss / Float(C) + eps)
                for c in 0 ..< C { yr[c] = xr[c] * rs * w[c] }
                rp[row] = rs
            }
        }
        return (y, NormStatistics(mean: Tensor(shape: [0]), rstd: rstd))
    }

    /// Gradients of RMS norm: (dx, dw).
    public static func rmsNormBackward(_ dy: Tensor, x: Tensor, weight: Tensor, stats: NormStatistics) -> (Tensor, Tensor) {
        let C = x.shape.last ?? 1, R = x.count / Swift.max(C, 1)
        let dx = Tensor(uninitializedShape: x.shape)
        let threads = Parallel.threadCount
        let partial = Tensor(shape: [threads, C], repeating: 0)
        let chunks = Swift.min(threads, Swift.max(1, R))
        let box = UnsafeSendableBox((dy.unsafePointer, x.unsafePointer, weight.unsafePointer, stats.rstd.unsafePointer,
                                     dx.unsafeMutablePointer, partial.unsafeMutablePointer))
        Parallel.forRanges(chunks) { cr in
            let (dy, x, w, rp, dx, part) = box.value
            for chunk in cr {
                let lo = R * chunk / chunks, hi = R * (chunk + 1) / chunks
                let dw = part + chunk * C
                for row in lo ..< hi {
                    let xr = x + row * C, gr = dy + row * C, out = dx + row * C
                    let rs = rp[row]
                    var dot: Float = 0
                    for c in 0 ..< C {
                        dot += gr[c] * w[c] * xr[c]
                        dw[c] += gr[c] * xr[c] * rs
                    }
                    let k = dot * rs * rs * rs / Float(C)
                    for c in 0 ..< C { out[c] = rs * gr[c] * w[c] - xr[c] * k }
                }
            }
        }
        return (dx, partial.sum(axis: 0))
    }
}
