// ProcessBench's metric (arXiv 2412.06559) on a hand-computed fixture.
import Evaluation
import Testing

@Suite struct ProcessBenchScoreTests {
    /// Subset a: erroneous labels 0, 2, 1, 3 predicted 0, 1, 1, −1 → 2 of 4 exact = 0.5; correct rows
    /// predicted −1 and 2 → 1 of 2 = 0.5; F1 = 2·0.5·0.5 / 1 = 0.5.
    /// Subset b: erroneous 1, 1 predicted 1, 1 → 1.0; correct predicted −1, −1, 0 → 2/3;
    /// F1 = 2·1·(2/3) / (5/3) = 0.8. Mean F1 = (0.5 + 0.8) / 2 = 0.65.
    @Test func handComputedSubsetsAndMeanF1() {
        let p = [(0, 0, "a"), (2, 1, "a"), (1, 1, "a"), (3, -1, "a"), (-1, -1, "a"), (-1, 2, "a"),
                 (1, 1, "b"), (-1, -1, "b"), (1, 1, "b"), (-1, -1, "b"), (-1, 0, "b")]
            .map { FirstErrorPrediction(label: $0.0, prediction: $0.1, subset: $0.2) }
        let s = ProcessBenchScore(p)
        #expect(s.subsets.map(\.subset) == ["a", "b"])
        #expect(s.subsets[0].erroneous == 4 && s.subsets[0].correct == 2)
        #expect(s.subsets[0].errorAccuracy == 0.5 && s.subsets[0].correctAccuracy == 0.5 && s.subsets[0].f1 == 0.5)
        #expect(s.subsets[1].errorAccuracy == 1)
        #expect(abs(s.subsets[1].correctAccuracy! - 2.0 / 3) < 1e-12)
        #expect(abs(s.subsets[1].f1! - 0.8) < 1e-12)
        #expect(abs(s.meanF1! - 0.65) < 1e-12)
    }

    /// The harmonic mean rewards only a scorer that does both jobs.
    @Test func degenerateScorersGetZero() {
        let labels = [0, 2, -1, -1]
        let never = ProcessBenchScore(labels.map { FirstErrorPrediction(label: $0, prediction: -1) })
        #expect(never.subsets[0].correctAccuracy == 1 && never.subsets[0].errorAccuracy == 0 && never.meanF1 == 0)
        let always = ProcessBenchScore(labels.map { FirstErrorPrediction(label: $0, prediction: 0) })
        #expect(always.subsets[0].errorAccuracy == 0.5 && always.subsets[0].correctAccuracy == 0 && always.meanF1 == 0)
        let onlyErrors = ProcessBenchScore([FirstErrorPrediction(label: 1, prediction: 1)])
        #expect(onlyErrors.subsets[0].correctAccuracy == nil && onlyErrors.subsets[0].f1 == nil && onlyErrors.meanF1 == nil)
    }

    @Test func thresholdRuleAndOracleThreshold() {
        #expect(FirstErrorRule.predict(stepScores: [0.9, 0.1, 0.05], threshold: 0.5) == 1)
        #expect(FirstErrorRule.predict(stepScores: [0.9, 0.6], threshold: 0.5) == -1)
        // Distinct scores 0.1, 0.6, 0.7, 0.8, 0.9: candidates −0.9, 0.35, 0.65, 0.75, 0.85, 1.9.
        // At 0.35: predictions 1 and −1, both right (F1 1); no lower candidate does as well.
        let o = FirstErrorRule.oracleThreshold(stepScores: [[0.9, 0.1, 0.8], [0.7, 0.6]], labels: [1, -1], subsets: ["all", "all"])
        #expect(abs(o.threshold - 0.35) < 1e-6)
        #expect(o.score.meanF1 == 1)
    }
}
