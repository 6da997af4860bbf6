// `tokenalign advantages`: runs a registered advantage estimator on stored rollouts, so a user can
// inspect the credit it gives each token without training. The online-RL trainer calls the same
// estimators.
import ArgumentParser
import Datasets
import Foundation
import Models
import Objectives
import OnlineRL
import TensorCore

struct AdvantagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advantages", abstract: "Advantages and returns of stored rollouts under a registered estimator.",
        discussion: """
        Input rows: "response_mask" (0/1 per response position), "reward" (a sequence reward, placed on the \
        last position whose mask is 1) and/or "token_rewards" (one per position), "group" (rows of one prompt \
        share it; default: each row alone), optional "values", "logprobs", "ref_logprobs", "entropies", \
        "token_ids". Output rows: the input plus "advantages" and "returns" (one per position; 0 where the \
        mask is 0). Estimators that read the policy's hidden states and probability rows (thr) need \
        --model, and rows with "prompt_ids" (the prompt's token ids) and "token_ids" (the response's, one \
        per position): one no-grad pass of the model over prompt + response gives them.
        """)
    @Option(help: ArgumentHelp("Estimator: \(AdvantageEstimators.registry.names.joined(separator: ", ")).")) var estimator = "grpo"
    @Option(help: "Rollouts JSONL.") var input: String
    @Option(help: "Output JSONL.") var out: String
    @Option(help: "Discount γ.") var gamma: Float?
    @Option(help: "GAE λ.") var lambda: Float?
    @Option(help: "GRPO reward scaling: group, batch or none.") var scaleRewards: String?
    @Option(help: "ε added to standard deviations.") var epsilon: Float?
    @Option(help: "Whiten GAE advantages (true/false).") var whiten: Bool?
    @Option(help: "The policy that sampled the rollouts (a folder or .gguf): estimators that read its hidden states and probability rows (thr) need it.")
    var model: String?
    @Option(help: "The sampling temperature the probability rows are taken at (with --model).") var temperature: Float = 1
    @OptionGroup var weightsOption: WeightsOption
    @Option(help: "THR: signed steering weight p in −1…1.") var thrP: Float?
    @Option(help: "THR: β of the dominance threshold.") var thrBeta: Float?
    @Option(help: "THR: reweight (non-dominant tokens keep GRPO's advantage) or dominant (they get 0).") var thrMode: String?

    func run() throws {
        var settings = AdvantageSettings(gamma: gamma, lambda: lambda, whiten: whiten, epsilon: epsilon)
        settings.thrP = thrP
        settings.thrBeta = thrBeta
        if let thrMode {
            guard let m = THRAdvantage.Mode(rawValue: thrMode) else { throw ValidationError("--thr-mode: expected reweight or dominant, got \(thrMode)") }
            settings.thrMode = m
        }
        if let s = scaleRewards {
            guard let v = RewardScaling(rawValue: s) else { throw ValidationError("--scale-rewards: expected group, batch or none, got \(s)") }
            settings.scaleRewards = v
        }
        let est = try AdvantageEstimators.make(estimator, settings: settings)
        let rows = try JSONLReader.read(input)
        guard !rows.isEmpty else { throw InputDataError("\(input): no rows") }
        func numbers(_ row: JSONLRow, _ key: String) throws -> [Float]? {
            guard let v = row.object[key] else { return nil }
            guard let list = v as? [Any] else { throw InputDataError("\(row.location): \"\(key)\" must be a list of numbers") }
            return try list.enumerated().map { i, x in
                guard let n = x as? NSNumber, !isJSONBoolean(n) else { throw InputDataError("\(row.location): \(key)[\(i)] is not a number") }
                return n.floatValue
            }
        }
        var masks: [[Float]] = [], groupKeys: [String] = []
        for row in rows {
            guard let m = try numbers(row, "response_mask") else { throw InputDataError("\(row.location): missing \"response_mask\"") }
            guard m.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw InputDataError("\(row.location): response_mask entries must be 0 or 1") }
            masks.append(m)
            groupKeys.append(row.object["group"].map { "\($0)" } ?? "row \(row.location.line)")
        }
        let B = rows.count, T = max(1, masks.map(\.count).max() ?? 1)
        func padded(_ key: String, required: Bool = false) throws -> Tensor? {
            var out = [Float](repeating: 0, count: B * T), any = false
            for (i, row) in rows.enumerated() {
                guard let v = try numbers(row, key) else {
                    if required || any { throw InputDataError("\(row.location): missing \"\(key)\" (other rows have it)") }
                    continue
                }
                if i > 0 && !any { throw InputDataError("\(row.location): \"\(key)\" is given here but not on earlier rows") }
                any = true
                guard v.count == masks[i].count else {
                    throw InputDataError("\(row.location): \"\(key)\" has \(v.count) entries, response_mask has \(masks[i].count)")
                }
                for (t, x) in v.enumerated() { out[i * T + t] = x }
            }
            return any ? Tensor(shape: [B, T], data: out) : nil
        }
        var maskData = [Float](repeating: 0, count: B * T)
        for (i, m) in masks.enumerated() { for (t, x) in m.enumerated() { maskData[i * T + t] = x } }
        let mask = Tensor(shape: [B, T], data: maskData)
        var rewards = try padded("token_rewards") ?? Tensor(shape: [B, T], repeating: 0)
        let sequence = try rows.map { row -> Float? in
            guard let r = row.object["reward"] else { return nil }
            guard let n = r as? NSNumber, !isJSONBoolean(n) else { throw InputDataError("\(row.location): \"reward\" must be a number") }
            return n.floatValue
        }
        if sequence.contains(where: { $0 != nil }) {
            guard sequence.allSatisfy({ $0 != nil }) else { throw InputDataError("\(input): \"reward\" is on some rows but not all") }
            rewards = rewards + (try RolloutBatch.placingSequenceRewards(sequence.map { $0! }, mask: mask))
        } else if try padded("token_rewards") == nil {
            throw InputDataError("\(input): rows need \"reward\" or \"token_rewards\"")
        }
        var ids: [String: Int] = [:]
        let groups = groupKeys.map { k in ids[k] ?? { ids[k] = ids.count; return ids.count - 1 }() }
        let tokenIDs = try padded("token_ids").map { t in IndexTensor(shape: [B, T], data: t.scalars.map { Int32($0) }) }
        var states: (hidden: Tensor, probabilities: Tensor)?
        if est.readsHiddenStates {
            guard let model else {
                throw ValidationError("--estimator \(estimator) reads the policy's hidden states and probability rows: give --model (the policy that sampled the rollouts)")
            }
            states = try policyStates(model: model, rows: rows, masks: masks, length: T)
        } else if model != nil {
            throw ValidationError("--model is read only by estimators that need the policy's hidden states (thr); --estimator \(estimator) does not")
        }
        let batch = try RolloutBatch(mask: mask, tokenRewards: rewards, groupIDs: groups, values: try padded("values"),
                                     oldLogps: try padded("logprobs"), referenceLogps: try padded("ref_logprobs"),
                                     entropies: try padded("entropies"), tokenIDs: tokenIDs,
                                     hiddenStates: states?.hidden, probabilities: states?.probabilities)
        let result = try est.estimate(batch)
        var outRows: [[String: Any]] = []
        for (i, row) in rows.enumerated() {
            var o = row.object
            let n = masks[i].count
            o["advantages"] = (0 ..< n).map { Double(result.advantages.scalars[i * T + $0]) }
            o["returns"] = (0 ..< n).map { Double(result.returns.scalars[i * T + $0]) }
            outRows.append(o)
        }
        try writeJSONL(outRows, to: out)
        FileHandle.standardError.write(Data("\(B) rows, estimator \(estimator) → \(out)\n".utf8))
    }

    /// THR's inputs: one no-grad pass of `model` over each row's "prompt_ids" + "token_ids".
    func policyStates(model path: String, rows: [JSONLRow], masks: [[Float]], length T: Int) throws -> (hidden: Tensor, probabilities: Tensor) {
        guard temperature > 0 && temperature.isFinite else { throw ValidationError("--temperature: expected a number > 0, got \(temperature)") }
        let loaded = try PretrainedModel.load(path: path, weights: weightsOption.weights)
        weightsOption.report(loaded)
        let vocabulary = loaded.model.vocabularySize
        func ids(_ row: JSONLRow, _ key: String) throws -> [Int] {
            guard let list = row.object[key] as? [Any] else {
                throw InputDataError("\(row.location): --estimator \(estimator) needs \"\(key)\" (a list of token ids)")
            }
            return try list.enumerated().map { i, x in
                guard let n = x as? NSNumber, !isJSONBoolean(n), let v = Int(exactly: n.doubleValue), (0 ..< vocabulary).contains(v) else {
                    throw InputDataError("\(row.location): \(key)[\(i)] is not a token id below the model's vocabulary size \(vocabulary)")
                }
                return v
            }
        }
        var prompts: [[Int]] = [], completions: [[Int]] = []
        for (i, row) in rows.enumerated() {
            let p = try ids(row, "prompt_ids"), c = try ids(row, "token_ids")
            guard !p.isEmpty else { throw InputDataError("\(row.location): \"prompt_ids\" is empty (the first response token is predicted from the prompt's last one)") }
            guard c.count == masks[i].count else {
                throw InputDataError("\(row.location): \"token_ids\" has \(c.count) entries, response_mask has \(masks[i].count)")
            }
            prompts.append(p)
            completions.append(c)
        }
        let pad = loaded.tokenizer.flatMap { $0.padTokenID ?? $0.eosTokenID } ?? 0
        loaded.model.eval()
        return PolicyStates.completionStates(model: loaded.model, prompts: prompts, completions: completions, padID: pad,
                                             temperature: temperature, length: T)
    }
}
