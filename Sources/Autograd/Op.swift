// The closed list of differentiable primitives. Each case has exactly one VJP rule (in the
// `Variable+*.swift` files) and one gradient check in AutogradTests, which iterates `Op.allCases`
// and fails for any case without a check.

public enum Op: String, CaseIterable, Sendable {
    // Binary, broadcasting
    case add, sub, mul, div, maximum, minimum
    // Pointwise
    case neg, exp, log, sqrt, rsqrt, tanh, sigmoid, relu, gelu, geluErf, silu, softplus, abs, square, reciprocal
    case pow, affine, clamp, select
    // Reductions
    case sum, sumAll, mean, meanAll, max, logSumExp
    // Softmax family and scans
    case softmax, logSoftmax, cumulativeSum
    // Indexing
    case gatherLast, embedding
    // Layout
    case reshape, permute, concatenate, slice
    // Products
    case matmul
    // Fused kernels
    case layerNorm, rmsNorm, attention, rope, tokenLogProbs
}
