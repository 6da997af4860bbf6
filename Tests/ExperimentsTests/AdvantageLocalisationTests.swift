@testable import Experiments
import Testing

/// The advantage-localisation score of `demo rl`, on hand-worked cases.
@Suite struct AdvantageLocalisationTests {
    @Test func workedExamples() {
        var l = AdvantageLocalisation()
        // Uniform advantages (a sequence-level method): a 1-in-4 tie at the minimum → 1/4, chance 1/4.
        l.add(advantages: [-0.5, -0.5, -0.5, -0.5], firstError: 2)
        #expect(abs(l.top1 - 0.25) < 1e-12 && abs(l.chance - 0.25) < 1e-12)
        // A unique minimum on the first error → 1; chance 1/2.
        l.add(advantages: [0.3, -1], firstError: 1)
        #expect(abs(l.top1 - (0.25 + 1) / 2) < 1e-12 && abs(l.chance - (0.25 + 0.5) / 2) < 1e-12)
        // A two-way tie at the minimum including the first error → 1/2; a minimum elsewhere → 0.
        l.add(advantages: [-2, 0, -2], firstError: 2)
        l.add(advantages: [-2, 0, -1], firstError: 2)
        #expect(l.count == 4)
        #expect(abs(l.top1 - (0.25 + 1 + 0.5 + 0) / 4) < 1e-12)
        #expect(abs(l.chance - (0.25 + 0.5 + 1.0 / 3 + 1.0 / 3) / 4) < 1e-12)
        // An empty rollout or an index outside it is ignored.
        l.add(advantages: [], firstError: 0)
        l.add(advantages: [1], firstError: 3)
        #expect(l.count == 4)
        #expect(AdvantageLocalisation().top1.isNaN)
    }
}
