// What distinguishes the token-level reward-model kinds that share the `token` kind's head and
// losses: which annotations every row must carry, and how the per-token head values h_k make one
// response score. The loss is not new — the `token` head is already trained with per-token binary
// cross-entropy on σ(h_k) against token labels (error spans) and with squared error against token
// rewards (`RewardStep.output`) — so a kind is its data contract and its response score:
//
// - `tldr` (TLDR, arXiv 2410.04734): token labels from synthetic hard negatives (`tokenalign data
//   tldr`), so every rejected row must name the changed tokens (`rejected_error_spans`); without
//   them the `token` kind would label the whole rejected response bad. γ_k = σ(h_k) is the
//   probability that token k is good; "a response is bad if any token is bad" is read as the
//   probability that every token is good, ∏_k γ_k (`product`). The product rather than min_k γ_k
//   because its logarithm Σ_k log σ(h_k) splits into per-token rewards log σ(h_k) (what `--reward
//   token-rm:DIR` pays for such a folder) that add up to the response's log-score; the hard
//   reading of the paper (bad iff some γ_k < ½) is min_k γ_k < ½, which the product bounds from
//   above (∏ γ ≤ min γ).
// - `minimal-edit` (arXiv 2406.02756): token rewards −1 / 0 / +1 from a Levenshtein alignment of a
//   rejected response with its minimal edit (`tokenalign data edit-labels`), regressed with squared
//   error; the response score is their sum Σ_k h_k, the return fine-grained PPO sees.
// - `value` (TVM, arXiv 2407.12863): soft targets v_{n,t} ∈ [0, 1] — the fraction of correct
//   rollouts among those sharing the prefix (`tokenalign value-targets`) — in the token-rewards
//   columns, fitted with per-token binary cross-entropy on σ(h_k) (the paper's loss) instead of
//   the squared error the `token` kind applies to token rewards; V(x, y_≤t) = σ(h_t), and the
//   response score is the value at the last token, σ(h_K) (what `--scorer value:DIR` reads).
// - `token` itself keeps the mean of σ(h_k) (length-independent, for comparing prefixes in search).
//
// A trained folder records its kind's response score in `config.json`
// (`"tokenalign_response_score"`), so `token-rm:DIR` as a scorer or reward reads it.
import Datasets
import Foundation
import Objectives
import Support

/// How a token-level reward model's per-token values h_k combine into one response score.
public enum TokenResponseScore: String, Sendable, CaseIterable {
    /// (1/K)·Σ_k σ(h_k): the `token` kind's score.
    case mean
    /// ∏_k σ(h_k): the probability that every token is good (TLDR).
    case product
    /// Σ_k h_k: the summed token rewards (minimal-edit labels).
    case sum
    /// σ(h_K): the value at the last token (TVM).
    case last

    /// The `config.json` key a trained folder records it under.
    public static let configKey = "tokenalign_response_score"

    /// The score a folder was trained for: its recorded value, `mean` when none is recorded (folders
    /// of the `token` kind and older ones).
    /// - Throws: `TrainingError.checkpoint` when the recorded value is not a known score.
    public static func of(folder: String) throws -> TokenResponseScore {
        let url = URL(fileURLWithPath: folder).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: url.path),
              let config = try JSONValue.parse(data, file: url.path).foundationObject as? [String: Any],
              let raw = config[configKey] else { return .mean }
        guard let name = raw as? String, let score = TokenResponseScore(rawValue: name) else {
            throw TrainingError.checkpoint(path: url.path, reason: "\(configKey) is \(raw), expected one of \(allCases.map(\.rawValue))")
        }
        return score
    }

    /// The per-token rewards whose sum is the response score in log or raw form: log σ(h_k) for
    /// `product` (they add up to log ∏ σ(h_k)), h_k otherwise.
    public func tokenRewards(_ h: [Float]) -> [Float] {
        switch self {
        case .product: h.map(Self.logSigmoid)
        case .mean, .sum, .last: h
        }
    }

    /// The response score of per-token values h_1…h_K, reported in (0, 1): the mean of σ(h_k), the
    /// product of σ(h_k), σ(Σ h_k), or σ(h_K). 0 for an empty response.
    public func responseScore(_ h: ArraySlice<Float>) -> Float {
        guard !h.isEmpty else { return 0 }
        switch self {
        case .mean:
            var s: Float = 0
            for x in h { s += 1 / (1 + exp(-x)) }
            return s / Float(h.count)
        case .product:
            var s: Float = 0
            for x in h { s += Self.logSigmoid(x) }
            return exp(s)
        case .sum:
            var s: Float = 0
            for x in h { s += x }
            return 1 / (1 + exp(-s))
        case .last:
            return 1 / (1 + exp(-h[h.index(before: h.endIndex)]))
        }
    }

    /// log σ(x) without overflow: −softplus(−x).
    static func logSigmoid(_ x: Float) -> Float {
        x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x))
    }
}

/// Which token annotations every row of a token-level kind must carry.
public enum TokenTargets: String, Sendable {
    /// Token labels: `rejected_error_spans` on every pair (binary cross-entropy).
    case labels
    /// Token rewards: `chosen_token_rewards` and `rejected_token_rewards` on every pair.
    case rewards
}

/// A token-level kind's data contract and response score.
public struct TokenKindSpec: Sendable {
    public var targets: TokenTargets
    public var responseScore: TokenResponseScore
    /// The command that makes rows for it (named in the error for a row without them).
    public var dataCommand: String
    /// The loss on token-reward targets: squared error on h_k (the `token` kind's), or binary
    /// cross-entropy on σ(h_k) with the rewards as soft labels in [0, 1] (TVM).
    public var rewardLoss: TokenRewardModelLoss.Kind

    public init(targets: TokenTargets, responseScore: TokenResponseScore, dataCommand: String,
                rewardLoss: TokenRewardModelLoss.Kind = .squaredError) {
        self.targets = targets
        self.responseScore = responseScore
        self.dataCommand = dataCommand
        self.rewardLoss = rewardLoss
    }

    /// Throws unless every pair carries the annotations this kind trains on.
    /// - Throws: `TrainingError.invalidConfiguration` naming the kind, the row (file:line) and the column.
    public func check(_ examples: TrainingExamples, kind: String) throws {
        guard case .pairs(let pairs) = examples else { return }
        for p in pairs {
            switch targets {
            case .labels:
                guard let l = p.rejected.tokenLabels, l.contains(where: { $0 > 0 }) else {
                    throw TrainingError.invalidConfiguration("--kind \(kind) trains on token labels: \(p.location) has no rejected_error_spans "
                        + "(a rejected response without them would be labelled bad at every token); make rows with `\(dataCommand)`")
                }
            case .rewards:
                guard p.chosen.tokenRewards != nil, p.rejected.tokenRewards != nil else {
                    throw TrainingError.invalidConfiguration("--kind \(kind) trains on token rewards: \(p.location) has no "
                        + "chosen_token_rewards / rejected_token_rewards; make rows with `\(dataCommand)`")
                }
                if rewardLoss == .binaryCrossEntropy {
                    for (side, r) in [("chosen", p.chosen), ("rejected", p.rejected)] {
                        guard let t = r.tokenRewards else { continue }
                        for k in r.promptLength ..< t.count where !(0 ... 1).contains(t[k]) {
                            throw TrainingError.invalidConfiguration("--kind \(kind) fits probabilities: \(p.location) \(side)_token_rewards has "
                                + "\(t[k]) at response token \(k - r.promptLength), outside [0, 1]; make rows with `\(dataCommand)`")
                        }
                    }
                }
            }
        }
    }
}
