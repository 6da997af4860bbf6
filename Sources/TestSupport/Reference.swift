// Naive reference kernels that tests compare the engine against (llm.c's `*_naive` pattern).
import TensorCore

public enum Reference {
    /// C = A·B with plain loops in Double. A [M, K], B [K, N].
    public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        let M = a.shape[0], K = a.shape[1], N = b.shape[1]
        var out = [Float](repeating: 0, count: M * N)
        let ap = a.scalars, bp = b.scalars
        for i in 0 ..< M {
            for j in 0 ..< N {
                var s = 0.0
                for k in 0 ..< K { s += Double(ap[i * K + k]) * Double(bp[k * N + j]) }
                out[i * N + j] = Float(s)
            }
        }
        return Tensor(shape: [M, N], data: out)
    }
}

/// A random tensor for tests.
public func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var g = RandomGenerator(seed: seed)
    return Tensor.randomNormal(shape, std: scale, using: &g)
}
