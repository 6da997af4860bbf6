// The one scoring harness of `tokenalign demo rm`: every contender is a `ResponseScorer` scored by
// `RMEvaluation.run` on the same held-out file (rb1 strict pairs, every robustness transformation,
// the reward–length correlation), exactly as `tokenalign eval rm` scores it; token-level kinds are
// also read token by token on the held-out rejected responses and scored for first-error
// localisation as `tokenalign credit --source token-rm:DIR` scores them (CreditLocalisation).
//
// A kind's folder is read the way the rest of the toolkit reads it: sequence heads at the last
// token (`eval rm`), token heads by the response score their folder records (`token-rm:DIR`:
// mean σ, TLDR's ∏ σ, minimal-edit's σ(Σ), TVM's last value), a multifurcation model by its last
// transition (`mrm:DIR`), GenARM's autoregressive model by Σ log π_r (`eval rm --ref-free sum`), a
// CLoud model by its head after its own greedy critique (`eval rm --model DIR`).
import CreditBench
import Datasets
import Evaluation
import Foundation
import Models
import OnlineRL
import Rewards
import Search
import Tokenizers
import Training

struct RMDemoHarness {
    let tokenizer: Tokenizer
    let rows: [RMBenchRow]
    let maxNewTokens: Int
    /// Held-out rejected responses as (prompt ids, response ids + EOS), tokenised as `credit` does.
    let rejected: [PromptResponse]
    let firstErrors: [Int]
    /// The held-out pair each localisation row came from (bootstrap group).
    let rejectedPair: [Int]

    init(task: any CreditTask, tokenizer: Tokenizer, held: [RMDemoEvalPair], benchFile: String, maxNewTokens: Int) throws {
        self.tokenizer = tokenizer
        self.maxNewTokens = maxNewTokens
        rows = try RMBenchRow.read(benchFile)
        let eos = tokenizer.eosTokenID ?? 0
        var rejected: [PromptResponse] = [], firstErrors: [Int] = [], pair: [Int] = []
        for (i, p) in held.enumerated() {
            let credit = TokenCredit(task: task, example: p.example, response: p.rejected, tokenizer: tokenizer)
            guard let e = credit.firstErrorToken else { continue }
            let full = tokenizer.encode(p.example.prompt + p.rejected, addSpecialTokens: false, parseSpecialTokens: false)
            let promptIDs = Array(full.prefix(full.count - credit.ids.count))
            guard !promptIDs.isEmpty else { continue }
            rejected.append(PromptResponse(prompt: promptIDs, response: credit.ids + [eos]))
            firstErrors.append(e)
            pair.append(i)
        }
        self.rejected = rejected
        self.firstErrors = firstErrors
        rejectedPair = pair
    }

    /// Mean of 1/(e + 1) over the localisation rows: top-1 of a uniformly random blame.
    var top1Chance: Double {
        firstErrors.isEmpty ? .nan : firstErrors.map { 1 / Double($0 + 1) }.reduce(0, +) / Double(firstErrors.count)
    }

    /// The scorer that reads a trained folder of kind `entry` the way the toolkit reads such folders.
    func scorer(_ entry: RewardModelKindEntry, folder: String, beta: Double) throws -> any ResponseScorer {
        if entry.critiqueOutLoud { return try CritiqueOutLoudResponseScorer(folder: folder) }
        if entry.autoregressive { return try ImplicitRewardScorer(policy: folder, reference: nil, beta: beta, referenceFree: .sum) }
        if !entry.tokenLevel && !entry.multifurcation { return try RewardHeadScorer(folder: folder) }
        let spec = (entry.multifurcation ? "mrm:" : "token-rm:") + folder
        let context = ScorerContext(tokenizer: tokenizer, vocabularySize: tokenizer.vocabularySize, maxNewTokens: maxNewTokens)
        return SequenceResponseScorer(scorer: try SequenceScorers.make(spec, context: context), tokenizer: tokenizer,
                                      appendEOS: RMDemoRows.of(entry).appendsEOS, name: entry.card.name)
    }

    /// One contender on one seed: the harness's report, and with `tokenFolder` the localisation.
    func evaluate(_ scorer: any ResponseScorer, seed: UInt64?, tokenFolder: String?) throws -> RMDemoSeedRun {
        let (report, scores) = try RMEvaluation.run(rows, scorer: scorer, scoring: .rb1, robustness: true)
        var run = RMDemoSeedRun(seed: seed, pairAccuracy: report.pairAccuracy,
                                pairCorrect: RMEvaluation.pairCorrectness(rows, scores, scoring: .rb1),
                                robustness: report.robustness ?? [:], lengthSpearman: report.length.spearman)
        if let tokenFolder { run.localisation = try localise(tokenFolder) }
        return run
    }

    /// The token head's value at every response token of the held-out rejected responses (low =
    /// blamed), scored against the known first error.
    func localise(_ folder: String) throws -> [ResponseLocalisation] {
        let loader = CreditSourceLoader(tokenizer: tokenizer)
        let readout = RewardModelReadout(try loader.rewardModel(folder), padID: loader.padID)
        let values = readout.readout(rejected.map { Episode(prompt: $0.prompt, response: $0.response) }).tokens
        return values.indices.map { k in
            let l = CreditLocalisation(rewards: values[k], firstError: firstErrors[k])
            return ResponseLocalisation(prompt: rejectedPair[k], auroc: l.auroc, hit: l.hit)
        }
    }
}

/// A search scorer (`token-rm:DIR`, `mrm:DIR`, …) as a `ResponseScorer`: each text tokenised as its
/// folder was trained (prompt, then completion, with or without the EOS), the responses of one
/// prompt scored together.
final class SequenceResponseScorer: ResponseScorer {
    let name: String
    let scorer: any SequenceScorer
    let encoder: DatasetEncoder

    init(scorer: any SequenceScorer, tokenizer: Tokenizer, appendEOS: Bool, name: String) {
        self.scorer = scorer
        self.name = name
        encoder = DatasetEncoder(tokenizer: tokenizer, options: EncodingOptions(maxLength: 128, appendEOS: appendEOS))
    }

    func scores(_ items: [(prompt: String, response: String)], location: (Int) -> RowLocation) throws -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(items.count)
        var ledger = CostLedger()
        var lo = 0
        while lo < items.count {
            var hi = lo + 1
            while hi < items.count && items[hi].prompt == items[lo].prompt { hi += 1 }
            var promptIDs: [Int] = []
            var answers: [Answer] = []
            for i in lo ..< hi {
                let s = try encoder.encodeSequence(.promptCompletion(prompt: .text(items[i].prompt), completion: .text(items[i].response)),
                                                   at: location(i)).sequence
                promptIDs = Array(s.ids[..<s.promptLength])
                answers.append(Answer(ids: Array(s.ids[s.promptLength...]), text: items[i].response))
            }
            let prompt = RLPrompt(location: location(lo), text: items[lo].prompt, ids: promptIDs)
            out += try scorer.scores(prompt, answers, ledger: &ledger).map(Double.init)
            lo = hi
        }
        return out
    }
}
