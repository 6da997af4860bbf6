// Token-credit sources scored on held-out rejected responses whose first erroneous token is known
// (docs/design/rewards.md §4; Evaluation.CreditLocalisation for the metrics). The sources are the
// rows of the credit-source registry (CreditSources.swift).
import CreditBench
import Evaluation
import Foundation
import Models
import Reports
import Rewards
import Tokenizers

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

    /// The rows as episodes (what token-reward sources read).
    var episodes: [Episode] { rows.map { Episode(prompt: $0.prompt, response: $0.response) } }

    /// Every registered credit source's rows (`CreditSources.registry`, in registration order),
    /// each scored on every rejected response.
    func sources(_ models: CreditDemoModels) -> [CreditSource] {
        let episodes = episodes
        return CreditSources.registry.entries.flatMap { $0.make(models) }.map { row in
            let rewards = row.source.tokenRewards(episodes).map(\.values)
            precondition(rewards.count == episodes.count && zip(rewards, episodes).allSatisfy { $0.count == $1.response.count },
                         "credit source \(row.name): rewards do not line up with the \(episodes.count) responses' tokens")
            return CreditSource(name: row.name, explanation: row.explanation, rewards: rewards)
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
                                  top1Chance: chance, responses: s.responses,
                                  perResponse: items.map { ResponseLocalisation(prompt: $0.prompt, auroc: $0.localisation.auroc, hit: $0.localisation.hit) })
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
