// Token-credit sources scored on held-out rejected responses whose first erroneous token is known
// (docs/design/rewards.md §4; Evaluation.CreditLocalisation for the metrics).
import Autograd
import CreditBench
import Evaluation
import Foundation
import Models
import Objectives
import Reports
import TensorCore
import Tokenizers
import Training

/// Per-token rewards r̂ from one credit source for every rejected response (low = blamed).
public struct CreditSource: Sendable {
    public var name: String
    public var explanation: String
    public var rewards: [[Float]]
}

struct CreditScoring {
    let settings: CreditDemoSettings
    let tokenizer: Tokenizer
    /// Rejected responses as (prompt ids, response ids + EOS), tokenised as the trainers tokenise.
    private(set) var rows: [PromptResponse] = []
    /// First erroneous response token of each row (may be the EOS: the response stopped too early).
    private(set) var firstErrors: [Int] = []
    /// Held-out prompt of each row (bootstrap groups).
    private(set) var prompts: [Int] = []
    private(set) var texts: [(prompt: String, response: String)] = []

    init(settings: CreditDemoSettings, task: any CreditTask, tokenizer: Tokenizer, pairs: [CreditDemo.Pair]) {
        self.settings = settings
        self.tokenizer = tokenizer
        let eos = tokenizer.eosTokenID ?? 0
        for p in pairs {
            let credit = TokenCredit(task: task, example: p.example, response: p.rejected, tokenizer: tokenizer)
            guard let e = credit.firstErrorToken else { continue }  // rejected responses are wrong by construction
            let full = tokenizer.encode(p.example.prompt + p.rejected, addSpecialTokens: false, parseSpecialTokens: false)
            let promptIDs = Array(full.prefix(full.count - credit.ids.count))
            guard !promptIDs.isEmpty else { continue }
            rows.append(PromptResponse(prompt: promptIDs, response: credit.ids + [eos]))
            firstErrors.append(e)
            prompts.append(p.promptIndex)
            texts.append((p.example.prompt, p.rejected))
        }
    }

    var padID: Int { tokenizer.padTokenID ?? 0 }

    /// Every credit source of the demo, in report order.
    func sources(reference: any LanguageModel, trained: [(String, any LanguageModel)], positive: any LanguageModel,
                 negative: any LanguageModel, sequenceRM: CreditDemo.RewardModel, tokenRM: CreditDemo.RewardModel) -> [CreditSource] {
        let V = reference.vocabularySize, beta = settings.beta
        var out: [CreditSource] = []
        for (name, model) in trained {
            let r = ResponseScoring.perToken(models: [model, reference], rows: rows, padID: padID) { z, y in
                beta * (ResponseScoring.logProb(z[0], V, y) - ResponseScoring.logProb(z[1], V, y))
            }
            out.append(CreditSource(name: "implicit reward (\(name))",
                                    explanation: "β·log π_\(name)(y_t)/π_SFT(y_t): the \(name) model's implicit token reward (r→Q*, arXiv:2404.12358)",
                                    rewards: r))
        }
        // cDPO's contrastive estimate c_t = softmax(2 z⁺ − z⁻)[y_t] (arXiv:2411.19943, γ = 1): low on
        // tokens the positive model would not write but the negative one would.
        let contrast = ResponseScoring.perToken(models: [positive, negative], rows: rows, padID: padID) { z, y in
            var m = -Float.infinity
            for v in 0 ..< V { m = max(m, 2 * z[0][v] - z[1][v]) }
            var s: Float = 0
            for v in 0 ..< V { s += expf(2 * z[0][v] - z[1][v] - m) }
            return expf(2 * z[0][y] - z[1][y] - m) / s
        }
        out.append(CreditSource(name: "cDPO contrastive", explanation: "softmax(2·z⁺ − z⁻)[y_t] from models fine-tuned on correct / wrong samples (arXiv:2411.19943)",
                                rewards: contrast))
        out.append(CreditSource(name: "token RM", explanation: "per-token score of a reward head trained on the verifier's error spans (token-level RM loss)",
                                rewards: rewardScores(tokenRM).tokens))
        out.append(CreditSource(name: "attention (ABC)", explanation: "sequence RM score R spread by the RM's last-layer attention from the scoring position, head-averaged: R·α_t (arXiv:2402.00782, β = 1)",
                                rewards: attentionCredit(sequenceRM)))
        let entropy = ResponseScoring.perToken(models: [reference], rows: rows, padID: padID) { z, _ in -ResponseScoring.entropy(z[0], V) }
        out.append(CreditSource(name: "entropy (SFT)", explanation: "−H(π_SFT(·|y_<t)): blame where the starting policy was unsure",
                                rewards: entropy))
        let confidence = ResponseScoring.perToken(models: [reference], rows: rows, padID: padID) { z, y in ResponseScoring.logProb(z[0], V, y) }
        out.append(CreditSource(name: "confidence (SFT)", explanation: "log π_SFT(y_t): blame the tokens the starting policy found unlikely (CRew-style, arXiv:2510.13501)",
                                rewards: confidence))
        var rng = Evaluation.SplitMix64(seed: settings.seed &+ 999)
        let random = rows.map { r in r.response.map { _ in Float(Double(rng.next() >> 11) / Double(1 << 53)) } }
        out.append(CreditSource(name: "random", explanation: "uniform noise: the chance level", rewards: random))
        return out
    }

    /// A reward model's per-token scores (entry j = the head at response token j's position) and its
    /// sequence score (the head at the last token, where `…ForSequenceClassification` reads).
    func rewardScores(_ rm: CreditDemo.RewardModel) -> (tokens: [[Float]], sequence: [Float]) {
        var tokens = rows.map { [Float](repeating: 0, count: $0.response.count) }
        var sequence = [Float](repeating: 0, count: rows.count)
        forEachBatch { lo, chunk, input in
            let s = rm.head.scores(rm.backbone.hiddenStates(input, attentionMask: nil, cache: nil).value)  // [B, L]
            let L = input.shape[1], p = s.scalars
            for (b, r) in chunk.enumerated() {
                for j in 0 ..< r.response.count { tokens[lo + b][j] = p[b * L + r.prompt.count + j] }
                sequence[lo + b] = p[b * L + r.prompt.count + r.response.count - 1]
            }
        }
        return (tokens, sequence)
    }

    /// ABC: R·α_t with α from the sequence RM's last layer at the scoring position.
    func attentionCredit(_ rm: CreditDemo.RewardModel) -> [[Float]] {
        let R = rewardScores(rm).sequence
        var out = rows.map { [Float](repeating: 0, count: $0.response.count) }
        guard let inspect = rm.backbone as? any ActivationInspecting else { return out }
        forEachBatch { lo, chunk, input in
            let a = inspect.attentionProbabilities(input, layer: rm.backbone.layerCount - 1, attentionMask: nil)  // [B, H, L, L]
            let H = a.shape[1], L = a.shape[2]
            for (b, r) in chunk.enumerated() {
                let one = a.rows(b ..< b + 1).reshaped([H, L, L])
                let P = r.prompt.count, n = r.response.count
                let w = AttentionCredit.weights(attention: one, scoringPosition: P + n - 1, response: P ..< P + n)
                out[lo + b] = w.map { $0 * R[lo + b] }
            }
        }
        return out
    }

    func forEachBatch(_ body: (_ lo: Int, _ chunk: ArraySlice<PromptResponse>, _ input: IndexTensor) -> Void) {
        for lo in stride(from: 0, to: rows.count, by: 64) {
            let chunk = rows[lo ..< min(lo + 64, rows.count)]
            withoutGradients { body(lo, chunk, ResponseScoring.paddedInput(chunk, padID: padID)) }
        }
    }

    /// Localisation of one source with bootstrap CIs over held-out prompts.
    func summarise(_ source: CreditSource) -> CreditSourceResult {
        let items = zip(prompts, zip(source.rewards, firstErrors)).map { p, re in
            (prompt: p, localisation: CreditLocalisation(rewards: re.0, firstError: re.1))
        }
        let s = LocalisationSummary(items, resamples: settings.bootstrapResamples, seed: settings.seed &+ 31)
        let chance = firstErrors.isEmpty ? .nan : firstErrors.map { 1 / Double($0 + 1) }.reduce(0, +) / Double(firstErrors.count)
        return CreditSourceResult(name: source.name, explanation: source.explanation, auroc: s.auroc, top1: s.top1,
                                  top1Chance: chance, responses: s.responses)
    }

    /// Heatmaps of the first `count` rejected responses under every source.
    func heatmaps(_ sources: [CreditSource], count: Int) -> [(title: String, maps: [TokenHeatmap])] {
        (0 ..< min(count, rows.count)).map { k in
            let tokens = rows[k].response.map { id in id == tokenizer.eosTokenID ? "⟨eos⟩" : tokenizer.decode([id]) }
            let title = "\(texts[k].prompt) → \(texts[k].response.replacingOccurrences(of: "\n", with: "↵"))  (first error: token \(firstErrors[k]))"
            return (title, sources.map { TokenHeatmap(title: $0.name, tokens: tokens, rewards: $0.rewards[k], firstError: firstErrors[k]) })
        }
    }
}
