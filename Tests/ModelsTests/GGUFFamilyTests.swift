// GGUF files of the newer families (Qwen3, Phi-3, OLMo 2, Gemma 2, Gemma 3) in llama.cpp's tensor
// names and layouts, written by Tests/Fixtures/generate_gemma_parity.py from the same weights as the
// Hugging Face fixture folders: loading them must give transformers' logits for those folders.
import Autograd
import Checkpoints
import Foundation
import Models
import TensorCore
import Testing
import TestSupport

@Suite struct GGUFFamilyTests {
    static let names = ["qwen3", "phi3", "olmo2", "gemma2", "gemma3"]

    static func load(_ name: String) throws -> any LanguageModel {
        try ModelRegistry.load(gguf: fixtureRoot.appendingPathComponent("\(name)/model.gguf"))
    }

    @Test(arguments: names)
    func ggufLogitsMatchTheFolderAndTransformers(_ name: String) throws {
        let model = try Self.load(name)
        #expect(model.modelType == (name == "gemma3" ? "gemma3_text" : name))
        let c = try ParityCase(name)
        let plain = withoutGradients { model(c.ids) }.value
        let r1 = compareClose(plain, c.logitsPlain, atol: 1e-4, rtol: 1e-4)
        #expect(r1.ok, "\(name) GGUF plain: \(r1)")
        let masked = withoutGradients { model(c.ids, attentionMask: c.mask) }.value
        let r2 = compareClose(c.realRows(masked), c.realRows(c.logits), atol: 1e-4, rtol: 1e-4)
        #expect(r2.ok, "\(name) GGUF left-padded: \(r2)")
    }

    /// The configuration read from GGUF metadata (and llama.cpp's hard-coded Gemma hyperparameters)
    /// equals the one read from config.json, field by field where both formats carry it.
    @Test func ggufConfigurationsEqualTheFolders() throws {
        for name in ["gemma2", "gemma3"] {
            let g = try #require(try Self.load(name) as? GemmaForCausalLM).config
            let f = try #require(try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name)) as? GemmaForCausalLM).config
            #expect(g.layerTypes == f.layerTypes && g.slidingWindow == f.slidingWindow, "\(name)")
            #expect(g.queryPreAttnScalar == f.queryPreAttnScalar && g.headDim == f.headDim, "\(name)")
            #expect(g.ropeTheta == f.ropeTheta && g.localRopeTheta == f.localRopeTheta && g.ropeLinearFactor == f.ropeLinearFactor, "\(name)")
            #expect(g.attnLogitSoftcapping == f.attnLogitSoftcapping && g.finalLogitSoftcapping == f.finalLogitSoftcapping, "\(name)")
            #expect(g.tieWordEmbeddings == f.tieWordEmbeddings && g.rmsNormEps == f.rmsNormEps, "\(name)")
        }
        let phi3 = try #require(try Self.load("phi3") as? LlamaForCausalLM).config
        #expect((0 ..< 2).map(phi3.attentionWindow(layer:)) == [6, 6])
        let qwen3 = try #require(try Self.load("qwen3") as? LlamaForCausalLM).config
        #expect(qwen3.headDimension == 12 && qwen3.attentionBias && qwen3.qkNorm == .perHead)
        let olmo2 = try #require(try Self.load("olmo2") as? LlamaForCausalLM).config
        #expect(olmo2.qkNorm == .wholeProjection && olmo2.normsAfterSublayers)
    }

    /// Gemma norms are stored as 1 + w in GGUF (llama.cpp's converter adds the RMSNorm offset); the
    /// loader takes it back off, so GGUF and folder hold the same parameters.
    @Test func gemmaNormOffsetIsRemovedOnLoad() throws {
        let gguf = try GGUFFile(url: fixtureRoot.appendingPathComponent("gemma2/model.gguf"))
        let stored = try gguf.tensor("blk.0.post_ffw_norm.weight")
        let model = try #require(try Self.load("gemma2") as? GemmaForCausalLM)
        let folder = try #require(try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent("gemma2")) as? GemmaForCausalLM)
        let loaded = model.model.layers[0].postFeedforwardLayernorm.weight.value
        #expect(compareClose(stored, loaded + 1, atol: 1e-6).ok)
        #expect(loaded.scalars == folder.model.layers[0].postFeedforwardLayernorm.weight.value.scalars)
    }
}
