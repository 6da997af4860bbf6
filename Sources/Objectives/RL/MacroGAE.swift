// GAE over macro actions: the critic is read once per macro and every token of a macro shares its
// advantage, which shortens the credit-assignment horizon by the macro length.
import Support
import TensorCore

/// MA-RLHF, Chai et al. 2024, arXiv 2410.02743 (ICLR 2025). A row's trained tokens are cut into
/// macros ω by a `MacroRule`. Backwards over the macros of each row:
///   R_ω = Σ_{t∈ω} r_t,  V_ω = V at ω's first token,
///   δ_ω = R_ω + γ V_{ω+1} − V_ω,  A_ω = δ_ω + γλ A_{ω+1},  G_ω = A_ω + V_ω,
/// with V after the last macro 0; every token of ω gets A_ω and the return G_ω. This is the
/// issue's choice among the paper's value weightings (its `unit` weighting read at the first
/// token rather than the last, with the rewards summed so a terminal reward is never averaged
/// away). Macros of length 1 are token-level GAE exactly, holes included (masked positions are
/// skipped and never read). Whitening, γ and λ as `gae` (defaults 1, 0.95, whiten), so that
/// `macro: ngram:1` reproduces `gae` bit for bit. Text rules (`punct`, `space`) read
/// `RolloutBatch.macroStarts`, which the trainer fills from the decoded tokens.
public struct MacroGAE: AdvantageEstimator {
    public var rule: MacroRule
    /// γ, λ and whitening, validated as token-level GAE's.
    public var gae: GAE

    public init(rule: MacroRule = .ngram(5), gamma: Float = 1, lambda: Float = 0.95, whiten: Bool = true) throws {
        self.rule = rule
        gae = try GAE(gamma: gamma, lambda: lambda, whiten: whiten)
    }

    public var name: String { "ma-gae" }
    public var readsValues: Bool { true }

    public func estimate(_ batch: RolloutBatch) throws -> Advantages {
        let rewards = try batch.finiteRows(batch.tokenRewards, "tokenRewards")
        let values = try batch.required(batch.values, "values", by: name)
        let marks = rule.readsText ? try batch.required(batch.macroStarts, "macroStarts (macro: \(rule))", by: name) : nil
        let m = batch.mask.scalars, B = batch.rowCount, T = batch.length
        var adv = [Float](repeating: 0, count: B * T), ret = adv
        let g = Double(gae.gamma), gl = Double(gae.gamma) * Double(gae.lambda)
        for i in 0 ..< B {
            let positions = batch.trainedPositions(row: i, mask: m)
            // Macro start indices (into `positions`); the first trained token always starts one.
            var starts: [Int] = []
            for (k, t) in positions.enumerated() {
                let isStart: Bool
                if case .ngram(let n) = rule { isStart = k % n == 0 } else { isStart = (marks?[i * T + t] ?? 0) != 0 }
                if k == 0 || isStart { starts.append(k) }
            }
            var nextValue = 0.0, lastGAE = 0.0
            for (w, lo) in starts.enumerated().reversed() {
                let hi = w + 1 < starts.count ? starts[w + 1] : positions.count
                var reward = 0.0
                for k in lo ..< hi { reward += Double(rewards[i * T + positions[k]]) }
                let value = Double(values[i * T + positions[lo]])
                lastGAE = reward + g * nextValue - value + gl * lastGAE
                for k in lo ..< hi {
                    adv[i * T + positions[k]] = Float(lastGAE)
                    ret[i * T + positions[k]] = Float(lastGAE + value)
                }
                nextValue = value
            }
        }
        if gae.whiten { adv = AdvantageStatistics.maskedWhiten(adv, mask: m) }
        return Advantages(advantages: Tensor(shape: [B, T], data: adv), returns: Tensor(shape: [B, T], data: ret))
    }

    static let entry = AdvantageEstimatorEntry(
        card: MethodCard(name: "ma-gae", aliases: ["ma-rlhf", "macro-gae"],
                         summary: "GAE over macro actions (n-grams, punctuation or word boundaries): value at each macro's first token, rewards summed, advantage shared",
                         arxiv: ["2410.02743", "1506.02438"], inputs: ["token rewards", "values V_t", "macro starts (text rules)"],
                         defaults: ["gamma": "1.0", "lam": "0.95", "whiten_advantages": "true", "macro": "ngram:5"]),
        make: { s in
            try MacroGAE(rule: try MacroRule(parsing: s.macro ?? "ngram:5"), gamma: s.gamma ?? 1, lambda: s.lambda ?? 0.95, whiten: s.whiten ?? true)
        })
}
