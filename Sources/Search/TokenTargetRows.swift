// The training rows of a per-token value or reward target, built from sampled answers: TVM's outcome
// fractions (`ValueTargets`, arXiv 2407.12863) or a teacher's prefix rewards for a multifurcation
// reward model (`PrefixRewardTargets`, arXiv 2506.06444). The answers are written two by two as
// preference-format rows whose `chosen_token_rewards` / `rejected_token_rewards` hold the targets (the
// pairing is only the file format; both losses treat every row alike). `tokenalign value-targets`
// writes these rows; the test fixtures build them the same way.
import OnlineRL
import Tokenizers

public enum TokenTargetRows {
    /// Rows of one prompt from `rollouts` (even) sampled answers, and how many answers the verifier
    /// accepted. The targets cover the tokens the dataset encoder will produce: the completion
    /// encoded after the prompt text.
    /// - Parameter teacher: prefix rewards as targets; nil for TVM's outcome fractions.
    public static func rows(_ p: RLPrompt, index: Int, policy: SearchPolicy, rollouts: Int, seed: UInt64,
                            teacher: (any SequenceScorer)?) throws -> (rows: [[String: Any]], correct: Int) {
        var ledger = CostLedger()
        let tokenizer = policy.tokenizer
        let samples = policy.sample(p.ids, count: rollouts, seed: SearchSeeds.seed(seed, prompt: index, call: 0), ledger: &ledger)
        let texts = samples.map { policy.text(policy.body($0.ids)) }
        let correct = try VerifierScorer(task: nil).scores(p, texts.map { Answer(ids: [], text: $0) }, ledger: &ledger).map { $0 == 1 }
        let promptText = p.columns["prompt"] as? String ?? p.text
        let promptIDs = tokenizer.encode(promptText)
        // An answer that does not extend the prompt's tokens keeps its own encoding for the trie,
        // but its pair is not written (`completionIDs`).
        let joint = texts.map { completionIDs($0, after: promptText, promptIDs: promptIDs, tokenizer: tokenizer) }
        let aligned = joint.map { $0 != nil }
        let paths = zip(texts, joint).map { t, ids in ids ?? tokenizer.encode(t) }
        let targets = try teacher.map { try PrefixRewardTargets.targets(p, paths: paths, teacher: $0, text: policy.text, ledger: &ledger) }
            ?? ValueTargets.targets(paths: paths, correct: correct)
        var out: [[String: Any]] = []
        for k in stride(from: 0, to: rollouts - 1, by: 2) where !paths[k].isEmpty && !paths[k + 1].isEmpty && aligned[k] && aligned[k + 1] {
            out.append(["prompt": promptText, "chosen": texts[k], "rejected": texts[k + 1],
                        "chosen_token_rewards": targets[k].map(Double.init), "rejected_token_rewards": targets[k + 1].map(Double.init)])
        }
        return (out, correct.filter { $0 }.count)
    }

    /// The answer's tokens as the dataset encoder sees them: the encoding of prompt + answer after
    /// the prompt's own tokens; nil when the answer's first token merges with the prompt's last
    /// ("=" + "-5" → "=-"), so that no targets can be aligned with what the encoder trains on.
    public static func completionIDs(_ answer: String, after promptText: String, promptIDs: [Int], tokenizer: Tokenizer) -> [Int]? {
        let joint = tokenizer.encode(promptText + answer)
        return joint.starts(with: promptIDs) ? Array(joint.dropFirst(promptIDs.count)) : nil
    }
}
