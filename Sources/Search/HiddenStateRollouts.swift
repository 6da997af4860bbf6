// The training data of the hidden-state verifiers: verified rollouts of the policy itself. For each
// prompt row it samples `rollouts` answers in one batch (seeded as the searchers seed prompt i, so a
// run is reproducible), labels each with the CreditBench verifier (the row's "task" column), and
// reads each answer's hidden-state features as the decoder recorded them while sampling
// (`LayerStateRecorder`; one more policy pass, `HiddenStateFeatures`, only for a policy that cannot). ELHSR
// (arXiv 2505.12225) fits its head to them; CLUE (arXiv 2510.01591) averages their deltas.
import Models
import OnlineRL

public enum HiddenStateRollouts {
    /// Labelled features of `rollouts` sampled answers per prompt.
    public static func collect(prompts: [RLPrompt], policy: SearchPolicy, rollouts: Int, seed: UInt64,
                               progress: ((Int, Int) -> Void)? = nil) throws -> [HiddenStateSample] {
        guard rollouts > 0 else { throw SearchError.invalidSetting("--rollouts must be ≥ 1, got \(rollouts)") }
        guard !prompts.isEmpty else { throw SearchError.invalidSetting("--prompts holds no rows: there are no rollouts to fit a verifier on") }
        let model = try HiddenStateFeatures.inspecting(policy.model, flag: "--model")
        let verifier = VerifierScorer(task: nil)
        var out: [HiddenStateSample] = []
        out.reserveCapacity(prompts.count * rollouts)
        for (i, p) in prompts.enumerated() {
            var ledger = CostLedger()
            let answers = policy.answers(policy.sample(p.ids, count: rollouts, seed: SearchSeeds.seed(seed, prompt: i, call: 0),
                                                       hiddenStates: true, ledger: &ledger))
            let labels = try verifier.scores(p, answers, ledger: &ledger)
            for (a, y) in zip(answers, labels) {
                var s = try a.hiddenStates ?? HiddenStateFeatures.sample(model: model, prompt: p.ids, answer: a.ids, location: "\(p.location)").sample
                s.label = y
                out.append(s)
            }
            progress?(i + 1, prompts.count)
        }
        return out
    }

    /// Fits `method` on labelled samples of `model`. Throws on an empty or unlabelled set and unless
    /// both correct and wrong answers occur (neither method can tell them apart otherwise).
    public static func fit(_ method: HiddenStateVerifier.Method, samples: [HiddenStateSample], model: any LanguageModel,
                           steps: Int = 300, learningRate: Float = 1e-2, weightDecay: Float = 0) throws -> (verifier: HiddenStateVerifier, losses: [Float]) {
        guard !samples.isEmpty else { throw SearchError.invalidSetting("\(method.rawValue): the rollout set is empty") }
        let labels = try samples.enumerated().map { i, s -> Float in
            guard let y = s.label else { throw SearchError.invalidSetting("\(method.rawValue): rollout \(i) has no verifier label") }
            return y
        }
        let correct = labels.filter { $0 > 0.5 }.count
        guard correct > 0 && correct < labels.count else {
            throw SearchError.invalidSetting("\(method.rawValue) needs both correct and wrong rollouts; got \(correct) correct of \(labels.count) "
                + "(sample more prompts or rollouts, or a policy that is sometimes right)")
        }
        let L = model.layerCount, C = model.hiddenSize
        switch method {
        case .elhsr:
            guard steps > 0 else { throw SearchError.invalidSetting("--steps must be ≥ 1, got \(steps)") }
            var set = HiddenStateSet(dimension: L * C)
            for (s, y) in zip(samples, labels) { set.append(s, label: y) }
            let (head, losses) = ELHSRHead.fit(set, steps: steps, learningRate: learningRate, weightDecay: weightDecay)
            return (HiddenStateVerifier(method: .elhsr, model: model, samples: samples.count, correct: correct, elhsr: head), losses)
        case .clue:
            let centroids = try CLUECentroids.fit(deltas: samples.map(\.delta), labels: labels, layers: L, hiddenSize: C)
            return (HiddenStateVerifier(method: .clue, model: model, samples: samples.count, correct: correct, clue: centroids), [])
        }
    }
}
