import Autograd
import Datasets
import Decoding
import Foundation
import Models
import NN
import OnlineRL
import Search
import TensorCore
import TestSupport
import Tokenizers
import Training

/// A prompt row as `RLPrompts.load` makes it.
func promptRow(_ text: String, task: String?, tokenizer: Tokenizer, line: Int = 1) -> RLPrompt {
    var columns: [String: Any] = ["prompt": text]
    if let task { columns["task"] = task }
    return RLPrompt(location: RowLocation(file: "prompts.jsonl", line: line), text: text, ids: tokenizer.encode(text), columns: columns)
}

/// A language model that forwards to another and counts the positions it is fed: an independent
/// check of the cost ledger (it sees the forward passes themselves, not the searcher's arithmetic).
class CountingModel: Module, LanguageModel {
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

/// Small settings for the cache-sharing tests: 6 samples, τ = 3, 2 beams × 3 expansions, 4 MCTS rounds.
func sharingSettings(seed: UInt64) -> SearchSettings {
    var settings = SearchSettings()
    settings.n = 6
    settings.tau = 3
    settings.beamWidth = 2
    settings.expansions = 3
    settings.iterations = 4
    settings.seed = seed
    return settings
}

/// The searchers that call the policy more than once per prompt or with several samples per context.
func expandingSearchers(_ settings: SearchSettings) -> [any Searcher] {
    [BestOfN(settings), EarlyRejection(settings), StepBeamSearch(settings), StepMCTS(settings)]
}
