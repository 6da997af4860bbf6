// One finite-difference gradient check (or several) for every `Op`, each run with several seeds.
// `GradChecks.table` must cover `Op.allCases`: adding a primitive without a check fails
// `everyOpHasAGradientCheck`. Each case's output node must record the op it claims to check.
import Autograd
import TensorCore
import TestSupport
import Testing

/// One gradient check: inputs from a seed, and the function of those inputs whose VJP is checked.
struct GradCase: Sendable {
    var name: String
    var inputs: @Sendable (UInt64) -> [Tensor]
    var f: @Sendable ([Variable]) -> Variable
    var step: Float = 1e-2
    var atol: Float = 2e-3
    var rtol: Float = 2e-2
}

enum GradChecks {
    static let seeds: [UInt64] = [1, 2, 3]

    /// Shape pairs for broadcasting binary ops: same, bias row, column, general, scalar, outer.
    static let broadcastPairs: [([Int], [Int])] = [
        ([2, 3], [2, 3]), ([2, 3], [3]), ([3], [2, 3]), ([2, 3, 4], [2, 3, 1]), ([2, 3, 1], [2, 3, 4]),
        ([2, 1, 3], [4, 1]), ([], [2, 3]), ([2, 3], []), ([3, 1], [1, 4]), ([2, 3, 4], [1, 3, 1]),
    ]

    static func binary(_ apply: @escaping @Sendable (Variable, Variable) -> Variable,
                       _ gen: @escaping @Sendable ([Int], [Int], UInt64) -> [Tensor]) -> [GradCase] {
        broadcastPairs.map { sa, sb in
            GradCase(name: "\(sa) ∘ \(sb)", inputs: { gen(sa, sb, $0) }, f: { apply($0[0], $0[1]) })
        }
    }

    static func normalPair(_ sa: [Int], _ sb: [Int], _ seed: UInt64) -> [Tensor] {
        [Inputs.normal(sa, seed * 100 + 1), Inputs.normal(sb, seed * 100 + 2)]
    }

    static func unary(_ name: String, positive: Bool = false, awayFromZero: Bool = false,
                      _ apply: @escaping @Sendable (Variable) -> Variable) -> [GradCase] {
        [[3, 7], [5]].map { shape in
            GradCase(name: "\(name) \(shape)", inputs: { seed in
                if positive { return [Inputs.uniform(shape, seed * 100 + 3, 0.5, 2)] }
                if awayFromZero { return [Inputs.awayFromZero(shape, seed * 100 + 3)] }
                return [Inputs.normal(shape, seed * 100 + 3, scale: 1.5)]
            }, f: { apply($0[0]) })
        }
    }

    /// Cases for reductions over each axis of [2, 3, 4], with and without keepDims.
    static func perAxis(_ name: String, distinct: Bool = false,
                        _ apply: @escaping @Sendable (Variable, Int, Bool) -> Variable) -> [GradCase] {
        [(0, false), (1, true), (2, false), (-1, true), (0, true), (1, false)].map { axis, keep in
            GradCase(name: "\(name) axis \(axis) keepDims \(keep)", inputs: { seed in
                [distinct ? Inputs.distinct([2, 3, 4], seed * 100 + 4) : Inputs.normal([2, 3, 4], seed * 100 + 4)]
            }, f: { apply($0[0], axis, keep) })
        }
    }

    struct AttentionShape: Sendable {
        var B: Int, Tq: Int, Tk: Int, Hq: Int, Hkv: Int, D: Int
        var causal = true
        var mask: [Float]? = nil
        var scale: Float? = nil
    }

    static let attentionShapes: [(String, AttentionShape)] = [
        ("causal", AttentionShape(B: 1, Tq: 3, Tk: 3, Hq: 2, Hkv: 2, D: 4)),
        ("GQA Hq4 Hkv2", AttentionShape(B: 1, Tq: 3, Tk: 3, Hq: 4, Hkv: 2, D: 3)),
        ("decoding Tq2 < Tk5", AttentionShape(B: 2, Tq: 2, Tk: 5, Hq: 2, Hkv: 1, D: 3)),
        ("key mask", AttentionShape(B: 2, Tq: 3, Tk: 4, Hq: 4, Hkv: 2, D: 2, mask: [1, 0, 1, 1, 0, 1, 1, 0])),
        ("non-causal, scale 0.7", AttentionShape(B: 1, Tq: 2, Tk: 4, Hq: 2, Hkv: 1, D: 3, causal: false, scale: 0.7)),
    ]

    static var table: [Op: [GradCase]] {
        var t: [Op: [GradCase]] = [:]

        // Binary, broadcasting.
        t[.add] = binary({ $0 + $1 }, normalPair)
        t[.sub] = binary({ $0 - $1 }, normalPair)
        t[.mul] = binary({ $0 * $1 }, normalPair)
        t[.div] = binary({ $0 / $1 }) { sa, sb, seed in
            [Inputs.normal(sa, seed * 100 + 1), Inputs.awayFromZero(sb, seed * 100 + 2, minMagnitude: 0.5)]
        }
        t[.maximum] = binary({ $0.maximum($1) }) { sa, sb, seed in
            [Inputs.quarterGrid(sa, seed * 100 + 1, odd: true), Inputs.quarterGrid(sb, seed * 100 + 2, odd: false)]
        }
        t[.minimum] = binary({ $0.minimum($1) }) { sa, sb, seed in
            [Inputs.quarterGrid(sa, seed * 100 + 1, odd: false), Inputs.quarterGrid(sb, seed * 100 + 2, odd: true)]
        }
        t[.add]! += [GradCase(name: "Variable + Tensor (constant right)", inputs: { [Inputs.normal([2, 3], $0)] },
                              f: { $0[0] + Inputs.normal([3], 99) })]
        t[.mul]! += [GradCase(name: "Tensor * Variable (constant left)", inputs: { [Inputs.normal([2, 3], $0)] },
                              f: { Inputs.normal([2, 1], 98) * $0[0] })]

        // Pointwise.
        t[.neg] = unary("neg") { -$0 }
        t[.exp] = unary("exp") { $0.exp() }
        t[.log] = unary("log", positive: true) { $0.log() }
        t[.sqrt] = unary("sqrt", positive: true) { $0.sqrt() }
        t[.rsqrt] = unary("rsqrt", positive: true) { $0.rsqrt() }
        t[.tanh] = unary("tanh") { $0.tanh() }
        t[.sigmoid] = unary("sigmoid") { $0.sigmoid() }
        t[.relu] = unary("relu", awayFromZero: true) { $0.relu() }
        t[.gelu] = unary("gelu") { $0.gelu() }
        t[.geluErf] = unary("geluErf") { $0.geluErf() }
        t[.silu] = unary("silu") { $0.silu() }
        t[.softplus] = unary("softplus") { $0.softplus() }
        t[.abs] = unary("abs", awayFromZero: true) { $0.abs() }
        t[.square] = unary("square") { $0.squared() }
        t[.reciprocal] = unary("reciprocal", positive: true) { $0.reciprocal() }
        t[.pow] = [2, 3, 0.5, -1.5].map { (p: Float) in
            GradCase(name: "pow \(p)", inputs: { [Inputs.uniform([3, 5], $0, 0.5, 2)] }, f: { $0[0].pow(p) })
        }
        t[.affine] = [
            GradCase(name: "affine(-1.5, 0.3)", inputs: { [Inputs.normal([3, 5], $0)] }, f: { $0[0].affine(scale: -1.5, shift: 0.3) }),
            GradCase(name: "x * 2", inputs: { [Inputs.normal([4], $0)] }, f: { $0[0] * 2 }),
            GradCase(name: "1 - x", inputs: { [Inputs.normal([4], $0)] }, f: { 1 - $0[0] }),
            GradCase(name: "x / 4 + 1", inputs: { [Inputs.normal([4], $0)] }, f: { $0[0] / 4 + 1 }),
        ]
        t[.clamp] = [
            GradCase(name: "clamp [-0.5, 0.7]", inputs: { [Inputs.avoiding([-0.5, 0.7], margin: 0.05, [4, 6], $0)] },
                     f: { $0[0].clamped(min: -0.5, max: 0.7) }),
            GradCase(name: "clamp min 0.1", inputs: { [Inputs.avoiding([0.1], margin: 0.05, [4, 6], $0)] },
                     f: { $0[0].clamped(min: 0.1) }),
            GradCase(name: "clamp max -0.2", inputs: { [Inputs.avoiding([-0.2], margin: 0.05, [4, 6], $0)] },
                     f: { $0[0].clamped(max: -0.2) }),
        ]
        t[.select] = [
            GradCase(name: "same shapes", inputs: { [Inputs.normal([3, 4], $0 * 10), Inputs.normal([3, 4], $0 * 10 + 1)] },
                     f: { Variable.select(Inputs.mask([3, 4], 5), $0[0], $0[1]) }),
            GradCase(name: "condition [2,1,4], a [3,4], b scalar",
                     inputs: { [Inputs.normal([3, 4], $0 * 10), Inputs.normal([], $0 * 10 + 1)] },
                     f: { Variable.select(Inputs.mask([2, 1, 4], 6), $0[0], $0[1]) }),
            GradCase(name: "condition [4], a [2,1], b [3,1,4]",
                     inputs: { [Inputs.normal([2, 1], $0 * 10), Inputs.normal([3, 1, 4], $0 * 10 + 1)] },
                     f: { Variable.select(Tensor([1, 0, 0, 1]), $0[0], $0[1]) }),
        ]

        // Reductions.
        t[.sum] = perAxis("sum") { $0.sum(axis: $1, keepDims: $2) }
        t[.mean] = perAxis("mean") { $0.mean(axis: $1, keepDims: $2) }
        t[.max] = perAxis("max", distinct: true) { $0.max(axis: $1, keepDims: $2) }
        t[.logSumExp] = perAxis("logSumExp") { $0.logSumExp(axis: $1, keepDims: $2) }
        t[.sumAll] = [[2, 3, 4], [5], []].map { shape in
            GradCase(name: "sum \(shape)", inputs: { [Inputs.normal(shape, $0)] }, f: { $0[0].sum() })
        }
        t[.meanAll] = [[2, 3, 4], [5], []].map { shape in
            GradCase(name: "mean \(shape)", inputs: { [Inputs.normal(shape, $0)] }, f: { $0[0].mean() })
        }

        // Softmax family and scans.
        t[.softmax] = [[2, 3, 5], [4], [1, 1]].map { shape in
            GradCase(name: "softmax \(shape)", inputs: { [Inputs.normal(shape, $0, scale: 2)] }, f: { $0[0].softmax() })
        }
        t[.logSoftmax] = [[2, 3, 5], [4], [1, 1]].map { shape in
            GradCase(name: "logSoftmax \(shape)", inputs: { [Inputs.normal(shape, $0, scale: 2)] }, f: { $0[0].logSoftmax() })
        }
        t[.cumulativeSum] = [0, 1, 2, -1].map { axis in
            GradCase(name: "cumulativeSum axis \(axis)", inputs: { [Inputs.normal([2, 3, 4], $0)] }, f: { $0[0].cumulativeSum(axis: axis) })
        }

        // Indexing.
        t[.gatherLast] = [
            GradCase(name: "[2,3,5] by [2,3]", inputs: { [Inputs.normal([2, 3, 5], $0)] },
                     f: { $0[0].gatherLast(IndexTensor(shape: [2, 3], data: [4, 0, 4, 2, 2, 1])) }),
            GradCase(name: "[4,6] by [4]", inputs: { [Inputs.normal([4, 6], $0)] },
                     f: { $0[0].gatherLast(IndexTensor([5, 5, 0, 3])) }),
        ]
        t[.embedding] = [
            GradCase(name: "table [6,4], ids [2,3] with repeats", inputs: { [Inputs.normal([6, 4], $0)] },
                     f: { Variable.embedding($0[0], ids: IndexTensor(shape: [2, 3], data: [5, 0, 5, 2, 5, 0])) }),
            GradCase(name: "table [3,2], ids [5]", inputs: { [Inputs.normal([3, 2], $0)] },
                     f: { Variable.embedding($0[0], ids: IndexTensor([2, 2, 1, 0, 2])) }),
        ]

        // Layout.
        t[.reshape] = [[6, 4], [-1], [4, 1, 6]].map { shape in
            GradCase(name: "reshape [2,3,4] → \(shape)", inputs: { [Inputs.normal([2, 3, 4], $0)] }, f: { $0[0].reshaped(shape) })
        }
        t[.permute] = [
            GradCase(name: "[2,0,1]", inputs: { [Inputs.normal([2, 3, 4], $0)] }, f: { $0[0].permuted([2, 0, 1]) }),
            GradCase(name: "[1,2,0]", inputs: { [Inputs.normal([2, 3, 4], $0)] }, f: { $0[0].permuted([1, 2, 0]) }),
            GradCase(name: "rank 4 [0,2,1,3]", inputs: { [Inputs.normal([2, 3, 2, 3], $0)] }, f: { $0[0].permuted([0, 2, 1, 3]) }),
            GradCase(name: "transposed()", inputs: { [Inputs.normal([2, 3, 4], $0)] }, f: { $0[0].transposed() }),
        ]
        t[.concatenate] = [0, 1, 2, -1].map { axis in
            let a = axis < 0 ? axis + 3 : axis
            let shapes = [1, 3, 2].map { s -> [Int] in var sh = [2, 3, 4]; sh[a] = s; return sh }
            return GradCase(name: "axis \(axis)", inputs: { seed in shapes.enumerated().map { Inputs.normal($1, seed * 10 + UInt64($0)) } },
                            f: { Variable.concatenate($0, axis: axis) })
        }
        t[.slice] = [(0, 1 ..< 3), (1, 0 ..< 2), (2, 2 ..< 5), (2, 0 ..< 5), (-1, 1 ..< 4)].map { axis, range in
            GradCase(name: "axis \(axis) \(range)", inputs: { [Inputs.normal([4, 3, 5], $0)] }, f: { $0[0].slice(axis: axis, range) })
        }

        // Products.
        t[.matmul] = [
            ("[3,4]·[4,5]", [3, 4], [4, 5], false), ("[3,4]·[5,4]ᵀ", [3, 4], [5, 4], true),
            ("shared [2,3,4]·[4,5]", [2, 3, 4], [4, 5], false), ("shared [2,3,4]·[5,4]ᵀ", [2, 3, 4], [5, 4], true),
            ("batched [2,3,4]·[2,4,5]", [2, 3, 4], [2, 4, 5], false), ("batched [2,3,4]·[2,5,4]ᵀ", [2, 3, 4], [2, 5, 4], true),
            ("4-D [2,2,3,4]·[2,2,4,3]", [2, 2, 3, 4], [2, 2, 4, 3], false),
            ("4-D shared [2,2,3,4]·[3,4]ᵀ", [2, 2, 3, 4], [3, 4], true),
        ].map { name, sa, sb, tb in
            GradCase(name: name, inputs: { [Inputs.normal(sa, $0 * 10), Inputs.normal(sb, $0 * 10 + 1)] },
                     f: { $0[0].matmul($0[1], transposeOther: tb) })
        }

        // Fused kernels.
        t[.layerNorm] = [
            GradCase(name: "with bias", inputs: { [Inputs.normal([2, 3, 6], $0 * 10, scale: 2), Inputs.normal([6], $0 * 10 + 1),
                                                    Inputs.normal([6], $0 * 10 + 2)] },
                     f: { Functional.layerNorm($0[0], weight: $0[1], bias: $0[2]) }),
            GradCase(name: "without bias", inputs: { [Inputs.normal([4, 5], $0 * 10, scale: 2), Inputs.normal([5], $0 * 10 + 1)] },
                     f: { Functional.layerNorm($0[0], weight: $0[1], bias: nil) }),
        ]
        t[.rmsNorm] = [
            GradCase(name: "[2,3,6]", inputs: { [Inputs.normal([2, 3, 6], $0 * 10), Inputs.normal([6], $0 * 10 + 1)] },
                     f: { Functional.rmsNorm($0[0], weight: $0[1]) }),
        ]
        t[.attention] = attentionShapes.map { name, s in
            GradCase(name: name, inputs: { seed in
                [Inputs.normal([s.B, s.Tq, s.Hq, s.D], seed * 10), Inputs.normal([s.B, s.Tk, s.Hkv, s.D], seed * 10 + 1),
                 Inputs.normal([s.B, s.Tk, s.Hkv, s.D], seed * 10 + 2)]
            }, f: {
                Functional.attention(q: $0[0], k: $0[1], v: $0[2], scale: s.scale, causal: s.causal,
                                     keyMask: s.mask.map { Tensor(shape: [s.B, s.Tk], data: $0) })
            })
        } + [
            GradCase(name: "packed qkv, GQA, key mask", inputs: { [Inputs.normal([2, 3, (2 + 2 * 1) * 3], $0 * 10)] },
                     f: { Functional.attention(packed: $0[0], heads: 2, kvHeads: 1, keyMask: Tensor(shape: [2, 3], data: [1, 1, 0, 1, 0, 1])) }),
        ]
        t[.rope] = RoPEConvention.allCases.flatMap { conv in
            [(6, nil, [0, 2, 5], Float(10_000)), (6, 4, [1, 4, 9], Float(10_000)), (6, 2, [3, 7, 8], Float(100))].map { D, R, pos, theta in
                GradCase(name: "\(conv) D\(D) R\(R.map(String.init) ?? "D") θ\(theta)", inputs: { [Inputs.normal([2, 3, 2, D], $0)] },
                         f: { Functional.rope($0[0], positions: pos, rotaryDimensions: R, theta: theta, convention: conv) })
            }
        }
        t[.rope]! += RoPEConvention.allCases.map { conv in
            GradCase(name: "\(conv) per-row positions (left padding)", inputs: { [Inputs.normal([2, 3, 2, 4], $0)] },
                     f: { Functional.rope($0[0], positions: [0, 1, 2, 0, 0, 7], convention: conv) })
        }
        // Scaled frequencies and an amplitude on cos/sin (YaRN, LongRoPE).
        t[.rope]!.append(GradCase(name: "frequency scale and amplitude", inputs: { [Inputs.normal([2, 3, 2, 4], $0)] },
                                  f: { Functional.rope($0[0], positions: [1, 5, 9], theta: 100, frequencyScale: [0.5, 0.25], amplitude: 1.3) }))
        t[.tokenLogProbs] = [
            GradCase(name: "[2,3,5] with mask and padding labels", inputs: { [Inputs.normal([2, 3, 5], $0, scale: 2)] },
                     f: { Functional.tokenLogProbs(logits: $0[0], labels: IndexTensor(shape: [2, 3], data: [1, -100, 4, 0, 0, -100]),
                                                   mask: Tensor(shape: [2, 3], data: [1, 0, 1, 1, 1, 0])) }),
            GradCase(name: "[4,6] no mask", inputs: { [Inputs.normal([4, 6], $0, scale: 2)] },
                     f: { Functional.tokenLogProbs(logits: $0[0], labels: IndexTensor([5, 0, 3, 3])) }),
        ]
        return t
    }
}

@Suite("Gradient checks")
struct GradCheckTests {
    @Test("Every Op has a gradient check")
    func everyOpHasAGradientCheck() {
        let table = GradChecks.table
        let missing = Op.allCases.filter { (table[$0] ?? []).isEmpty }
        #expect(missing.isEmpty, "ops without a gradient check: \(missing)")
    }

    @Test("Central differences agree with the VJP", arguments: Op.allCases)
    func gradientCheck(_ op: Op) throws {
        let cases = try #require(GradChecks.table[op], "no gradient check for \(op)")
        for c in cases {
            for seed in GradChecks.seeds {
                let inputs = c.inputs(seed)
                // The case really exercises `op`: the output node records it.
                let probe = c.f(inputs.map { Variable($0, requiresGrad: true) })
                #expect(probe.node?.op == op, "\(op) \(c.name): output node records \(String(describing: probe.node?.op))")
                let result = gradcheck(inputs, step: c.step, atol: c.atol, rtol: c.rtol, seed: seed) { c.f($0) }
                #expect(result.ok, "\(op) \(c.name) seed \(seed): \(result)")
            }
        }
    }

    @Test("tokenLogProbs: masked rows get exactly zero gradient and zero value")
    func maskedRowsGetZeroGradient() {
        let logits = Variable(Inputs.normal([2, 3, 5], 11, scale: 2), requiresGrad: true)
        let mask = Tensor(shape: [2, 3], data: [1, 0, 1, 0, 1, 0])
        let labels = IndexTensor(shape: [2, 3], data: [1, -100, 4, 7, 0, -1])  // out of range only where masked
        let lp = Functional.tokenLogProbs(logits: logits, labels: labels, mask: mask)
        lp.backward(seed: Inputs.normal([2, 3], 12))
        let g = logits.grad!
        for row in 0 ..< 6 {
            let gradRow = Array(g.scalars[row * 5 ..< (row + 1) * 5])
            if mask[flat: row] == 0 {
                #expect(gradRow.allSatisfy { $0 == 0 }, "masked row \(row): \(gradRow)")
                #expect(lp.value[flat: row] == 0, "masked row \(row) value")
            } else {
                #expect(gradRow.contains { $0 != 0 }, "unmasked row \(row) has a gradient")
                #expect(Swift.abs(gradRow.reduce(0, +)) < 1e-5, "row \(row): gradient of log p sums to zero")
            }
        }
        // crossEntropy averages over unmasked tokens only.
        let ce = Functional.crossEntropy(logits: Variable(logits.value), labels: labels, mask: mask)
        let expected = -(0 ..< 6).filter { mask[flat: $0] != 0 }.map { lp.value[flat: $0] }.reduce(0, +) / 3
        #expect(Swift.abs(ce.scalar - expected) < 1e-6)
    }
}
