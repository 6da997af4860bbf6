// Tiny models fine-tuned on CreditBench tasks, built once per test process and shared by the test
// targets that need a policy that is partly right: online RL (one-digit addition), search (chain
// arithmetic) and the CLI tests of `tokenalign grpo` and `tokenalign search`. The data comes from
// the CreditBench library (`CreditTask.rows`), the training from `TrainingSetup`, so building them
// runs no CLI command.
import CreditBench
import Decoding
import Foundation
import Models
import OnlineRL
import Search
import TestSupport
import Tokenizers
import Training

/// Writes rows `0 ..< count` of a CreditBench `kind` data set to a fresh temporary JSONL file.
func creditRows(_ name: CreditTaskName, _ knobs: TaskKnobs, kind: CreditRowKind, count: Int, seed: UInt64) throws -> String {
    try TestFiles.writeRows(name.task(knobs).rows(kind: kind, count: count, seed: seed, knobs: knobs), name: "\(kind.rawValue).jsonl")
}

/// A tiny model fine-tuned on `sftRows` SFT rows (seed 1) of a CreditBench task for `steps` steps,
/// and prompt files of that task with the given sizes and seeds.
func creditModel(_ name: CreditTaskName, _ knobs: TaskKnobs, sftRows: Int, steps: Int,
                 prompts: [(count: Int, seed: UInt64)]) throws -> (model: String, tokenizer: Tokenizer, prompts: [String]) {
    let sft = try creditRows(name, knobs, kind: .sft, count: sftRows, seed: 1)
    let files = try prompts.map { try creditRows(name, knobs, kind: .prompts, count: $0.count, seed: $0.seed) }
    let tuned = try trainTinyModel(data: sft, steps: steps)
    return (tuned.folder, tuned.tokenizer, files)
}

/// The tiny fixture Llama trained for `task` on `data` for `steps` steps, saved with its tokenizer to
/// a temporary folder (what `tokenalign sft|reward --out DIR` saves as `DIR/model`). The defaults
/// are the SFT fixtures' settings: batch 16, lr 3e-3 constant.
/// `from` starts from another model folder, `rewardKind` picks the reward-model kind of `.reward`.
public func trainTinyModel(_ task: TrainingTask = .sft, data: String, steps: Int, batchSize: Int = 16, learningRate: Float = 3e-3,
                           schedule: String = "constant", seed: UInt64 = 42, from: String? = nil,
                           rewardKind: String? = nil, appendEOS: Bool = true) throws -> (folder: String, tokenizer: Tokenizer) {
    var c = TrainingConfiguration()
    c.task = task
    c.model = try from ?? TestFiles.modelFolder().path
    if let rewardKind { c.rewardKind = rewardKind }
    c.appendEos = appendEOS
    c.data = data
    c.maxSteps = steps
    c.batchSize = batchSize
    c.learningRate = learningRate
    c.schedule = schedule
    c.seed = seed
    let run = try TrainingSetup.prepare(c)
    try run.trainer.run()
    let folder = URL(fileURLWithPath: TestFiles.temporaryPath("sft-model"))
    var p = run.pretrained
    p.tokenizer = run.tokenizer
    try run.trainer.saveModel(p, to: folder)
    return (folder.path, run.tokenizer)
}

/// One-digit addition (CreditBench `add`): a tiny Llama fine-tuned for 40 steps answers about 44% of
/// a separately drawn prompt set correctly, greedy (the sets overlap: there are 100 problems).
public struct AdditionSetup: @unchecked Sendable {
    public let sftModel: String
    public let trainPrompts: String
    public let evalPrompts: String

    public static let shared: Result<AdditionSetup, Error> = Result {
        var knobs = TaskKnobs()
        knobs.digits = 1
        let m = try creditModel(.add, knobs, sftRows: 400, steps: 40, prompts: [(64, 2), (64, 3)])
        return AdditionSetup(sftModel: m.model, trainPrompts: m.prompts[0], evalPrompts: m.prompts[1])
    }

    /// The GRPO settings the learning tests use.
    public func configuration(steps: Int) -> OnlineRLConfiguration {
        var c = OnlineRLConfiguration()
        c.model = sftModel
        c.prompts = trainPrompts
        c.evalPrompts = evalPrompts
        c.rewards = ["creditbench"]
        c.maxCompletionLength = 6
        c.stop = ["\n"]
        c.learningRate = 3e-4
        c.promptsPerStep = 8
        c.numGenerations = 8
        c.perDeviceTrainBatchSize = 32
        c.maxSteps = steps
        c.seed = 7
        return c
    }
}

/// CreditBench `chain` (2 operations, operands ≤ 5) and a tiny Llama fine-tuned on it for 60 steps:
/// partly right, so scores and search choices vary.
public struct ChainSetup: @unchecked Sendable {
    public let model: String
    public let prompts: String
    public let tokenizer: Tokenizer

    public static let shared: Result<ChainSetup, Error> = Result {
        var knobs = TaskKnobs()
        knobs.steps = 2
        knobs.maxOperand = 5
        knobs.maxValue = 30
        let m = try creditModel(.chain, knobs, sftRows: 400, steps: 60, prompts: [(6, 2)])
        return ChainSetup(model: m.model, prompts: m.prompts[0], tokenizer: m.tokenizer)
    }

    public func policy(_ model: any LanguageModel, temperature: Float = 1, maxNewTokens: Int = 24) -> SearchPolicy {
        var p = GenerationParameters(maxNewTokens: maxNewTokens, temperature: temperature, stopStrings: ["\n"])
        if let eos = tokenizer.eosTokenID { p.stopTokenIDs.insert(eos) }
        p.padTokenID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
        model.eval()
        return SearchPolicy(model: model, tokenizer: tokenizer, parameters: p)
    }

    public func loadModel() throws -> any LanguageModel { try PretrainedModel.load(path: model).model }

    public func promptRows() throws -> [RLPrompt] { try RLPrompts.load(prompts, tokenizer: tokenizer, rendering: PromptRendering(addSpecialTokens: false)) }
}

/// A multifurcation reward model (Saffron-1, arXiv 2506.06444) distilled from the CreditBench
/// verifier's prefix reward on the `chain` fixture: 8 rollouts of each of 48 training prompts from the
/// chain policy, every token labelled with the verifier's verdict on the prefix it ends
/// (`TokenTargetRows` with the verifier as teacher), and the chain policy trained on them with
/// `--kind multifurcation` for 240 steps.
public struct MultifurcationSetup: @unchecked Sendable {
    public let folder: String
    public let trainPrompts: String

    public static let shared: Result<MultifurcationSetup, Error> = Result {
        let chain = try ChainSetup.shared.get()
        var knobs = TaskKnobs()
        knobs.steps = 2
        knobs.maxOperand = 5
        knobs.maxValue = 30
        let promptFile = try creditRows(.chain, knobs, kind: .prompts, count: 48, seed: 11)
        let policy = chain.policy(try chain.loadModel())
        var rows: [[String: Any]] = []
        for (i, p) in try RLPrompts.load(promptFile, tokenizer: chain.tokenizer, rendering: PromptRendering(addSpecialTokens: false)).enumerated() {
            rows += try TokenTargetRows.rows(p, index: i, policy: policy, rollouts: 8, seed: 3, teacher: VerifierScorer(task: nil)).rows
        }
        let data = try TestFiles.writeRows(rows, name: "mrm-targets.jsonl")
        let trained = try trainTinyModel(.reward, data: data, steps: 240, learningRate: 2e-3, from: chain.model, rewardKind: "multifurcation",
                                     appendEOS: false)
        return MultifurcationSetup(folder: trained.folder, trainPrompts: promptFile)
    }
}
