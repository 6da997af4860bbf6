// The ensemble aggregations (`EnsembleAggregation` in Rewards) as a registry family, so the CLI,
// `tokenalign methods` and the tests read one list: `--reward rm-ensemble:DIR1,DIR2[:MODE]` in the
// online-RL commands and `--ensemble MODE` in `tokenalign eval rm`. MODE is NAME or NAME=λ.
import Foundation
import Models
import Rewards
import Support
import Tokenizers

public struct RewardEnsembleEntry: RegistryEntry {
    public var card: MethodCard
    /// Builds the aggregation from λ (nil: the entry's default; ignored by modes without one).
    public var make: @Sendable (_ lambda: Float?) -> EnsembleAggregation

    public init(card: MethodCard, make: @escaping @Sendable (_ lambda: Float?) -> EnsembleAggregation) {
        self.card = card
        self.make = make
    }
}

public enum RewardEnsembles {
    public static let registry = Registry<RewardEnsembleEntry>(family: "reward-model ensemble", [
        RewardEnsembleEntry(card: MethodCard(name: "mean", summary: "Mean of the members' rewards", arxiv: ["2312.09244"])) { _ in .mean },
        RewardEnsembleEntry(card: MethodCard(name: "median", summary: "Median of the members' rewards", arxiv: ["2312.09244"])) { _ in .median },
        RewardEnsembleEntry(card: MethodCard(name: "min", aliases: ["wco"], summary: "Worst-case optimisation: the smallest member reward",
                                             arxiv: ["2310.02743"])) { _ in .min },
        RewardEnsembleEntry(card: MethodCard(name: "mean-std", summary: "Uncertainty penalty: mean − λ·std over the members",
                                             arxiv: ["2312.09244"], defaults: ["lambda": "1"])) { .meanMinusStd(lambda: $0 ?? 1) },
        RewardEnsembleEntry(card: MethodCard(name: "uwo", summary: "Uncertainty-weighted optimisation: mean − λ·variance over the members",
                                             arxiv: ["2310.02743"], defaults: ["lambda": "1"])) { .uncertaintyWeighted(lambda: $0 ?? 1) },
        RewardEnsembleEntry(card: MethodCard(name: "sum", summary: "Sum of the members' rewards: with LSC-transformed members (`transform=logsigmoid`) the log-probability of being good on every property, a soft AND",
                                             arxiv: ["2402.00742"])) { _ in .sum },
    ])

    /// `NAME` or `NAME=λ` (λ a finite number ≥ 0).
    public static func make(_ spec: String) throws -> EnsembleAggregation {
        let parts = spec.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
        let entry = try registry.entry(named: parts.first ?? "")
        var lambda: Float?
        if parts.count == 2 {
            guard let l = Float(parts[1]), l.isFinite, l >= 0 else {
                throw RewardError("ensemble mode \(spec): λ after '=' must be a finite number ≥ 0, got '\(parts[1])'")
            }
            lambda = l
        }
        return entry.make(lambda)
    }
}

/// Several sequence reward models scored together and combined (`--reward rm-ensemble:…`): each
/// member's score on the last token, aggregated per completion.
public struct RewardModelEnsembleReward: RewardFunction {
    public var members: [RewardModelReward]
    public var aggregation: EnsembleAggregation
    /// Applied to every member's sequence rewards before they are aggregated (arXiv 2402.00742).
    public var transform: RewardTransform
    public var name: String { "rm-ensemble" }

    public init(members: [RewardModelReward], aggregation: EnsembleAggregation, transform: RewardTransform = .identity) throws {
        guard !members.isEmpty else { throw RewardError("rm-ensemble needs at least one reward-model folder") }
        self.members = members
        self.aggregation = aggregation
        self.transform = transform
    }

    /// `DIR1,DIR2[,…][,transform=NAME[,ref-quantile=Q|ref-column=NAME]][:MODE]` (MODE as
    /// `RewardEnsembles.make`; default mean).
    public init(argument: String, vocabularySize: Int, tokenizer: Tokenizer? = nil, weights: WeightFormat = .f32) throws {
        let parts = argument.split(separator: ":", maxSplits: 1).map(String.init)
        let (items, transform) = try RewardTransform.parse(CommaList.strings(parts.first ?? ""), spec: "rm-ensemble:\(argument)")
        let dirs = items.filter { !$0.isEmpty }
        guard !dirs.isEmpty else { throw RewardError("--reward rm-ensemble needs folders: rm-ensemble:DIR1,DIR2[:MODE]") }
        let mode: EnsembleAggregation
        do { mode = try parts.count > 1 ? RewardEnsembles.make(parts[1]) : .mean } catch let e as RegistryError {
            throw RewardError("--reward rm-ensemble:\(argument): \(e)")
        }
        try self.init(members: dirs.map { try RewardModelReward(folder: $0, tokenLevel: false, vocabularySize: vocabularySize, tokenizer: tokenizer, weights: weights) },
                      aggregation: mode, transform: transform)
    }

    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        let perMember = try members.map { try transform.applyToLastTokens($0.tokenRewards(completions), completions: completions) }
        return completions.indices.map { i in
            let n = completions[i].ids.count
            guard n > 0 else { return [] }
            var r = [Float](repeating: 0, count: n)
            r[n - 1] = aggregation.aggregate(perMember.map { $0[i][n - 1] })
            return r
        }
    }
}
