// SmolLM2-135M-Instruct (Q4_1 GGUF) with `--weights keep`: the blocks as stored, products on them
// (docs/design/quantized.md), against the float32 path that dequantises the same blocks.
import Autograd
import Decoding
import Foundation
import Models
import NN
import TensorCore
import Testing

@Suite(.serialized, .enabled(if: smolLM2Present, "needs .assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf (run scripts/fetch-assets.sh)"))
struct SmolLM2QuantizedTests {
    nonisolated(unsafe) static let kept: PretrainedModel? = try? PretrainedModel.load(path: smolLM2Path.path, weights: .keep)

    /// Every matrix stays in its block type, and dequantising a kept matrix gives exactly the float32
    /// path's weight (so the q/k row un-permutation moved whole rows of blocks correctly).
    @Test func keepHoldsTheFileBlocksExactly() throws {
        let kept = try #require(Self.kept), float = try #require(SmolLM2Tests.model)
        let report = kept.weightReport
        // 30 layers × 7 projections, plus the (tied) token embedding.
        let matrices: Int = report.quantized.values.reduce(0, +)
        #expect(matrices == 211, "30 layers × 7 projections + the embedding: \(report.summary)")
        #expect(report.note == nil)
        let k = try #require(kept.model as? LlamaForCausalLM)
        for (keptLinear, floatLinear) in [(k.model.layers[3].selfAttn.qProj, float.model.layers[3].selfAttn.qProj),
                                          (k.model.layers[3].selfAttn.kProj, float.model.layers[3].selfAttn.kProj),
                                          (k.model.layers[29].mlp.downProj, float.model.layers[29].mlp.downProj)] {
            let q = try #require(keptLinear.quantizedWeight)
            #expect(q.dequantized().scalars == floatLinear.weight.value.scalars)
            #expect(keptLinear.weight.value.count == 0)
        }
        let table = try #require(k.model.embedTokens.quantizedWeight)
        #expect(table.dequantized().scalars == float.model.embedTokens.weight.value.scalars)
    }

    /// Greedy continuations of a fixed prompt set with the kept blocks against float32. The two paths
    /// share the weights; they differ only by the 8-bit rounding of activations before each product.
    /// Where a continuation diverges, the float32 model's margin between its choice and the kept
    /// model's choice at that step must be below the largest logit change the rounding made there
    /// (the divergence is a near tie that the rounding flips, not a wrong weight), and that change must
    /// stay small against the logits' spread.
    @Test func greedyGenerationsAgreeOrDivergeAtANearTie() throws {
        let kept = try #require(Self.kept), float = try #require(SmolLM2Tests.model)
        let tokenizer = try #require(kept.tokenizer)
        let prompts = ["The capital of France is", "def fibonacci(n):", "Once upon a time, in a small village,",
                       "The three primary colors are", "Water boils at a temperature of", "My favourite book is"]
        let steps = 24
        var identical = 0
        for text in prompts {
            let ids = tokenizer.encode(text)
            let params = GenerationParameters(maxNewTokens: steps)
            let a = Generator.generate(model: float, prompts: [ids], parameters: params)[0].tokens
            let b = Generator.generate(model: kept.model, prompts: [ids], parameters: params)[0].tokens
            guard let i = (0 ..< min(a.count, b.count)).first(where: { a[$0] != b[$0] }) else {
                #expect(a == b, "\(text): lengths \(a.count) vs \(b.count)")
                identical += 1
                continue
            }
            let prefix = ids + a[..<i]
            let input = IndexTensor(shape: [1, prefix.count], data: prefix.map { Int32($0) })
            let lf = withoutGradients { float(input) }.value.reshaped([prefix.count, -1]).row(prefix.count - 1)
            let lk = withoutGradients { kept.model(input) }.value.reshaped([prefix.count, -1]).row(prefix.count - 1)
            let delta = zip(lf.scalars, lk.scalars).map { abs($0 - $1) }.max() ?? 0
            let margin = lf[a[i]] - lf[b[i]]
            let spread = (lf.scalars.max() ?? 0) - (lf.scalars.min() ?? 0)
            print("SmolLM2 keep vs f32: '\(text)' diverges at new token \(i): f32 \(a[i]) vs keep \(b[i]), f32 margin \(margin), max |Δlogit| \(delta), spread \(spread)")
            #expect(margin >= 0 && margin <= 2 * delta, "'\(text)' token \(i): margin \(margin), max |Δlogit| \(delta)")
            #expect(delta < 0.05 * spread, "'\(text)': max |Δlogit| \(delta) against spread \(spread)")
        }
        print("SmolLM2 keep vs f32: \(identical) of \(prompts.count) greedy continuations identical over \(steps) tokens")
    }

    /// Scoring (a no-grad forward of many rows) with kept blocks stays close to float32 per token.
    @Test func teacherForcedLogProbsStayClose() throws {
        let kept = try #require(Self.kept), float = try #require(SmolLM2Tests.model)
        let ids = try #require(kept.tokenizer).encode("Paris is the capital and largest city of France, on the Seine.")
        let input = IndexTensor(shape: [1, ids.count], data: ids.map { Int32($0) })
        let lf = withoutGradients { float(input) }.value.logSoftmax()
        let lk = withoutGradients { kept.model(input) }.value.logSoftmax()
        var worst: Float = 0
        for t in 0 ..< ids.count - 1 {
            worst = max(worst, abs(lf[0, t, ids[t + 1]] - lk[0, t, ids[t + 1]]))
        }
        print("SmolLM2 keep vs f32: largest per-token log-prob difference \(worst) over \(ids.count - 1) tokens")
        #expect(worst < 0.5)
    }
}
