// `--reward cloud-rm:DIR[,samples=K][,temperature=T][,seed=S]`: a CLoud reward model (arXiv
// 2408.11791; docs/design/rewards.md §11) as an online-RL reward. For every completion the model
// first writes its critique of (prompt, response) and its head is read at the critique's end; the
// reward goes on the completion's last token. The critic works on texts — the row's "prompt" column
// (else the prompt as the policy saw it) and the completion's text — re-encoded with its own
// tokenizer exactly as it was trained, so it needs no tokenizer agreement with the policy.
// `samples=K` averages the head over K critiques (the paper's self-consistency, sampled: give
// temperature > 0); `temperature` overrides the folder's; `seed` seeds the sampled critiques.
import Foundation
import Models
import Support
import Training

public struct CritiqueOutLoudReward: RewardFunction {
    public let critic: CritiqueOutLoudModel
    public let samples: Int
    public let seed: UInt64
    public var name: String { "cloud-rm" }

    public init(critic: CritiqueOutLoudModel, samples: Int = 1, seed: UInt64 = 0) {
        self.critic = critic
        self.samples = samples
        self.seed = seed
    }

    /// Parses `DIR[,samples=K][,temperature=T][,seed=S]` and loads the folder.
    /// - Throws: `RewardError` naming the option, or the folder when it is not a CLoud reward model.
    public init(argument: String?, weights: WeightFormat = .f32) throws {
        let parts = CommaList.strings(argument ?? "")
        guard let dir = parts.first, !dir.isEmpty else {
            throw RewardError("cloud-rm needs a CLoud reward-model folder: cloud-rm:DIR[,samples=K][,temperature=T][,seed=S]")
        }
        var samples = 1, seed: UInt64 = 0, temperature: Float?
        for option in parts.dropFirst() {
            let kv = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw RewardError("cloud-rm:\(argument!): '\(option)' is not KEY=VALUE (samples, temperature or seed)") }
            switch kv[0] {
            case "samples":
                guard let k = Int(kv[1]), k >= 1 else { throw RewardError("cloud-rm:\(argument!): samples must be an integer ≥ 1, got '\(kv[1])'") }
                samples = k
            case "temperature":
                guard let t = Float(kv[1]), t.isFinite, t >= 0 else { throw RewardError("cloud-rm:\(argument!): temperature must be a number ≥ 0, got '\(kv[1])'") }
                temperature = t
            case "seed":
                guard let s = UInt64(kv[1]) else { throw RewardError("cloud-rm:\(argument!): seed must be a non-negative integer, got '\(kv[1])'") }
                seed = s
            default:
                throw RewardError("cloud-rm:\(argument!): unknown option '\(kv[0])'; expected samples, temperature or seed")
            }
        }
        var critic: CritiqueOutLoudModel
        do { critic = try CritiqueOutLoudModel.load(folder: dir, weights: weights) } catch { throw RewardError("\(error)") }
        if let temperature {
            critic = CritiqueOutLoudModel(model: critic.model, head: critic.head, tokenizer: critic.tokenizer,
                                          spec: CritiqueSpec(cue: critic.spec.cue, maxCritiqueTokens: critic.spec.maxCritiqueTokens, temperature: temperature),
                                          path: critic.path)
        }
        if samples > 1 && critic.spec.temperature == 0 {
            throw RewardError("cloud-rm:\(argument!): samples=\(samples) with greedy critiques repeats one critique; give temperature=T > 0")
        }
        self.init(critic: critic, samples: samples, seed: seed)
    }

    /// The texts the critic reads for a completion.
    public static func item(promptColumns: [String: Any], promptText: String, response: String) -> (prompt: String, response: String) {
        (promptColumns["prompt"] as? String ?? promptText, response)
    }

    /// The judgement of every completion (scores and the critic's work).
    public func judge(_ completions: [Completion]) throws -> CritiqueJudgement {
        let items = completions.map { Self.item(promptColumns: $0.prompt.columns, promptText: $0.prompt.text, response: $0.text) }
        do { return try critic.judge(items, samples: samples, seed: seed) } catch {
            throw RewardError("cloud-rm \(critic.path): \(error)")
        }
    }

    public func tokenRewards(_ completions: [Completion]) throws -> [[Float]] {
        let scores = try judge(completions).scores
        return zip(completions, scores).map { c, s in
            var r = [Float](repeating: 0, count: c.ids.count)
            if !r.isEmpty { r[r.count - 1] = s }
            return r
        }
    }
}
