// `tokenalign verifier-fit --method elhsr|clue`: fits a hidden-state verifier for best-of-N from the
// policy's own verified rollouts — ELHSR's gated linear reward (arXiv 2505.12225) or CLUE's success
// and failure centroids (arXiv 2510.01591) — and writes one small JSON file that `--scorer
// elhsr:FILE` / `--scorer clue:FILE` read. Its own command rather than a `tokenalign reward --kind`:
// reward kinds train a separate model on a preference or token-target file, while these read the
// policy's hidden states of rollouts they sample and verify themselves (as `value-targets` does), and
// the result is tied to that policy, not a model folder of its own.
import ArgumentParser
import Foundation
import Search

struct VerifierFitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verifier-fit",
        abstract: "Fit a hidden-state verifier (elhsr, clue) on verified rollouts of the policy, for `--scorer elhsr:FILE` / `clue:FILE`.")

    @OptionGroup var model: ModelArguments
    @Option(help: "elhsr (a gated linear reward on the hidden states, arXiv 2505.12225) or clue (success/failure centroids of the hidden-state delta, arXiv 2510.01591).")
    var method: String
    @Option(help: "Prompt-only JSONL of CreditBench rows (\"prompt\", \"task\"): the verifier labels the rollouts.") var prompts: String
    @Option(help: "Output verifier file (JSON).") var out: String
    @Option(help: "Rollouts per prompt.") var rollouts: Int = 16
    @OptionGroup var sampling: RolloutSamplingOptions
    @Option(help: "elhsr: full-batch AdamW steps.") var steps: Int = 300
    @Option(help: "elhsr: learning rate.") var learningRate: Float = 1e-2
    @Option(help: "elhsr: AdamW weight decay.") var weightDecay: Float = 0

    func validate() throws {
        guard HiddenStateVerifier.Method(rawValue: method) != nil else {
            throw ValidationError("--method \(method): expected one of " + HiddenStateVerifier.Method.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard rollouts >= 1 else { throw ValidationError("--rollouts must be ≥ 1, got \(rollouts)") }
        guard steps >= 1 else { throw ValidationError("--steps must be ≥ 1, got \(steps)") }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
    }

    func run() throws {
        guard let kind = HiddenStateVerifier.Method(rawValue: method) else { return }
        let sampled = try SampledPrompts(model: model, prompts: prompts, sampling: sampling)
        let bar = ProgressLine(label: "verifier-fit rollouts")
        let samples = try HiddenStateRollouts.collect(prompts: sampled.rows, policy: sampled.policy, rollouts: rollouts, seed: sampling.seed) {
            bar.update($0, of: $1)
        }
        bar.finish()
        let (verifier, losses) = try HiddenStateRollouts.fit(kind, samples: samples, model: sampled.loaded.model, steps: steps,
                                                             learningRate: learningRate, weightDecay: weightDecay)
        try verifier.write(to: out)
        var line = String(format: "%@ verifier from %d rollouts (%.3f correct) written to %@", kind.rawValue, verifier.samples,
                          Double(verifier.correct) / Double(max(verifier.samples, 1)), out)
        if let first = losses.first, let last = losses.last { line += String(format: "; loss %.4f → %.4f", first, last) }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
