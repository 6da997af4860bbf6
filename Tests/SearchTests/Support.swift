import Autograd
import Datasets
import Decoding
import Foundation
import Models
import NN
import OnlineRL
import Search
import TensorCore
@testable import TokenAlignCLI
import Tokenizers
import Training

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ta-search-\(UUID().uuidString)-\(name)").path
}

/// The tiny fixture Llama (2 layers, 64 positions, vocabulary 512) with the committed dataset tokenizer.
func tinyModelFolder() throws -> URL {
    let dir = URL(fileURLWithPath: temporaryPath("model"))
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for f in ["config.json", "model.safetensors"] {
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("models/llama/\(f)"), to: dir.appendingPathComponent(f))
    }
    for f in ["tokenizer.json", "tokenizer_config.json"] {
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("datasets/tokenizer/\(f)"), to: dir.appendingPathComponent(f))
    }
    return dir
}

/// The fixture sequence reward model (LlamaForSequenceClassification, vocabulary 512) with a
/// tokenizer file of our choosing.
func rewardModelFolder(tokenizer: URL) throws -> URL {
    let dir = URL(fileURLWithPath: temporaryPath("rm"))
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for f in ["config.json", "model.safetensors"] {
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("trl/reward_model/\(f)"), to: dir.appendingPathComponent(f))
    }
    try FileManager.default.copyItem(at: tokenizer, to: dir.appendingPathComponent("tokenizer.json"))
    return dir
}

func runCommand(_ args: [String]) throws {
    var cmd = try TokenAlignCommand.parseAsRoot(args)
    try cmd.run()
}

func writeLines(_ rows: [[String: Any]]) throws -> String {
    let path = temporaryPath("rows.jsonl")
    var out = Data()
    for r in rows {
        out.append(try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys]))
        out.append(UInt8(ascii: "\n"))
    }
    try out.write(to: URL(fileURLWithPath: path))
    return path
}

func readLines(_ path: String) throws -> [[String: Any]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
}

/// A prompt row as `RLPrompts.load` makes it.
func promptRow(_ text: String, task: String?, tokenizer: Tokenizer, line: Int = 1) -> RLPrompt {
    var columns: [String: Any] = ["prompt": text]
    if let task { columns["task"] = task }
    return RLPrompt(location: RowLocation(file: "prompts.jsonl", line: line), text: text, ids: tokenizer.encode(text), columns: columns)
}

/// A language model that forwards to another and counts the positions it is fed: an independent
/// check of the cost ledger (it sees the forward passes themselves, not the searcher's arithmetic).
final class CountingModel: Module, LanguageModel {
    let inner: any LanguageModel
    var prefillTokens = 0, decodeTokens = 0, calls = 0

    init(_ inner: any LanguageModel) {
        self.inner = inner
        super.init()
    }

    var modelType: String { inner.modelType }
    var vocabularySize: Int { inner.vocabularySize }
    var hiddenSize: Int { inner.hiddenSize }
    var layerCount: Int { inner.layerCount }
    var maxPositions: Int { inner.maxPositions }

    func hiddenStates(_ ids: IndexTensor, attentionMask: Tensor?, cache: KVCache?) -> Variable {
        let n = ids.shape[0] * ids.shape[1]
        // A call that starts an empty cache (or runs without one) is a prefill.
        if cache == nil || cache!.length == 0 { prefillTokens += n } else { decodeTokens += n }
        calls += 1
        return inner.hiddenStates(ids, attentionMask: attentionMask, cache: cache)
    }

    func logits(fromHidden h: Variable) -> Variable { inner.logits(fromHidden: h) }
    func makeCache(batch: Int, capacity: Int) -> KVCache { inner.makeCache(batch: batch, capacity: capacity) }
    func checkpointTensors() -> [String: Tensor] { inner.checkpointTensors() }
    func configurationJSON() throws -> [String: Any] { try inner.configurationJSON() }
}

/// CreditBench `chain` (2 operations, operands ≤ 5) and a tiny Llama fine-tuned on it for 60 steps:
/// partly right, so scores and search choices vary. Built once per process.
struct ChainSetup: @unchecked Sendable {
    let model: String
    let prompts: String
    let tokenizer: Tokenizer

    static let shared: Result<ChainSetup, Error> = Result {
        let base = try tinyModelFolder()
        let sft = temporaryPath("sft.jsonl"), prompts = temporaryPath("prompts.jsonl")
        let knobs = ["--task", "chain", "--steps", "2", "--max-operand", "5", "--max-value", "30"]
        try runCommand(["data", "make"] + knobs + ["--kind", "sft", "--n", "400", "--seed", "1", "--out", sft])
        try runCommand(["data", "make"] + knobs + ["--kind", "prompts", "--n", "6", "--seed", "2", "--out", prompts])
        var c = TrainingConfiguration()
        c.task = .sft
        c.model = base.path
        c.data = sft
        c.maxSteps = 60
        c.batchSize = 16
        c.learningRate = 3e-3
        c.schedule = "constant"
        let run = try TrainingSetup.prepare(c)
        try run.trainer.run()
        let folder = URL(fileURLWithPath: temporaryPath("sft-model"))
        var p = run.pretrained
        p.tokenizer = run.tokenizer
        try run.trainer.saveModel(p, to: folder)
        return ChainSetup(model: folder.path, prompts: prompts, tokenizer: run.tokenizer)
    }

    func policy(_ model: any LanguageModel, temperature: Float = 1, maxNewTokens: Int = 24) -> SearchPolicy {
        var p = GenerationParameters(maxNewTokens: maxNewTokens, temperature: temperature, stopStrings: ["\n"])
        if let eos = tokenizer.eosTokenID { p.stopTokenIDs.insert(eos) }
        p.padTokenID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
        model.eval()
        return SearchPolicy(model: model, tokenizer: tokenizer, parameters: p)
    }

    func loadModel() throws -> any LanguageModel { try PretrainedModel.load(path: model).model }

    func promptRows() throws -> [RLPrompt] { try RLPrompts.load(prompts, tokenizer: tokenizer, rendering: PromptRendering(addSpecialTokens: false)) }
}
