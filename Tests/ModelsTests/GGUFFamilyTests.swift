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

    /// Loading a metadata-only GGUF with `entries` fails with `unsupportedSetting` naming `key` and the file.
    static func expectRefused(_ entries: [(String, ConfigurationAuditTests.GGUFTestValue)], arch: String = "llama", key: String) throws {
        let url = try ConfigurationAuditTests.gguf(entries, arch: arch)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try ModelRegistry.load(gguf: url)
            Issue.record("\(key) was not refused")
        } catch let ModelError.unsupportedSetting(path, field, _, _) {
            #expect(path == url.path && field == key)
        }
    }

    @Test(arguments: names)
    func ggufLogitsMatchTheFolderAndTransformers(_ name: String) throws {
        let model = try Self.load(name)
        #expect(model.modelType == (name == "gemma3" ? "gemma3_text" : name))
        let (r1, r2) = try ParityCase(name).compare(model)
        #expect(r1.ok, "\(name) GGUF plain: \(r1)")
        #expect(r2.ok, "\(name) GGUF left-padded: \(r2)")
        print("\(name) GGUF: max |Δlogits| vs transformers plain \(r1.maxAbsDifference), left-padded \(r2.maxAbsDifference)")
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

    /// Gemma hyperparameters llama.cpp hard-codes: the layer pattern (2 for Gemma 2, 6 for Gemma 3,
    /// unless `sliding_window_pattern` says otherwise), Gemma 3's local RoPE base, the attention scale.
    @Test func gemmaHyperparametersFollowLlamaCpp() throws {
        func config(_ arch: String, _ extra: [(String, ConfigurationAuditTests.GGUFTestValue)]) throws -> GemmaConfiguration {
            let url = try ConfigurationAuditTests.gguf(extra, arch: arch)
            defer { try? FileManager.default.removeItem(at: url) }
            return try ModelRegistry.gemmaConfiguration(gguf: try GGUFFile(url: url))
        }
        let g3 = try config("gemma3", [("gemma3.block_count", .u32(7)), ("gemma3.attention.sliding_window", .u32(512)),
                                       ("gemma3.attention.key_length", .u32(16))])
        #expect(g3.layerTypes == Array(repeating: "sliding_attention", count: 5) + ["full_attention", "sliding_attention"])
        #expect(g3.localRopeTheta == 10_000 && g3.ropeTheta == 1_000_000 && g3.queryPreAttnScalar == 16)
        #expect(g3.finalLogitSoftcapping == nil && g3.attnLogitSoftcapping == nil)
        let g2 = try config("gemma2", [("gemma2.block_count", .u32(3)), ("gemma2.attention.sliding_window", .u32(8))])
        #expect(g2.layerTypes == ["sliding_attention", "full_attention", "sliding_attention"])
        #expect(g2.attnLogitSoftcapping == 50 && g2.finalLogitSoftcapping == 30 && g2.headDim == 256)
        let patterned = try config("gemma3", [("gemma3.block_count", .u32(3)), ("gemma3.attention.sliding_window", .u32(4)),
                                              ("gemma3.attention.sliding_window_pattern", .u32(3))])
        #expect(patterned.layerTypes == ["sliding_attention", "sliding_attention", "full_attention"])
        // Gemma 2 27B (46 layers) scales scores by (hidden / heads)^(−½), as llama.cpp does.
        let big = try config("gemma2", [("gemma2.block_count", .u32(46)), ("gemma2.attention.sliding_window", .u32(8))])
        #expect(big.queryPreAttnScalar == 16)
    }

    /// GGUF metadata the newer families do not implement is refused by key, with the file's path.
    @Test func unsupportedGGUFMetadataIsRefused() throws {
        let cases: [(String, [(String, ConfigurationAuditTests.GGUFTestValue)], String)] = [
            ("gemma2", [("gemma2.attention.sliding_window", .u32(8)), ("gemma2.rope.scaling.type", .string("linear")),
                        ("gemma2.rope.scaling.factor", .f32(2))], "gemma2.rope.scaling.type"),
            ("gemma3", [("gemma3.rope.scaling.type", .string("yarn"))], "gemma3.rope.scaling.type"),
            ("gemma3", [("gemma3.attn_logit_softcapping", .f32(50))], "gemma3.attn_logit_softcapping"),
            ("gemma3", [("gemma3.attention.key_length", .u32(16)), ("gemma3.attention.value_length", .u32(8))], "gemma3.attention.value_length"),
            ("qwen3", [("qwen3.attention.sliding_window", .u32(8))], "qwen3.attention.sliding_window"),
            ("olmo2", [("olmo2.final_logit_softcapping", .f32(30))], "olmo2.final_logit_softcapping"),
        ]
        for (arch, entries, key) in cases { try Self.expectRefused(entries, arch: arch, key: key) }
        // Gemma 2 needs its window; an architecture we do not build is named.
        let noWindow = try ConfigurationAuditTests.gguf([], arch: "gemma2")
        defer { try? FileManager.default.removeItem(at: noWindow) }
        #expect(throws: ModelError.self) { _ = try ModelRegistry.load(gguf: noWindow) }
        let unknown = try ConfigurationAuditTests.gguf([], arch: "gemma4")
        defer { try? FileManager.default.removeItem(at: unknown) }
        do {
            _ = try ModelRegistry.load(gguf: unknown)
            Issue.record("gemma4 was not refused")
        } catch let ModelError.unsupportedArchitecture(path, type, _) {
            #expect(path == unknown.path && type == "gemma4")
        }
    }
}
