// `tokenalign advantages`: runs a registered advantage estimator on stored rollouts, so a user can
// inspect the credit it gives each token without training. The online-RL trainer calls the same
// estimators.
import ArgumentParser
import Datasets
import Foundation
import Objectives
import TensorCore

struct AdvantagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advantages", abstract: "Advantages and returns of stored rollouts under a registered estimator.",
        discussion: """
        Input rows: "response_mask" (0/1 per response position), "reward" (a sequence reward, placed on the \
        last position whose mask is 1) and/or "token_rewards" (one per position), "group" (rows of one prompt \
        share it; default: each row alone), optional "values", "logprobs", "ref_logprobs", "entropies", \
        "token_ids". Output rows: the input plus "advantages" and "returns" (one per position; 0 where the \
        mask is 0).
        """)
    @Option(help: ArgumentHelp("Estimator: \(AdvantageEstimators.registry.names.joined(separator: ", ")).")) var estimator = "grpo"
    @Option(help: "Rollouts JSONL.") var input: String
    @Option(help: "Output JSONL.") var out: String
    @Option(help: "Discount γ.") var gamma: Float?
    @Option(help: "GAE λ.") var lambda: Float?
    @Option(help: "GRPO reward scaling: group, batch or none.") var scaleRewards: String?
    @Option(help: "ε added to standard deviations.") var epsilon: Float?
    @Option(help: "Whiten GAE advantages (true/false).") var whiten: Bool?

    func run() throws {
        var settings = AdvantageSettings(gamma: gamma, lambda: lambda, whiten: whiten, epsilon: epsilon)
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
        let batch = try RolloutBatch(mask: mask, tokenRewards: rewards, groupIDs: groups, values: try padded("values"),
                                     oldLogps: try padded("logprobs"), referenceLogps: try padded("ref_logprobs"),
                                     entropies: try padded("entropies"), tokenIDs: tokenIDs)
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
}
