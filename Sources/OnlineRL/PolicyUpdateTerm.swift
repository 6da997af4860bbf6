// An optional extra term of the online-RL update that trains the policy on sequences other than its
// rollouts (RLMEC's imitation of the corrections of its wrong samples, arXiv 2401.06081). The loop
// knows only this protocol: once per rollout batch it asks the term for a target per sample, and in
// every optimizer step it runs one more teacher-forced policy pass over the mini-batch's targets and
// adds the term's loss to the policy loss's gradient (`OnlineRLTrainer+UpdateTerm.swift`).
import Autograd
import Objectives
import TensorCore

/// What an update term trains on for one sample: a sequence after the sample's prompt, and a weight
/// per token (0 leaves a token out).
public struct UpdateTarget: Sendable, Equatable {
    public var ids: [Int]
    public var weights: [Float]

    public init(ids: [Int], weights: [Float]) {
        self.ids = ids
        self.weights = weights
    }
}

/// An extra loss over targets the term chooses, trained beside the policy loss.
public protocol PolicyUpdateTerm: AnyObject {
    /// Names the term in errors.
    var name: String { get }
    /// One target (or nil: none) per completion of the rollout batch, and the batch's metrics.
    func targets(for completions: [Completion]) throws -> (targets: [UpdateTarget?], metrics: [String: Float])
    /// The term's loss over the policy's log-probabilities of some targets' tokens ([n, T], mask 1 on
    /// every target token, weights laid out alike), with `targetTokens` the optimizer batch's count so
    /// micro-batch losses add up.
    func loss(logps: Variable, weights: Tensor, mask: Tensor, targetTokens: Float) throws -> ObjectiveOutput
}
