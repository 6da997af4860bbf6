// The data of `tokenalign demo rm`: every reward-model kind's training rows built from the SAME
// CreditBench examples (task, seed, index) by the builders the CLI uses, so the kinds differ in
// what they learn from an example and not in which examples they see (docs/design/rm-eval.md §10):
//
// - pairs: the correct completion against the task's injected error, with the verifier's error spans
//   (first error onward) and first error (`tokenalign data make --kind preference`);
// - hard negatives: the same pair labelled bad only where the injection changed the text
//   (`tokenalign data tldr`);
// - edit labels: the same rejected response aligned with the verifier's minimal edit
//   (`tokenalign data edit-labels`);
// - value / teacher targets: rollouts of the base model on the same prompts, with TVM's outcome
//   fractions or the verifier's prefix rewards (`tokenalign value-targets [--teacher verifier]`);
// - unlabelled pairs (SSRM) from a third seed, and the RRM augmentation of the pairs
//   (`tokenalign data rrm-augment`);
// - critiques: the pairs with the verifier's oracle critique of each response, CLoud's rows
//   (`tokenalign data critiques`).
// Held-out pairs come from a second seed, prompts seen in training dropped.
import CreditBench
import Datasets
import Decoding
import Models
import OnlineRL
import Foundation
import Search
import Tokenizers
import Training

/// Which training rows a reward-model kind reads, from its registry entry (not its name).
public enum RMDemoRows: String, Sendable, Codable, CaseIterable {
    case pairs, hardNegatives = "hard-negatives", editLabels = "edit-labels", valueTargets = "value-targets"
    case teacherTargets = "teacher-targets", unlabelled, rrm
    /// The pairs with the verifier's oracle critique of each response (CLoud, `tokenalign data critiques`).
    case critiques

    /// The rows `entry` trains on: its token kind's targets (labels: hard negatives; rewards with
    /// BCE: value targets; other rewards: edit labels), the teacher's prefix rewards for a
    /// multifurcation model, and plain pairs otherwise.
    public static func of(_ entry: RewardModelKindEntry) -> RMDemoRows {
        if entry.critiqueOutLoud { return .critiques }
        if entry.multifurcation { return .teacherTargets }
        guard let spec = entry.tokenKind else { return .pairs }
        switch (spec.targets, spec.rewardLoss) {
        case (.labels, _): return .hardNegatives
        case (.rewards, .binaryCrossEntropy): return .valueTargets
        case (.rewards, _): return .editLabels
        }
    }

    /// Rollout targets cover the completion's tokens only, so those rows train without an EOS.
    public var appendsEOS: Bool { self != .valueTargets && self != .teacherTargets }

    var file: String { "data/\(rawValue).jsonl" }
}

/// A held-out pair with its CreditBench example (for the first-error truth).
struct RMDemoEvalPair {
    var example: CreditExample
    var chosen: String
    var rejected: String
}

/// What the data stage made.
public struct RMDemoDataSummary: Sendable, Equatable, Codable {
    public var trainPairs = 0
    public var evalPairs = 0
    public var evalPromptsOverlapping = 0
    /// Rows per training file (rollout files: pairs of rollouts).
    public var rows: [String: Int] = [:]
    /// Why a file could not be made (its kinds are listed as n/a).
    public var missing: [String: String] = [:]
    /// Fraction of the base model's rollouts the verifier accepts.
    public var rolloutAccuracy: Double?
    /// Systematic regime: training pairs whose rejected side is the bug's answer (the others carry
    /// an injected slip: their problem does not admit the bug).
    public var systematicPairs: Int?
    public var modelParameters = 0
    public var tokenizerVocabulary = 0
}

extension RMDemo {
    /// The training indices: the first `trainPairs` indices whose example gives a pair, a hard
    /// negative and a minimal edit (so every kind's rows describe the same examples).
    func trainIndices(_ task: any CreditTask) throws -> [Int] {
        let s = settings
        var out: [Int] = []
        var i = 0
        while out.count < s.trainPairs {
            guard i < s.trainPairs * 8 else {
                throw DemoError.emptyStage("task \(s.task): only \(out.count) of the first \(i) examples give a hard negative and a minimal edit; lower train_pairs")
            }
            let e = task.example(seed: s.seed, index: i), bad = rejected(task, e, seed: s.seed, index: i, training: true)
            if task.tldrRow(e, rejected: bad) != nil, task.minimalEditRow(e, rejected: bad) != nil { out.append(i) }
            i += 1
        }
        return out
    }

    /// The wrong response of example `index`: the task's systematic bug in the systematic regime
    /// when the problem admits it, the task's injected slip otherwise — and always the slip for
    /// `training` pairs under `train_rejected: slips`.
    func rejected(_ task: any CreditTask, _ e: CreditExample, seed: UInt64, index: Int, training: Bool) -> InjectedError {
        if training, settings.trainRejected == "slips" { return task.injectedError(for: e, seed: seed, index: index) }
        if settings.regime == "systematic", let bug = (task as? any SystematicBugTask)?.systematicError(for: e) { return bug }
        return task.injectedError(for: e, seed: seed, index: index)
    }

    /// Writes every training file; returns the held-out pairs.
    func makeData(task: any CreditTask, tokenizer: Tokenizer, sftPath: String) throws -> [RMDemoEvalPair] {
        let s = settings
        guard let name = CreditTaskName(rawValue: s.task) else { throw CreditBenchError.unknownTask(s.task) }
        let knobs = s.creditSettings.knobs(for: name)
        let indices = try trainIndices(task)
        let examples = indices.map { i in (task.example(seed: s.seed, index: i), i) }
        let bads = examples.map { rejected(task, $0.0, seed: s.seed, index: $0.1, training: true) }
        let pairs = zip(examples, bads).map { ex, bad -> [String: Any] in
            ["prompt": ex.0.prompt, "task": task.name].merging(task.preferenceColumns(ex.0, rejected: bad)) { _, new in new }
        }
        data.systematicPairs = s.regime == "systematic" ? zip(examples, bads).filter { (task as? any SystematicBugTask)?.followsBug($1.response, for: $0.0) == true }.count : nil
        try write(pairs, .pairs)
        try write(zip(examples, bads).compactMap { task.tldrRow($0.0, rejected: $1) }, .hardNegatives)
        let edits = zip(examples, bads).compactMap { task.minimalEditRow($0.0, rejected: $1) }
        try write(try MinimalEditLabels.labelled(edits.enumerated().map { (RowLocation(file: "creditbench", line: $0.offset + 1), $0.element) },
                                                 editedColumn: TokenLabelRows.editedColumn, tokenizer: tokenizer), .editLabels)
        let unlabelled = (0 ..< s.unlabelledPairs).map { i -> [String: Any] in
            let e = task.example(seed: s.seed &+ 2, index: i)
            return ["prompt": e.prompt, "chosen": e.completion, "rejected": rejected(task, e, seed: s.seed &+ 2, index: i, training: true).response]
        }
        try write(unlabelled, .unlabelled)
        let read = try JSONLReader.read(url(RMDemoRows.pairs.file).path)
        try write(try RRMAugmentation.augment(read, seed: s.seed).rows, .rrm)
        // CLoud's rows: the same pairs with the verifier's critique of each response.
        try write(zip(examples, bads).map { task.critiqueRow($0.0, rejected: $1) }, .critiques)

        // Rollouts of the base model on the same prompts: TVM's targets and the verifier's prefix rewards.
        let promptsFile = url("data/prompts.jsonl")
        try JSONL.write(indices.map { task.row(kind: .prompts, seed: s.seed, index: $0, knobs: knobs) }, to: promptsFile)
        // A task whose rollouts the verifier cannot read back (a prompt format that needs knobs it
        // does not get) leaves those two files empty: their kinds become n/a with the reason.
        do {
            let base = try PretrainedModel.load(path: sftPath)
            var p = GenerationParameters(maxNewTokens: s.maxNewTokens, temperature: 1, stopStrings: ["\n"])
            if let eos = tokenizer.eosTokenID { p.stopTokenIDs.insert(eos) }
            p.padTokenID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
            base.model.eval()
            let policy = SearchPolicy(model: base.model, tokenizer: tokenizer, parameters: p)
            let prompts = try RLPrompts.load(promptsFile.path, tokenizer: tokenizer, rendering: PromptRendering(addSpecialTokens: false))
            var value: [[String: Any]] = [], teacher: [[String: Any]] = [], correct = 0
            let verifier = VerifierScorer(task: nil)
            for (i, prompt) in prompts.enumerated() {
                let v = try TokenTargetRows.rows(prompt, index: i, policy: policy, rollouts: s.rollouts, seed: s.seed &+ 303, teacher: nil)
                value += v.rows
                correct += v.correct
                teacher += try TokenTargetRows.rows(prompt, index: i, policy: policy, rollouts: s.rollouts, seed: s.seed &+ 303, teacher: verifier).rows
                log(.progress(label: "rollouts", done: i + 1, total: prompts.count))
            }
            data.rolloutAccuracy = Double(correct) / Double(max(1, prompts.count * s.rollouts))
            try write(value, .valueTargets)
            try write(teacher, .teacherTargets)
        } catch let error as SearchError {
            for k in [RMDemoRows.valueTargets, .teacherTargets] { data.missing[k.rawValue] = "the base model's rollouts could not be verified: \(error)" }
        }

        // Held-out pairs: a second seed, prompts seen in training dropped. In the systematic regime
        // every held-out pair tests the bug, so problems that do not admit it are skipped and the
        // draw goes on (up to 8 × eval_pairs examples) until eval_pairs pairs are found.
        let trainPrompts = Set(pairs.compactMap { $0["prompt"] as? String })
        var seen = Set<String>(), held: [RMDemoEvalPair] = []
        let systematic = s.regime == "systematic"
        for i in 0 ..< (systematic ? 8 * s.evalPairs : s.evalPairs) where held.count < s.evalPairs {
            let e = task.example(seed: s.seed &+ 1, index: i)
            if task.holdsOutByPrompt, trainPrompts.contains(e.prompt) || !seen.insert(e.prompt).inserted {
                data.evalPromptsOverlapping += 1
                continue
            }
            if systematic, (task as? any SystematicBugTask)?.systematicError(for: e) == nil { continue }
            let bad = rejected(task, e, seed: s.seed &+ 1, index: i, training: false).response
            guard !task.verify(bad, for: e).isCorrect else { continue }
            held.append(RMDemoEvalPair(example: e, chosen: e.completion, rejected: bad))
        }
        guard !held.isEmpty else {
            throw DemoError.emptyStage(systematic ? "no held-out problem admits the systematic bug of task \(s.task) or every one occurs in training; raise eval_pairs or the task's length"
                                                  : "every held-out prompt also occurs in training; raise eval_pairs or the task's length")
        }
        try JSONL.write(held.enumerated().map { ["prompt": $1.example.prompt, "chosen": $1.chosen, "rejected": $1.rejected,
                                                 "subset": "creditbench-\(task.name)", "id": "\(task.name)-\($0)"] },
                        to: url("data/eval.jsonl"))
        data.trainPairs = pairs.count
        data.evalPairs = held.count
        return held
    }

    /// Writes one training file, or records why it is empty (its kinds become n/a).
    func write(_ rows: [[String: Any]], _ kind: RMDemoRows) throws {
        guard !rows.isEmpty else {
            data.missing[kind.rawValue] = "no rows could be made from the task's examples"
            return
        }
        try JSONL.write(rows, to: url(kind.file))
        data.rows[kind.rawValue] = rows.count
    }
}
