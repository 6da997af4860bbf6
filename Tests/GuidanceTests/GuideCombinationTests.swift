import Decoding
import Foundation
@testable import Guidance
import Models
import TensorCore
import Testing

/// The combination rule z′ = z + Σ w_i g_i on the candidate set, −∞ elsewhere, on numbers worked by hand.
@Suite struct GuideCombinationTests {
    let context = DecodingContext(prompts: [[1, 2]], generated: [[]], step: 0)

    @Test func fullVocabularyGuidesAddTheirWeightedScores() throws {
        // z = [1, 2, 3, 0.5]; g1 = [0, −1, 2, 1] with w 0.5; g2 = [1, 1, 1, −∞] with w 2.
        // z′ = [1 + 0 + 2, 2 − 0.5 + 2, 3 + 1 + 2, −∞] = [3, 3.5, 6, −∞].
        let g1 = FixedGuide(candidates: false, values: [0, -1, 2, 1])
        let g2 = FixedGuide(candidates: false, values: [1, 1, 1, -.infinity])
        let p = try GuidedLogits(terms: [(g1, 0.5), (g2, 2)], topK: 2, maxNewTokens: 4, padTokenID: 0)
        var z = Tensor(shape: [1, 4], data: [1, 2, 3, 0.5])
        p.process(&z, context: context)
        #expect(z.scalars == [3, 3.5, 6, -.infinity])
    }

    @Test func candidateGuidesKeepOnlyTheBaseTopK() throws {
        // z = [1, 2, 3, 0.5], k = 2 → candidates {2, 1}. g = [9, −1, 0.5, 9] with w 2 (entries off the
        // candidate set are never read): z′ = [−∞, 2 − 2, 3 + 1, −∞] = [−∞, 0, 4, −∞].
        let g = FixedGuide(candidates: true, values: [9, -1, 0.5, 9])
        let p = try GuidedLogits(terms: [(g, 2)], topK: 2, maxNewTokens: 4, padTokenID: 0)
        var z = Tensor(shape: [1, 4], data: [1, 2, 3, 0.5])
        p.process(&z, context: context)
        #expect(z.scalars == [-.infinity, 0, 4, -.infinity])
    }

    @Test func aZeroWeightGuideIsNotRun() throws {
        let g = FixedGuide(candidates: true, values: [9, -1, 0.5, 9])
        let p = try GuidedLogits(terms: [(g, 0)], topK: 2, maxNewTokens: 4, padTokenID: 0)
        var z = Tensor(shape: [1, 4], data: [1, 2, 3, 0.5])
        p.process(&z, context: context)
        #expect(z.scalars == [1, 2, 3, 0.5])
        #expect(!p.usesCandidates)
    }

    @Test func topCandidatesBreakTiesByLowerIndex() {
        let row: [Float] = [0.5, 3, 1, 3, -2, 1]
        let got = row.withUnsafeBufferPointer { GuidedLogits.topCandidates($0.baseAddress!, count: 6, k: 4) }
        #expect(got == [1, 3, 2, 5])
        let all = row.withUnsafeBufferPointer { GuidedLogits.topCandidates($0.baseAddress!, count: 6, k: 6) }
        #expect(all == [1, 3, 2, 5, 0, 4])
    }
}
