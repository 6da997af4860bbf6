// Every sequence a trainer will feed a model must fit the model's positions. A row longer than the
// context is read out of bounds by the position tables (GPT-2's learned positions, the RoPE tables):
// the forward then returns garbage that changes from run to run, or crashes. So the trainer checks
// every row, against every model it runs (policy, reference, guides), before the first forward pass,
// and names the row and the way out.
import Datasets
import Models

enum ContextCheck {
    /// The longest sequence each row produces, with the row, for a set of examples.
    static func lengths(_ examples: TrainingExamples) -> [(length: Int, location: RowLocation)] {
        switch examples {
        case .pairs(let p): p.map { (max($0.chosen.ids.count, $0.rejected.ids.count), $0.location) }
        case .sequences(let s): s.map { ($0.sequence.ids.count, $0.location) }
        case .unpaired(let u): u.map { ($0.sequence.ids.count, $0.location) }
        }
    }

    /// Throws if a row of `examples` (plus `extra` tokens in front, e.g. T-REG's contrastive
    /// prefix) exceeds the positions of any of `models`.
    /// - Parameters:
    ///   - set: "train" or "eval", for the message.
    ///   - ktoMismatch: KTO's KL batch joins each prompt with another row's completion
    ///     (`TrainingExamples.mismatchedCollate`), so the longest prompt plus the longest completion
    ///     must fit as well; which rows meet depends on the shuffle, so the bound is checked.
    static func check(_ examples: TrainingExamples, set: String, models: [(role: String, model: any LanguageModel)],
                      extra: Int = 0, ktoMismatch: Bool = false) throws {
        guard let limit = models.min(by: { $0.model.maxPositions < $1.model.maxPositions }) else { return }
        let positions = limit.model.maxPositions
        let fix = "shorten the row, or truncate explicitly with --max-length \(positions - extra) --truncate (max_length, truncate)"
        for (n, location) in lengths(examples) where n + extra > positions {
            let prefix = extra > 0 ? " (with the \(extra)-token contrastive prefix)" : ""
            throw TrainingError.invalidConfiguration(
                "\(location): \(set) row has \(n + extra) tokens\(prefix), more than the \(limit.role) model's \(positions) positions; \(fix)")
        }
        if ktoMismatch, case .unpaired(let u) = examples,
           let prompt = u.max(by: { $0.sequence.promptLength < $1.sequence.promptLength }),
           let completion = u.max(by: { $0.sequence.ids.count - $0.sequence.promptLength < $1.sequence.ids.count - $1.sequence.promptLength }) {
            let p = prompt.sequence.promptLength, c = completion.sequence.ids.count - completion.sequence.promptLength
            if p + c > positions {
                throw TrainingError.invalidConfiguration(
                    "KTO's KL term pairs each prompt with another row's completion: the longest \(set) prompt (\(prompt.location), \(p) tokens) "
                    + "plus the longest completion (\(completion.location), \(c) tokens) exceed the \(limit.role) model's \(positions) positions; "
                    + "set --max-length / --max-prompt-length with --truncate so that prompt + completion fit")
            }
        }
    }
}
