// `--scorer elhsr:FILE` and `--scorer clue:FILE`: hidden-state verifiers (ELHSR, arXiv 2505.12225;
// CLUE, arXiv 2510.01591) that read the policy's own hidden states of each sample. The searchers
// that sample whole answers ask the decoder to keep each layer's states while it samples
// (`readsPolicyHiddenStates`, `Answer.hiddenStates`), so those answers cost no further forward. An
// answer without them (from a file, or grown from a prefix) gets one more policy pass over
// prompt ⊕ answer, one sample per pass, recorded honestly as policy (base-model) prefill: p + n
// positions per sample. No scoring model runs, so the ledger has no scorer entry. Either way a
// sample's features do not depend on the batch it arrives in (to float rounding: padding is masked).
import Models
import OnlineRL

public final class HiddenStateScorer: SequenceScorer {
    public let model: any ActivationInspecting
    public let verifier: HiddenStateVerifier
    public let name: String

    public init(model: any ActivationInspecting, verifier: HiddenStateVerifier) {
        self.model = model
        self.verifier = verifier
        name = verifier.method.rawValue
    }

    /// Reads the verifier file and checks it against the run's policy (`ScorerContext.policy`).
    public convenience init(kind: String, file: String, context: ScorerContext) throws {
        let flag = "--scorer \(kind):\(file)"
        let verifier = try HiddenStateVerifier.read(file, flag: flag)
        guard verifier.method.rawValue == kind else {
            throw SearchError.invalidSetting("\(flag): the file holds a \(verifier.method.rawValue) verifier; use --scorer \(verifier.method.rawValue):\(file)")
        }
        let model = try HiddenStateFeatures.inspecting(context.policy, flag: flag)
        try verifier.check(against: model, flag: flag)
        self.init(model: model, verifier: verifier)
    }

    public func scores(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(answers.count)
        for a in answers {
            if let s = a.hiddenStates, s.count == a.ids.count, s.delta.count == verifier.layers * verifier.hiddenSize {
                out.append(verifier.score(s))
                continue
            }
            let (s, positions) = try HiddenStateFeatures.sample(model: model, prompt: prompt.ids, answer: a.ids, location: "\(prompt.location)")
            ledger.recordPolicyForward(ForwardWork(positions: positions, saved: 0))
            out.append(verifier.score(s))
        }
        return out
    }

    /// True: searchers record the policy's states while sampling.
    public var readsPolicyHiddenStates: Bool { true }

    /// The same read on a partial answer (ELHSR pools the prefix's tokens; CLUE's delta ends at the
    /// prefix's last token).
    public func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float] {
        try scores(prompt, prefixes, ledger: &ledger)
    }
}
