// `--scorer cloud-rm:DIR[,samples=K][,temperature=T][,seed=S]`: a CLoud reward model (arXiv
// 2408.11791; docs/design/rewards.md §11) ranking answers by σ(head) read after its own
// critique, as `rm` ranks by σ(head). Writing the critique is most of its cost, so the ledger gets
// it as the scorer's forward work: the generation's prefill and decode positions and calls, then
// the reading pass (`CostLedger.recordCritiques`). A prefix is critiqued like an answer.
import Foundation
import OnlineRL
import Training

public final class CritiqueOutLoudScorer: SequenceScorer {
    public let reward: CritiqueOutLoudReward
    public let name = "cloud-rm"

    public init(argument: String?, context: ScorerContext) throws {
        do { reward = try CritiqueOutLoudReward(argument: argument, weights: context.rewardModelWeights) } catch {
            throw SearchError.invalidSetting("--scorer cloud-rm:\(argument ?? ""): \(error)")
        }
    }

    public func scores(_ prompt: RLPrompt, _ answers: [Answer], ledger: inout CostLedger) throws -> [Float] {
        guard !answers.isEmpty else { return [] }
        let items = answers.map { CritiqueOutLoudReward.item(promptColumns: prompt.columns, promptText: prompt.text, response: $0.text) }
        let judged: CritiqueJudgement
        do { judged = try reward.critic.judge(items, samples: reward.samples, seed: reward.seed) } catch {
            throw SearchError.badRow("\(prompt.location): \(error)")
        }
        ledger.recordCritiques(name, judged.work)
        return judged.scores.map { 1 / (1 + Foundation.exp(-$0)) }
    }

    public func prefixScores(_ prompt: RLPrompt, _ prefixes: [Answer], ledger: inout CostLedger) throws -> [Float] {
        try scores(prompt, prefixes, ledger: &ledger)
    }
}

extension CostLedger {
    /// Records a critic's work under `scorer`: its critique generation (prefill and decode positions,
    /// one call per step) and its reading passes (prefill positions, one call each).
    public mutating func recordCritiques(_ scorer: String, _ work: CritiqueWork) {
        var c = scorers[scorer] ?? ModelCost()
        c.prefillTokens += work.prefillTokens + work.readTokens
        c.decodeTokens += work.decodeTokens
        c.forwardCalls += work.generationCalls + work.readCalls
        scorers[scorer] = c
    }
}
