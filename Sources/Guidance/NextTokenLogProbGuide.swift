// What full-vocabulary guides that follow one cached model share: each step they need that model's
// next-token log-probabilities, from the prompt's prefill and then one position per accepted token
// (GenARM / UniR-style addition, DoLa's premature layers; docs/design/decoding.md §4–§6).
import Models
import TensorCore

/// A guide whose score is a function of `stepper`'s next-token log-probabilities; it keeps them up
/// to date in `nextLogProbabilities` and writes its scores from them.
protocol NextTokenLogProbGuide: Guide {
    var stepper: CachedStepper { get }
    /// log-softmax of the stepper's logits at the last accepted position, [B, V]; nil before `begin`.
    var nextLogProbabilities: Tensor? { get set }
}

extension NextTokenLogProbGuide {
    var scoresCandidates: Bool { false }
    var forwardTokens: Int { stepper.forwardTokens }

    func check(capacity: Int) throws { try GuideModels.checkCapacity(stepper.model, capacity: capacity, guide: name) }

    func begin(prompts: [[Int]], padTokenID: Int, capacity: Int) {
        nextLogProbabilities = stepper.logits(stepper.prefill(prompts, padTokenID: padTokenID, capacity: capacity)).logSoftmax()
    }

    func accept(_ tokens: [Int]) {
        nextLogProbabilities = stepper.logits(stepper.step(tokens)).logSoftmax()
    }
}
