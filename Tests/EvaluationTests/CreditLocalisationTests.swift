import Evaluation
import Support
import Testing

@Suite struct CreditLocalisationTests {
    @Test func perfectAndInvertedSources() {
        let perfect = CreditLocalisation(rewards: [0.2, 0.1, 0.3, -2, 5, 5], firstError: 3)
        #expect(perfect.auroc == 1 && perfect.hit)
        let inverted = CreditLocalisation(rewards: [-1, -2, -3, 4, 0], firstError: 3)
        #expect(inverted.auroc == 0 && !inverted.hit)
        // Tokens after the first error don't count, even when they are lower.
        let later = CreditLocalisation(rewards: [1, 1, -1, -9], firstError: 2)
        #expect(later.auroc == 1 && later.hit)
    }

    @Test func tiesCountHalfAndFirstMinimumWins() {
        let tie = CreditLocalisation(rewards: [0, 1, 0], firstError: 2)
        #expect(tie.auroc == 0.75)   // (0.5 + 1) / 2
        #expect(!tie.hit)            // token 0 is the first minimum
        let constant = CreditLocalisation(rewards: [3, 3, 3, 3], firstError: 3)
        #expect(constant.auroc == 0.5 && !constant.hit)
    }

    @Test func errorAtTheFirstTokenHasNoAUROC() {
        let l = CreditLocalisation(rewards: [-1, 2], firstError: 0)
        #expect(l.auroc == nil && l.hit)
    }

    @Test func summaryAveragesAndBootstrapsOverPrompts() {
        let items: [(prompt: Int, localisation: CreditLocalisation)] = [
            (0, CreditLocalisation(rewards: [1, -1], firstError: 1)),
            (0, CreditLocalisation(rewards: [-1, 1], firstError: 1)),
            (1, CreditLocalisation(rewards: [1, 2, -3], firstError: 2)),
            (2, CreditLocalisation(rewards: [5], firstError: 0)),
        ]
        let s = LocalisationSummary(items, resamples: 500, seed: 3)
        #expect(s.responses == 4)
        #expect(abs(s.auroc.value - 2.0 / 3.0) < 1e-12 && s.auroc.count == 3)
        #expect(s.top1.value == 0.75 && s.top1.count == 4)
        #expect(s.auroc.low <= s.auroc.value && s.auroc.value <= s.auroc.high)
        #expect(s.top1.low >= 0 && s.top1.high <= 1)
        // Same seed, same interval.
        #expect(LocalisationSummary(items, resamples: 500, seed: 3) == s)
    }

    @Test func bootstrapIntervalShrinksWithMoreGroupsAndCoversTheMean() {
        var rng = SplitMix64(seed: 1)
        func groups(_ n: Int) -> [[Double]] { (0 ..< n).map { _ in [Double(rng.next() % 2)] } }
        let small = Bootstrap.meanOverGroups(groups(20), seed: 1), large = Bootstrap.meanOverGroups(groups(2000), seed: 1)
        #expect(large.high - large.low < small.high - small.low)
        #expect(large.low < 0.5 && 0.5 < large.high)
        let one = Bootstrap.meanOverGroups([[0.3, 0.5]])
        #expect(one.value == 0.4 && one.low == 0.4 && one.high == 0.4)
        #expect(Bootstrap.meanOverGroups([]).count == 0)
    }
}
