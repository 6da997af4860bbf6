// CLUE, verification from experience by hidden-state clustering (Liang et al., arXiv 2510.01591): no
// training. Each past trajectory is summarised by its activation delta Δh ∈ R^{L×C} (the answer's
// last state minus the start state, layer by layer, `HiddenStateFeatures`); the verified successes
// and failures give two centroids, V⁺ = mean Δh of correct answers and V⁻ = mean Δh of wrong ones.
// A new answer's distance to a centroid is the per-layer Euclidean distance averaged over layers,
//   d(Δh, V) = (1/L) Σ_l ‖Δh^l − V^l‖₂,
// and the paper's rule calls it correct when it is nearer V⁺ than V⁻. As a score for best-of-N and
// weighted voting we use d⁻ / (d⁺ + d⁻) ∈ [0, 1]: above ½ exactly when the rule says correct, larger
// the nearer the success centroid is relative to the failure one, and positive, so it can weight
// votes (a difference d⁻ − d⁺ ranks almost alike but may be negative; σ of it saturates).

/// The success and failure centroids of one policy's rollouts, L × C each.
public struct CLUECentroids: Sendable, Equatable {
    public let layers: Int
    public let hiddenSize: Int
    /// V⁺ and V⁻, layer-major, L·C numbers each.
    public var success: [Float]
    public var failure: [Float]

    public init(layers: Int, hiddenSize: Int, success: [Float], failure: [Float]) {
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.success = success
        self.failure = failure
    }

    /// The centroids of labelled deltas; throws unless both classes occur.
    public static func fit(deltas: [[Float]], labels: [Float], layers: Int, hiddenSize: Int) throws -> CLUECentroids {
        let D = layers * hiddenSize
        var sums = [[Float](repeating: 0, count: D), [Float](repeating: 0, count: D)]
        var counts = [0, 0]
        for (d, y) in zip(deltas, labels) {
            let k = y > 0.5 ? 0 : 1
            counts[k] += 1
            sums[k].withUnsafeMutableBufferPointer { s in
                d.withUnsafeBufferPointer { x in for j in 0 ..< D { s[j] += x[j] } }
            }
        }
        guard counts[0] > 0 && counts[1] > 0 else {
            throw SearchError.invalidSetting("clue needs both correct and wrong rollouts to form its centroids; got \(counts[0]) correct "
                + "and \(counts[1]) wrong (sample more prompts or rollouts)")
        }
        let centroids = (0 ..< 2).map { k in sums[k].map { $0 / Float(counts[k]) } }
        return CLUECentroids(layers: layers, hiddenSize: hiddenSize, success: centroids[0], failure: centroids[1])
    }

    /// d(Δh, V): the layer-averaged Euclidean distance.
    public func distance(_ delta: [Float], _ centroid: [Float]) -> Float {
        precondition(delta.count == layers * hiddenSize && centroid.count == delta.count)
        var total: Float = 0
        delta.withUnsafeBufferPointer { x in
            centroid.withUnsafeBufferPointer { v in
                for l in 0 ..< layers {
                    var s: Float = 0
                    for c in l * hiddenSize ..< (l + 1) * hiddenSize {
                        let e = x[c] - v[c]
                        s += e * e
                    }
                    total += s.squareRoot()
                }
            }
        }
        return total / Float(layers)
    }

    /// d⁻ / (d⁺ + d⁻); ½ when both distances are 0.
    public func score(_ delta: [Float]) -> Float {
        let dPlus = distance(delta, success), dMinus = distance(delta, failure)
        return dPlus + dMinus > 0 ? dMinus / (dPlus + dMinus) : 0.5
    }
}
