// `--scorer elhsr:FILE` and `--scorer clue:FILE`: hidden-state verifiers (ELHSR, arXiv 2505.12225;
// CLUE, arXiv 2510.01591) that read the policy's own hidden states of each sample. The searchers do
// not keep per-layer states while they decode (the KV-cache decoder returns tokens), so the scorer
// runs the policy once more over prompt ⊕ answer, one sample per pass, and records that work
// honestly as policy (base-model) prefill: p + n positions per sample. No scoring model runs, so the
// ledger has no scorer entry. One sample per pass also makes a sample's score independent of the
// batch it arrives in.
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
            let (s, positions) = try HiddenStateFeatures.sample(model: model, prompt: prompt.ids, answer: a.ids, location: "\(prompt.location)")
            ledger.recordPolicyForward(ForwardWork(positions: positions, saved: 0))
            out.append(verifier.score(s))
        }
        return out
    }

    /// The same read on a partial answer (ELHSR pools the prefix's tokens; CLUE's delta ends at the
    /// prefix's last token).
    public func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float] {
        try scores(prompt, prefixes, ledger: &ledger)
    }
}
