// Reward transformations for the sequence reward models of `--reward rm:` and `rm-ensemble:`, as a
// registry family. Wang et al., "Transforming and Combining Rewards for Aligning Large Language
// Models" (arXiv 2402.00742): for a Bradley–Terry reward r, the log-sigmoid-centred ("LSC") utility
// u(x, y) = log σ(r(x, y) − r_ref(x)) is the log-probability that y beats a reference response of
// the prompt. It saturates above the reference (little is gained by pushing an already good
// response further, which curbs reward hacking) and is steep below it; and since a sum of log-
// probabilities is the log of a product, Σ_k u_k is the log-probability that y is good on every
// property at once — summing transformed rewards is a soft logical AND (docs/design/rewards.md §6).
import Datasets
import Foundation
import Support

public struct RewardTransformEntry: RegistryEntry {
    public var card: MethodCard
    public var make: @Sendable (_ reference: RewardReference) -> RewardTransform

    public init(card: MethodCard, make: @escaping @Sendable (_ reference: RewardReference) -> RewardTransform) {
        self.card = card
        self.make = make
    }
}

public enum RewardTransforms {
    public static let registry = Registry<RewardTransformEntry>(family: "reward transformation", [
        RewardTransformEntry(card: MethodCard(name: "logsigmoid", aliases: ["lsc"],
                                              summary: "LSC: u = log σ(r − r_ref(x)), r_ref a quantile of the rewards of the prompt's completions in the batch (or a row column); sums of u are a soft AND",
                                              arxiv: ["2402.00742"], inputs: ["optional reference-reward column"],
                                              defaults: ["ref_quantile": "0.5"])) { .logSigmoid(reference: $0) },
        RewardTransformEntry(card: MethodCard(name: "identity", aliases: ["none"], summary: "The reward model's score as it is")) { _ in .identity },
    ])
}

/// Where r_ref(x) comes from.
public enum RewardReference: Equatable, Sendable {
    /// The q-quantile (linear interpolation between order statistics, numpy's default) of the
    /// untransformed rewards of the completions of the same prompt in the scored batch: a GRPO
    /// group, or a best-of-n pool. The paper takes a quantile of samples from the base policy; the
    /// run's own group is the sample at hand, and is the base policy's at the first step.
    case groupQuantile(Double)
    /// A number in the prompt row's column (precomputed, e.g. from the base policy's samples).
    case column(String)
}

/// A monotone transformation of the sequence rewards of a batch of completions.
public enum RewardTransform: Equatable, Sendable {
    case identity
    case logSigmoid(reference: RewardReference)

    /// log σ(z), stable for either sign (`ScalarMath.logSigmoid`).
    public static func logSigmoid(_ z: Double) -> Double { ScalarMath.logSigmoid(z) }

    /// The q-quantile of `values` (non-empty), interpolating linearly at position q·(n − 1).
    public static func quantile(_ values: [Double], _ q: Double) -> Double {
        let s = values.sorted()
        let pos = q * Double(s.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (pos - Double(lo)) * (s[hi] - s[lo])
    }

    /// The reference reward of every completion (nil for `identity`).
    public func references(_ scores: [Float], completions: [Completion]) throws -> [Double]? {
        guard case .logSigmoid(let reference) = self else { return nil }
        switch reference {
        case .column(let name):
            return try completions.map { c in
                guard let v = c.prompt.columns[name] else {
                    throw RewardError("\(c.prompt.location): field '\(name)' (the reference reward of transform=logsigmoid) is missing")
                }
                // A JSON true/false (or a Swift Bool in a row built in code) is not a reward.
                guard type(of: v) != Bool.self, let n = v as? NSNumber, !isJSONBoolean(n), n.doubleValue.isFinite else {
                    throw RewardError("\(c.prompt.location): field '\(name)' (the reference reward) must be a finite number, got \(v)")
                }
                return n.doubleValue
            }
        case .groupQuantile(let q):
            var groups: [[Int]: [Int]] = [:]
            for (i, c) in completions.enumerated() { groups[c.prompt.ids, default: []].append(i) }
            var ref = [Double](repeating: 0, count: completions.count)
            for members in groups.values {
                let r = Self.quantile(members.map { Double(scores[$0]) }, q)
                for i in members { ref[i] = r }
            }
            return ref
        }
    }

    /// The transformed sequence rewards u_i = log σ(r_i − r_ref,i) (`identity`: the rewards).
    public func apply(_ scores: [Float], completions: [Completion]) throws -> [Float] {
        guard let ref = try references(scores, completions: completions) else { return scores }
        return zip(scores, ref).map { Float(Self.logSigmoid(Double($0) - $1)) }
    }

    /// Splits `key=value` options off a reward's comma list: `transform=NAME`, `ref-quantile=Q`
    /// (0 ≤ Q ≤ 1) and `ref-column=NAME` (one of the two references). Returns the other items and
    /// the transform (`identity` when no `transform=` is given).
    public static func parse(_ items: [String], spec: String) throws -> (rest: [String], transform: RewardTransform) {
        var rest: [String] = [], name: String?, quantile: Double?, column: String?
        for item in items {
            guard let eq = item.firstIndex(of: "=") else { rest.append(item); continue }
            let key = item[..<eq].trimmingCharacters(in: .whitespaces), value = item[item.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "transform": name = value
            case "ref-quantile":
                guard let q = Double(value), (0 ... 1).contains(q) else {
                    throw RewardError("--reward \(spec): ref-quantile must be a number in [0, 1], got '\(value)'")
                }
                quantile = q
            case "ref-column":
                guard !value.isEmpty else { throw RewardError("--reward \(spec): ref-column needs a column name") }
                column = value
            default:
                throw RewardError("--reward \(spec): unknown option '\(key)'; expected transform=NAME, ref-quantile=Q or ref-column=NAME")
            }
        }
        if quantile != nil && column != nil { throw RewardError("--reward \(spec): give ref-quantile or ref-column, not both") }
        guard let name else {
            if quantile != nil || column != nil { throw RewardError("--reward \(spec): ref-quantile / ref-column need transform=logsigmoid") }
            return (rest, .identity)
        }
        let entry: RewardTransformEntry
        do { entry = try RewardTransforms.registry.entry(named: name) } catch { throw RewardError("--reward \(spec): \(error)") }
        let transform = entry.make(column.map { .column($0) } ?? .groupQuantile(quantile ?? 0.5))
        if transform == .identity, quantile != nil || column != nil {
            throw RewardError("--reward \(spec): ref-quantile / ref-column need transform=logsigmoid")
        }
        return (rest, transform)
    }
}

extension RewardTransform {
    /// Transforms sequence rewards that sit on the last token of each completion (the form `rm:`
    /// and `rm-ensemble:` produce); empty completions carry no reward and join no group.
    public func applyToLastTokens(_ rows: [[Float]], completions: [Completion]) throws -> [[Float]] {
        guard self != .identity else { return rows }
        let scored = rows.indices.filter { !rows[$0].isEmpty }
        let u = try apply(scored.map { rows[$0][rows[$0].count - 1] }, completions: scored.map { completions[$0] })
        var out = rows
        for (k, i) in scored.enumerated() { out[i][out[i].count - 1] = u[k] }
        return out
    }
}

/// A sequence reward with its score transformed (`--reward rm:DIR,transform=logsigmoid`).
public struct TransformedSequenceReward: RewardFunction {
    public var base: any RewardFunction
    public var transform: RewardTransform
    public var name: String { base.name }

    public init(base: any RewardFunction, transform: RewardTransform) {
        self.base = base
        self.transform = transform
    }

    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        try transform.applyToLastTokens(base.tokenRewards(completions), completions: completions)
    }
}
