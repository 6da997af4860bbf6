// GGUF twins of the RoPE-scaling folders (Tests/Fixtures/generate_rope_scaling_gguf.py writes them with
// the keys and tensors llama.cpp's converter writes): loading each must give the folder's transformers
// logits, and the keys no fixture checks are refused by name.
import Autograd
import Checkpoints
import Foundation
import Models
import TensorCore
import Testing
import TestSupport

@Suite struct GGUFRopeScalingTests {
    static let names = ["llama_rope_linear", "llama_rope_yarn", "llama_rope_llama3", "phi3_longrope"]

    static func load(_ name: String) throws -> LlamaForCausalLM {
        try #require(try ModelRegistry.load(gguf: fixtureRoot.appendingPathComponent("\(name)/model.gguf")) as? LlamaForCausalLM)
    }

    @Test(arguments: names)
    func ggufLogitsMatchTransformers(_ name: String) throws {
        let model = try Self.load(name)
        #expect(model.config.ropeScaling != nil)
        let (r1, r2) = try ParityCase(name).compare(model)
        #expect(r1.ok, "\(name) GGUF plain: \(r1)")
        #expect(r2.ok, "\(name) GGUF left-padded: \(r2)")
        print("\(name) GGUF: max |Δlogits| vs transformers plain \(r1.maxAbsDifference), left-padded \(r2.maxAbsDifference)")
    }

    /// Phi-3's short factors: on 20 tokens (within the original context 24) the GGUF also gives
    /// transformers' logits, so both tensors are read into the right set.
    @Test func phi3ShortFactorsMatchTransformers() throws {
        let model = try Self.load("phi3_longrope")
        let f = try SafeTensorsFile(url: fixtureRoot.appendingPathComponent("phi3_longrope/expected.safetensors"))
        let want = try f.tensor("logits_short")
        let c = try ParityCase("phi3_longrope")
        let T = want.shape[1], W = c.ids.shape[1]
        let ids = IndexTensor(shape: [2, T], data: (0 ..< 2).flatMap { b in c.ids.data[(b * W) ..< (b * W + T)] })
        let r = compareClose(withoutGradients { model(ids) }.value, want, atol: 1e-4, rtol: 1e-4)
        #expect(r.ok, "phi3_longrope GGUF first \(T) tokens: \(r)")
        #expect(model.cacheRecomputeWidth == 25)
    }

    /// Hand-computed: the llama3 fixture (θ 10⁴, D 16, factor 8, low 1, high 4, L₀ 64) has wavelengths
    /// λᵢ = 2π·10⁴^(2i/16). i = 0: λ = 6.283 < 64/4 = 16, divisor 1. i = 1: λ = 19.869, between 16 and
    /// 64, s = (64/19.869 − 1)/3 = 0.74036, divisor 1/((1 − s)/8 + s) = 1.29398. i = 2: λ = 62.832,
    /// s = (64/62.832 − 1)/3 = 0.0061972, divisor 7.66739. i ≥ 3: λ ≥ 198.7 > 64, divisor 8.
    @Test func llama3FrequencyTensorIsLoadedAsDivisors() throws {
        let scaling = try #require(try Self.load("llama_rope_llama3").config.ropeScaling)
        #expect(scaling.type == "longrope" && scaling.parameters.attentionFactor == 1)
        let d = try #require(scaling.parameters.shortFactor)
        #expect(scaling.parameters.longFactor == d && d.count == 8)
        let want: [Float] = [1, 1.29398, 7.66739, 8, 8, 8, 8, 8]
        for (got, w) in zip(d, want) { #expect(abs(got - w) < 1e-5 * w, "\(d)") }
    }

    /// Linear and yarn give the folder's own configuration.
    @Test func linearAndYarnEqualTheFolders() throws {
        for name in ["llama_rope_linear", "llama_rope_yarn"] {
            let g = try Self.load(name).config.ropeScaling
            let f = try #require(try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name)) as? LlamaForCausalLM).config.ropeScaling
            #expect(g == f, "\(name): \(String(describing: g)) vs \(String(describing: f))")
        }
    }

    /// Keys llama.cpp reads but no fixture checks, and incomplete scaling, are refused by name.
    @Test func uncheckedKeysAreRefused() throws {
        let cases: [([(String, ConfigurationAuditTests.GGUFTestValue)], String)] = [
            ([("llama.rope.scaling.type", .string("yarn")), ("llama.rope.scaling.factor", .f32(4)),
              ("llama.rope.scaling.original_context_length", .u32(16)), ("llama.rope.scaling.yarn_log_multiplier", .f32(0.1))],
             "llama.rope.scaling.yarn_log_multiplier"),
            ([("llama.rope.scaling.type", .string("yarn")), ("llama.rope.scaling.factor", .f32(4)),
              ("llama.rope.scaling.original_context_length", .u32(16)), ("llama.rope.scaling.attn_factor", .f32(1.2))],
             "llama.rope.scaling.attn_factor"),
            ([("llama.rope.scaling.type", .string("yarn")), ("llama.rope.scaling.factor", .f32(4)),
              ("llama.rope.scaling.original_context_length", .u32(16)), ("llama.rope.scaling.yarn_ext_factor", .f32(0.5))],
             "llama.rope.scaling.yarn_ext_factor"),
            ([("llama.rope.scaling.type", .string("dynamic"))], "llama.rope.scaling.type"),
            ([("llama.rope.scaling.factor", .f32(2))], "llama.rope.scaling.factor"),
            ([("llama.rope.scaling.type", .string("longrope"))], "llama.rope.scaling.type"),
        ]
        for (entries, key) in cases { try GGUFFamilyTests.expectRefused(entries, key: key) }
        // yarn without its original context is named as missing metadata.
        let url = try ConfigurationAuditTests.gguf([("llama.rope.scaling.type", .string("yarn")), ("llama.rope.scaling.factor", .f32(4))])
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try ModelRegistry.load(gguf: url)
            Issue.record("yarn without original_context_length was not refused")
        } catch let ModelError.invalidConfiguration(_, reason) {
            #expect(reason.contains("llama.rope.scaling.original_context_length"))
        }
    }
}
