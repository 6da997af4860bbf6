import Autograd
import Decoding
import Foundation
@testable import Guidance
import Models
import TensorCore
import Testing
import Training

/// Every guide's combination on a tiny model, step by step, against the same quantities recomputed
/// from scratch (full forwards, no cache): two prompts of different lengths, so left padding and
/// the guides' own caches are exercised.
@Suite struct GuideFormulaTests {
    let prompts = [[3, 5, 7, 11], [4, 9]]
    let base = tinyModel(seed: 1)

    /// Runs guided greedy decoding and returns, per step, the processed logits [B·V] and the rows' tokens.
    func decode(_ terms: [(guide: any Guide, weight: Float)], topK: Int = 3, steps: Int = 6) throws -> (logits: [[Float]], tokens: [[Int]]) {
        let guided = try GuidedLogits(terms: terms, topK: topK, maxNewTokens: steps, padTokenID: 0)
        try guided.check(vocabularySize: base.vocabularySize, longestPrompt: 4)
        let recorder = LogitRecorder()
        let out = Generator.generate(model: base, prompts: prompts, parameters: GenerationParameters(maxNewTokens: steps),
                                     extraProcessors: [guided, recorder])
        return (recorder.steps, out.map(\.tokens))
    }

    /// Checks every step and row: the recorded z′ against `expected(sequence, z_base)` (nil = −∞).
    func checkSteps(_ run: (logits: [[Float]], tokens: [[Int]]), tolerance: Double = 2e-3,
                    expected: ([Int], [Float]) -> [Double?]) {
        let V = base.vocabularySize
        for (s, step) in run.logits.enumerated() {
            for b in prompts.indices {
                let seq = prompts[b] + run.tokens[b].prefix(s)
                let want = expected(seq, lastLogits(base, seq))
                for v in 0 ..< V {
                    let got = step[b * V + v]
                    if let w = want[v] {
                        #expect(abs(Double(got) - w) < tolerance, "step \(s) row \(b) token \(v): \(got) vs \(w)")
                    } else {
                        #expect(got == -.infinity, "step \(s) row \(b) token \(v) should be excluded, got \(got)")
                    }
                }
            }
        }
    }

    @Test func genarmAddsWeightedRewardModelLogProbsAndCombinesSeveral() throws {
        let arm1 = tinyModel(seed: 2), arm2 = tinyModel(seed: 5)
        let run = try decode([(LogProbabilityGuide(name: "genarm", model: arm1), 0.5), (LogProbabilityGuide(name: "genarm", model: arm2), 1.5)])
        #expect(run.logits.count == 6)
        checkSteps(run) { seq, z in
            let l1 = logSoftmax(lastLogits(arm1, seq)), l2 = logSoftmax(lastLogits(arm2, seq))
            return z.indices.map { Double(z[$0]) + 0.5 * l1[$0] + 1.5 * l2[$0] }
        }
    }

    @Test func layerContrastIsDoLaOnThePlausibleSet() throws {
        for exit in [1, 2] {
            let run = try decode([(LayerContrastGuide(model: base, exitLayers: exit), 1)])
            checkSteps(run) { seq, z in
                // Premature distribution: the residual after `exit` layers through ln_f and the tied head.
                let acts = withoutGradients { base.layerActivations(IndexTensor(shape: [1, seq.count], data: seq.map { Int32($0) }), attentionMask: nil) }
                let h = withoutGradients { base.transformer.lnF(acts.layers[exit - 1]) }
                let zm = withoutGradients { base.logits(fromHidden: h) }.value.scalars
                let V = z.count
                let q = logSoftmax(Array(zm[((seq.count - 1) * V) ..< (seq.count * V)]))
                let top = Double(z.max()!)
                return z.indices.map { Double(z[$0]) - top >= log(0.1) ? Double(z[$0]) - q[$0] : nil }
            }
        }
    }

    @Test func radScoresTheTopKWithItsCachedRewardModel() throws {
        let rm = tinyModel(seed: 3), head = RewardHead(hiddenSize: 16, seed: 4)
        let rad = RewardAugmentedGuide(model: rm, head: head)
        let run = try decode([(rad, 2)], topK: 3)
        checkSteps(run) { seq, z in
            // Top-3 of the base logits, each scored by the reward model on seq + candidate from scratch.
            let top = Set(z.indices.sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }.prefix(3))
            return z.indices.map { top.contains($0) ? Double(z[$0]) + 2 * Double(rewardFromScratch(rm, head, seq + [$0])) : nil }
        }
        // The cached forwards: one prefill per row, then k positions per row and step.
        #expect(rad.forwardTokens == prompts.count * 4 + 6 * prompts.count * 3)
    }

    @Test func argsScoresTheTopKOnPrefixPlusCandidate() throws {
        let rm = tinyModel(seed: 3), head = RewardHead(hiddenSize: 16, seed: 4)
        let run = try decode([(RewardSearchGuide(model: rm, head: head), 1.5)], topK: 3)
        checkSteps(run) { seq, z in
            let top = Set(z.indices.sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }.prefix(3))
            return z.indices.map { top.contains($0) ? Double(z[$0]) + 1.5 * Double(rewardFromScratch(rm, head, seq + [$0])) : nil }
        }
    }

    @Test func padContrastsThePreferenceConditionedPolicyOnTheTopK() throws {
        let preference = [13, 2, 8]
        let run = try decode([(PreferenceConditionedGuide(model: base, preference: preference), 1.5)], topK: 4)
        checkSteps(run) { seq, z in
            let zp = lastLogits(base, preference + seq)
            let top = z.indices.sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }.prefix(4)
            func lse(_ x: [Float]) -> Double { let m = top.map { Double(x[$0]) }.max()!; return m + log(top.reduce(0.0) { $0 + exp(Double(x[$1]) - m) }) }
            let lb = lse(z), lp = lse(zp)
            return z.indices.map { top.contains($0) ? Double(z[$0]) + 1.5 * ((Double(zp[$0]) - lp) - (Double(z[$0]) - lb)) : nil }
        }
    }

    @Test func radsCachedScoresEqualArgsRecomputedScoresEveryStep() throws {
        let rm = tinyModel(seed: 3), head = RewardHead(hiddenSize: 16, seed: 4)
        let rad = RewardAugmentedGuide(model: rm, head: head), args = RewardSearchGuide(model: rm, head: head)
        let guided = try GuidedLogits(terms: [(rad, 1), (args, 1)], topK: 4, maxNewTokens: 8, padTokenID: 0)
        var compared = 0
        final class Compare: LogitProcessor {
            let check: () -> Void
            init(_ check: @escaping () -> Void) { self.check = check }
            func process(_ logits: inout Tensor, context: DecodingContext) { check() }
        }
        let probe = Compare {
            for (a, b) in zip(rad.lastScores.joined(), args.lastScores.joined()) {
                #expect(abs(a - b) < 1e-4, "cached \(a) vs recomputed \(b)")
                compared += 1
            }
        }
        var p = GenerationParameters(maxNewTokens: 8, temperature: 1, seed: 11)
        p.stopTokenIDs = []
        _ = Generator.generate(model: base, prompts: prompts, parameters: p, extraProcessors: [guided, probe])
        #expect(compared == 8 * prompts.count * 4)
        // The recomputing guide pays for the whole prefix every step; the cached one does not.
        #expect(args.forwardTokens > rad.forwardTokens)
    }
}
