import Autograd
import Decoding
import Foundation
@testable import Guidance
import Models
import TensorCore
import Training

/// A tiny GPT-2 with random weights (vocabulary `vocab`, 3 layers).
func tinyModel(seed: UInt64, vocab: Int = 24) -> GPT2LMHeadModel {
    GPT2LMHeadModel(GPT2Configuration(vocabSize: vocab, nPositions: 64, nEmbd: 16, nLayer: 3, nHead: 2), seed: seed)
}

/// Full-sequence (no cache) last-position logits [V] of one sequence.
func lastLogits(_ model: any LanguageModel, _ ids: [Int]) -> [Float] {
    let z = withoutGradients { model(IndexTensor(shape: [1, ids.count], data: ids.map { Int32($0) })) }.value
    let V = z.shape[2]
    return Array(z.scalars[((ids.count - 1) * V) ..< (ids.count * V)])
}

/// log-softmax of a vector, in Double.
func logSoftmax(_ z: [Float]) -> [Double] {
    let m = Double(z.max()!)
    let lse = m + log(z.reduce(0.0) { $0 + exp(Double($1) - m) })
    return z.map { Double($0) - lse }
}

/// A reward model's score of one whole sequence at its last token, recomputed from scratch.
func rewardFromScratch(_ model: any LanguageModel, _ head: RewardHead, _ ids: [Int]) -> Float {
    let h = withoutGradients { model.hiddenStates(IndexTensor(shape: [1, ids.count], data: ids.map { Int32($0) }), attentionMask: nil, cache: nil) }.value
    return head.scores(h).scalars[ids.count - 1]
}

/// Keeps a copy of the logits it sees at every step (placed after the guides).
final class LogitRecorder: LogitProcessor {
    var steps: [[Float]] = []
    func process(_ logits: inout Tensor, context: DecodingContext) { steps.append(logits.scalars) }
}

/// A guide with fixed scores (for the combination rule alone).
final class FixedGuide: Guide {
    let name: String
    let scoresCandidates: Bool
    let values: [Float]
    var forwardTokens: Int { 0 }
    init(name: String = "fixed", candidates: Bool, values: [Float]) {
        self.name = name
        scoresCandidates = candidates
        self.values = values
    }
    func check(capacity: Int) throws {}
    func begin(prompts: [[Int]], padTokenID: Int, capacity: Int) {}
    func accept(_ tokens: [Int]) {}
    func scores(base: Tensor, candidates: [[Int]]?, into out: UnsafeMutablePointer<Float>) {
        for i in values.indices { out[i] = values[i] }
    }
}
