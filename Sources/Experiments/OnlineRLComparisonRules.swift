// The setting rules every online-RL comparison demo shares (`demo rl`, `demo rl-sentiment`).
import Foundation

enum OnlineRLComparisonRules {
    /// Groups divide the rollout batch; seeds and methods are listed once each; every method is one
    /// the demo knows; GRPO, the baseline every method is paired with, stays.
    static func validate(methods: [String], known: [String], seeds: [UInt64], completionsPerStep: Int, numGenerations: Int) throws(DemoError) {
        if completionsPerStep % numGenerations != 0 {
            throw .invalidSetting("completions_per_step \(completionsPerStep) must be a multiple of num_generations \(numGenerations)")
        }
        if seeds.isEmpty { throw .invalidSetting("seeds: at least one seed") }
        if Set(seeds).count != seeds.count { throw .invalidSetting("seeds: each seed once, got \(seeds)") }
        if Set(methods).count != methods.count { throw .invalidSetting("methods: each method once, got \(methods.joined(separator: ", "))") }
        for m in methods where !known.contains(m) {
            throw .invalidSetting("unknown method '\(m)'; expected some of \(known.joined(separator: ", "))")
        }
        if !methods.contains("grpo") { throw .invalidSetting("methods: grpo is the baseline every method is compared with; keep it") }
    }
}
