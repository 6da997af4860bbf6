// RoPE scaling ("linear", "llama3"): logits parity is in ModelParityTests (fixtures from
// Tests/Fixtures/generate_rope_scaling_parity.py); here, the frequencies themselves and a check that
// the fixtures would catch a model that ignored the scaling.
import Autograd
import Foundation
import Models
import TensorCore
import Testing
import TestSupport

@Suite struct RopeScalingTests {
    static func load(_ name: String) throws -> LlamaForCausalLM {
        try #require(try ModelRegistry.load(folder: fixtureRoot.appendingPathComponent(name)) as? LlamaForCausalLM)
    }

    /// inv_freq of transformers 5.25 `LlamaRotaryEmbedding` for the fixtures (head_dim 16, θ 10000),
    /// printed by the generator: all three llama3 regimes appear (unchanged, smoothed, divided).
    @Test func inverseFrequenciesMatchTransformers() throws {
        let expected: [String: [Double]] = [
            "llama_rope_linear": [0.25, 0.07905694097280502, 0.02500000037252903, 0.007905694656074047, 0.0024999999441206455,
                                  0.0007905694656074047, 0.0002500000118743628, 7.905694656074047e-05],
            "llama_rope_llama3": [1.0, 0.24438458681106567, 0.013042256236076355, 0.0039528473280370235, 0.0012499999720603228,
                                  0.00039528473280370235, 0.0001250000059371814, 3.9528473280370235e-05],
        ]
        for (name, want) in expected {
            let c = try Self.load(name).config
            let scale = try #require(c.ropeFrequencyScale)
            #expect(scale.count == 8)
            for i in 0 ..< 8 {
                let ours = Double(scale[i]) / pow(Double(c.ropeTheta), Double(2 * i) / 16)
                #expect(abs(ours - want[i]) <= 1e-6 * want[i], "\(name) frequency \(i): \(ours) vs \(want[i])")
            }
        }
    }

    /// The same weights with plain RoPE are far from transformers' scaled logits.
    @Test(arguments: ["llama_rope_linear", "llama_rope_llama3"])
    func scalingChangesTheResult(_ name: String) throws {
        var config = try Self.load(name).config
        config.ropeScaling = nil
        config.ropeScalingType = nil
        let plain = LlamaForCausalLM(config)
        try ModelRegistry.assign(try ModelRegistry.readWeights(folder: fixtureRoot.appendingPathComponent(name)), to: plain, path: name)
        let c = try ParityCase(name)
        let gap = compareClose(withoutGradients { plain(c.ids) }.value, c.logitsPlain, atol: 1e-4, rtol: 1e-4).maxAbsDifference
        #expect(gap > 0.1, "\(name): unscaled model within \(gap)")
    }
}
