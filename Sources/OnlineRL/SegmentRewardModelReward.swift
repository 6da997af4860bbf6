// `--reward segment-rm:DIR[,THRESHOLD[,BINS[,SPREAD]]]`: the segment reward model (arXiv
// 2501.02790) as a dense token reward for `ppo` / `grpo` (docs/design/rewards.md §5).
import Foundation
import Models
import Objectives
import Support
import Tokenizers

/// Segments every sampled completion where the run's reference model's next-token entropy reaches
/// the threshold (`EntropySegmentation`), reads the reward model's per-token head at each segment
/// end, normalises those values by relative position over the batch (`LocationAwareNormaliser`) and
/// spreads each over its segment's tokens (`SegmentSpread`).
///
/// Limits: a threshold above log V with `bins` 0 and `.end` is `rm:DIR`'s reward (the head at the last
/// token); with `.split` the same reward R is R/n on each of the n tokens (the same return).
public struct SegmentRewardModelReward: RewardFunction {
    public let threshold: Float
    public let normaliser: LocationAwareNormaliser
    public let spread: SegmentSpread
    let scores: RewardModelReward
    let reference: any LanguageModel
    public var name: String { "segment-rm" }

    /// - Parameters:
    ///   - threshold: nil = the one the folder was trained with (`tokenalign_segment_entropy_threshold`).
    ///   - referencePath: the model whose entropies cut the segments (the run's reference).
    public init(folder: String, referencePath: String, threshold: Float? = nil, bins: Int = 10, spread: SegmentSpread = .split,
                vocabularySize: Int, tokenizer: Tokenizer? = nil, weights: WeightFormat = .f32) throws {
        guard bins >= 0 else { throw RewardError("segment-rm: BINS must be ≥ 0, got \(bins)") }
        guard let c = try threshold ?? Self.recordedThreshold(folder: folder) else {
            throw RewardError("segment-rm:\(folder): the folder records no entropy threshold (not trained with --kind segment); give it: segment-rm:DIR,THRESHOLD")
        }
        guard c.isFinite, c >= 0 else { throw RewardError("segment-rm: THRESHOLD must be a finite number ≥ 0, got \(c)") }
        scores = try RewardModelReward(folder: folder, density: .token, vocabularySize: vocabularySize, tokenizer: tokenizer, weights: weights)
        reference = try FrozenModel.load(referencePath, role: "segment-rm's reference (entropies)", weights: weights, policyTokenizer: tokenizer)
        guard reference.vocabularySize == vocabularySize else {
            throw RewardError("\(referencePath): vocabulary \(reference.vocabularySize) ≠ policy vocabulary \(vocabularySize)")
        }
        reference.eval()
        self.threshold = c
        normaliser = LocationAwareNormaliser(bins: bins)
        self.spread = spread
    }

    /// `DIR[,THRESHOLD[,BINS[,SPREAD]]]` as `--reward segment-rm:` takes it.
    public init(argument: String, referencePath: String, vocabularySize: Int, tokenizer: Tokenizer? = nil, weights: WeightFormat = .f32) throws {
        let usage = "segment-rm:DIR[,THRESHOLD[,BINS[,SPREAD]]] (SPREAD: \(SegmentSpread.allCases.map(\.rawValue).joined(separator: ", ")))"
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let dir = parts.first, !dir.isEmpty, parts.count <= 4 else {
            throw RewardError("--reward segment-rm needs a reward-model folder and at most three options: \(usage)")
        }
        var threshold: Float?, bins = 10, spread = SegmentSpread.split
        if parts.count > 1 {
            guard let c = Float(parts[1]) else { throw RewardError("--reward segment-rm:\(argument): THRESHOLD must be a number, got '\(parts[1])'; \(usage)") }
            threshold = c
        }
        if parts.count > 2 {
            guard let b = Int(parts[2]), b >= 0 else {
                throw RewardError("--reward segment-rm:\(argument): BINS must be an integer ≥ 0 (0: no normalisation), got '\(parts[2])'; \(usage)")
            }
            bins = b
        }
        if parts.count > 3 {
            guard let s = SegmentSpread(rawValue: parts[3]) else { throw RewardError("--reward segment-rm:\(argument): unknown SPREAD '\(parts[3])'; \(usage)") }
            spread = s
        }
        try self.init(folder: dir, referencePath: referencePath, threshold: threshold, bins: bins, spread: spread, vocabularySize: vocabularySize,
                      tokenizer: tokenizer, weights: weights)
    }

    /// The threshold a segment reward model folder was trained with, nil when it records none.
    static func recordedThreshold(folder: String) throws -> Float? {
        let url = URL(fileURLWithPath: folder).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let config = try JSONValue.parse(data, file: url.path).foundationObject as? [String: Any]
        return (config?["tokenalign_segment_entropy_threshold"] as? NSNumber).map { $0.floatValue }
    }

    /// Each completion's segment ends, from the reference's entropy of every completion token.
    public func segmentEnds(_ completions: [Completion]) throws -> [[Int]] {
        if let long = completions.first(where: { $0.prompt.ids.count + $0.ids.count > reference.maxPositions }) {
            throw RewardError("\(long.prompt.location): prompt + completion exceed segment-rm's reference's \(reference.maxPositions) positions")
        }
        if let bare = completions.first(where: { $0.prompt.ids.isEmpty }) {
            throw RewardError("\(bare.prompt.location): segment-rm needs a non-empty prompt (the first completion token is predicted from it)")
        }
        let V = reference.vocabularySize
        let rows = completions.map { PromptResponse(prompt: $0.prompt.ids, response: $0.ids) }
        let entropies = ResponseScoring.perToken(models: [reference], rows: rows, padID: 0) { z, _ in ResponseScoring.entropy(z[0], V) }
        return entropies.map { EntropySegmentation.ends(entropies: $0, threshold: threshold) }
    }

    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        let perToken = try scores.tokenRewards(completions)
        let ends = try segmentEnds(completions)
        let values = normaliser.normalise(zip(perToken, ends).map { s, e in e.map { s[$0] } })
        return completions.indices.map { spread.place(values[$0], ends: ends[$0], count: completions[$0].ids.count) }
    }
}
