// The shape of a decoding guide (docs/design/decoding.md §1). A guide reads the base model's
// next-token logits of every row and adds its own score g(v) to them, z′(v) = z(v) + w·g(v), before
// the sampler's warpers run; `GuidedLogits` combines several guides, each with its weight.
import TensorCore

/// A decoding-time guide with its own model state (KV caches), advanced once per decoding step.
public protocol Guide: AnyObject {
    /// The registry name ("rad", "genarm"…), for errors and reports.
    var name: String { get }
    /// True when the guide scores only the base model's top-k candidates (RAD, ARGS, PAD); the combined
    /// distribution then puts −∞ on every other token.
    var scoresCandidates: Bool { get }
    /// Tokens the guide's own models have run through a forward pass so far (cost accounting).
    var forwardTokens: Int { get }

    /// Throws when a batch needing `capacity` positions (longest prompt + new tokens) does not fit
    /// the guide's models.
    func check(capacity: Int) throws
    /// Starts a batch: the prompts (unpadded; the guide left-pads them as the decoder does), the id
    /// fed as padding and the positions the longest row will need.
    func begin(prompts: [[Int]], padTokenID: Int, capacity: Int)
    /// The token each row appended at the previous step (`padTokenID` for rows that already finished).
    func accept(_ tokens: [Int])
    /// Writes the guide's scores for every row into `out` ([B·V], row-major). Candidate guides write
    /// only the entries of `candidates[b]`; full-vocabulary guides write every entry. −∞ excludes a
    /// token whatever the weight. `base` is the base model's logits [B, V] as the sampler sees them
    /// before its warpers (after the repetition penalty).
    func scores(base: Tensor, candidates: [[Int]]?, into out: UnsafeMutablePointer<Float>)
}

/// Bad guide input: an unknown name, a missing argument, a model that does not fit the policy.
public struct GuideError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
