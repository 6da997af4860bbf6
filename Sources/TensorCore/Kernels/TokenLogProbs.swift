// Fused log-softmax + gather + mask: the per-token log-probability of each label,
//   logp[n] = x[n, label[n]] − logsumexp(x[n, :])       (0 where masked out),
// which is the quantity every objective in TokenAlign starts from (NLL = −logp for SFT; summed
// differences for the DPO family). Legend: N = rows (B·T), V = vocabulary.
// The forward keeps only the row log-sum-exp [N]; the backward forms softmax once, directly into the
// logits gradient: dx[n, :] = g[n] · (onehot(label) − softmax(x[n, :])). Probabilities are never
// materialised as a separate [N, V] tensor.

public struct TokenLogProbContext: Sendable {
    public var logSumExp: Tensor  // [N]
}

extension CPU {
    /// - Parameters:
    ///   - logits: [N, V]; labels: [N]; mask: optional [N] (0 drops the row: output 0, gradient 0).
    ///     Labels outside 0..<V are allowed only where masked (e.g. -100 padding).
    public static func tokenLogProbsForward(logits: Tensor, labels: IndexTensor, mask: Tensor?) -> (Tensor, TokenLogProbContext) {
        let V = logits.shape.last ?? 1, N = logits.count / Swift.max(V, 1)
        precondition(labels.count == N, "tokenLogProbs: \(labels.count) labels for \(N) rows of \(logits.shape)")
        if let m = mask { precondition(m.count == N, "tokenLogProbs: mask \(m.shape) for \(N) rows") }
        let out = Tensor(uninitializedShape: [N])
        let lse = Tensor(uninitializedShape: [N])
        labels.data.withUnsafeBufferPointer { lp in
            let box = UnsafeSendableBox((logits.unsafePointer, lp.baseAddress!, mask?.unsafePointer,
                                         out.unsafeMutablePointer, lse.unsafeMutablePointer))
            Parallel.forRanges(N, grain: Swift.max(1, 8192 / Swift.max(V, 1))) { r in
                let (x, lab, m, o, l) = box.value
                for n in r {
                    if let m, m[n] == 0 { o[n] = 0; l[n] = 0; continue }
                    let k = Int(lab[n])
                    precondition(k >= 0 && k < V, "tokenLogProbs: label \(k) out of range 0..<\(V) at row \(n) (mask it out)")
                    let row = x + n * V
                    let z = rowLogSumExp(row, V)
                    l[n] = z
                    o[n] = row[k] - z
                }
            }
        }
        return (out, TokenLogProbContext(logSumExp: lse))
    }

    /// dlogits for upstream g [N].
    public static func tokenLogProbsBackward(_ g: Tensor, logits: Tensor, labels: IndexTensor, mask: Tensor?,
                                             context: TokenLogProbContext) -> Tensor {
        let V = logits.shape.last ?? 1, N = logits.count / Swift.max(V, 1)
        let dx = Tensor(uninitializedShape: logits.shape)
        labels.data.withUnsafeBufferPointer { lp in
            let box = UnsafeSendableBox((logits.unsafePointer, lp.baseAddress!, mask?.unsafePointer, g.unsafePointer,
                                         context.logSumExp.unsafePointer, dx.unsafeMutablePointer))
            Parallel.forRanges(N, grain: Swift.max(1, 8192 / Swift.max(V, 1))) { r in
                let (x, lab, m, gp, l, d) = box.value
                for n in r {
                    let dr = d + n * V
                    let gn = gp[n]
                    if let m, m[n] == 0 { dr.update(repeating: 0, count: V); continue }
                    if gn == 0 { dr.update(repeating: 0, count: V); continue }
                    let row = x + n * V
                    let z = Vec(repeating: l[n]), gv = Vec(repeating: -gn)
                    var j = 0
                    while j < V {
                        let w = Swift.min(vecWidth, V - j)
                        VMath.store(gv * VMath.exp(VMath.load(row + j, w) - z), dr + j, w)
                        j += vecWidth
                    }
                    dr[Int(lab[n])] += gn
                }
            }
        }
        return dx
    }
}
