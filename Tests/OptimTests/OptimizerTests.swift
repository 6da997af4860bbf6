import Autograd
import Checkpoints
import Foundation
import NN
import Optim
import TensorCore
import Testing
import TestSupport

/// One free parameter vector.
final class Holder: Module {
    var w: Variable
    init(_ t: Tensor) { w = Variable(t, requiresGrad: true); super.init() }
}

struct TorchReference: Decodable {
    struct Case: Decodable {
        var settings: [String: Setting]
        var trajectory: [[Float]]
    }
    enum Setting: Decodable {
        case number(Double), pair([Double]), flag(Bool)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .flag(b) }
            else if let d = try? c.decode(Double.self) { self = .number(d) }
            else { self = .pair(try c.decode([Double].self)) }
        }
        var number: Float? { if case .number(let d) = self { return Float(d) }; return nil }
        var pair: [Float]? { if case .pair(let p) = self { return p.map { Float($0) } }; return nil }
        var flag: Bool? { if case .flag(let b) = self { return b }; return nil }
    }
    var initial: [Float]
    var grads: [[Float]]
    var cases: [String: Case]

    static func load() throws -> TorchReference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/optim_reference.json")
        return try JSONDecoder().decode(TorchReference.self, from: Data(contentsOf: url))
    }
}

func makeOptimizer(_ name: String, _ s: [String: TorchReference.Setting]) -> Optimizer {
    if name.hasPrefix("adamw") {
        let betas = s["betas"]?.pair ?? [0.9, 0.999]
        return AdamW(learningRate: s["lr"]!.number!, beta1: betas[0], beta2: betas[1],
                     eps: s["eps"]?.number ?? 1e-8, weightDecay: s["weight_decay"]?.number ?? 0.01)
    }
    return SGD(learningRate: s["lr"]!.number!, momentum: s["momentum"]?.number ?? 0, dampening: s["dampening"]?.number ?? 0,
               weightDecay: s["weight_decay"]?.number ?? 0, nesterov: s["nesterov"]?.flag ?? false)
}

@Suite struct OptimizerParityTests {
    @Test(arguments: ["adamw_default", "adamw_wd", "sgd_plain", "sgd_momentum", "sgd_nesterov"])
    func matchesTorchTrajectory(_ name: String) throws {
        let ref = try TorchReference.load()
        let c = try #require(ref.cases[name])
        let model = Holder(Tensor(ref.initial))
        let opt = makeOptimizer(name, c.settings)
        for (step, g) in ref.grads.enumerated() {
            model.w.grad = Tensor(g)
            opt.step(model)
            let r = compareClose(model.w.value, Tensor(c.trajectory[step]), atol: 2e-6, rtol: 1e-5)
            #expect(r.ok, "\(name) step \(step): \(r)")
        }
    }

    @Test func parametersWithoutGradientOrFrozenAreUntouched() {
        let a = Holder(Tensor([1, 2, 3]))
        let opt = AdamW(learningRate: 0.1)
        opt.step(a)  // no gradient yet
        #expect(a.w.value.scalars == [1, 2, 3])
        a.w.grad = Tensor([1, 1, 1])
        a.freeze()
        opt.step(a)
        #expect(a.w.value.scalars == [1, 2, 3])
    }
}

@Suite struct ResumeTests {
    /// Save the optimiser state mid-run through safetensors, restore into fresh objects, continue:
    /// the parameters must equal an uninterrupted run bit for bit.
    @Test(arguments: ["adamw", "sgd"])
    func stateRoundTripResumesExactly(_ kind: String) throws {
        func make() -> Optimizer { kind == "adamw" ? AdamW(learningRate: 0.05, weightDecay: 0.1) : SGD(learningRate: 0.1, momentum: 0.9) }
        var rng = RandomGenerator(seed: 3)
        let start = Tensor.randomNormal([4, 5], using: &rng)
        let grads = (0 ..< 8).map { _ in Tensor.randomNormal([4, 5], using: &rng) }

        let full = Holder(start), optFull = make()
        for g in grads { full.w.grad = g; optFull.step(full) }

        let first = Holder(start), opt1 = make()
        for g in grads[..<4] { first.w.grad = g; opt1.step(first) }
        let state = opt1.stateDict()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("optimizer.safetensors")
        // Scalars travel in the header metadata; Double's description round-trips exactly.
        try SafeTensors.write(state.tensors, to: file, metadata: state.scalars.mapValues { "\($0)" })
        try SafeTensors.write(first.stateDict(), to: dir.appendingPathComponent("model.safetensors"))

        let resumed = Holder(Tensor(shape: [4, 5]))
        try resumed.load(try SafeTensorsFile(url: dir.appendingPathComponent("model.safetensors")).loadAll())
        let opt2 = make()
        let saved = try SafeTensorsFile(url: file)
        try opt2.load(OptimizerState(tensors: try saved.loadAll(), scalars: saved.metadata.compactMapValues { Double($0) }))
        #expect(opt2.stepCount == 4)
        for g in grads[4...] { resumed.w.grad = g; opt2.step(resumed) }
        #expect(resumed.w.value.scalars == full.w.value.scalars)
    }

    @Test func loadRejectsForeignState() {
        let opt = AdamW()
        #expect(throws: OptimizerStateError.self) { try opt.load(OptimizerState(tensors: [:], scalars: [:])) }
        #expect(throws: OptimizerStateError.self) {
            try opt.load(OptimizerState(tensors: ["w.momentum_buffer": Tensor([1])], scalars: ["step": 1]))
        }
    }
}

@Suite struct ScheduleAndClippingTests {
    @Test func schedulesMatchTheirFormulas() {
        #expect(LearningRateSchedule.constant(0.1).learningRate(at: 50) == 0.1)
        let w = LearningRateSchedule.constantWithWarmup(peak: 1, warmup: 10)
        #expect(w.learningRate(at: 0) == 0 && w.learningRate(at: 5) == 0.5 && w.learningRate(at: 10) == 1 && w.learningRate(at: 99) == 1)
        let lin = LearningRateSchedule.linear(peak: 1, warmup: 10, total: 110)
        #expect(lin.learningRate(at: 5) == 0.5)
        #expect(lin.learningRate(at: 10) == 1)
        #expect(abs(lin.learningRate(at: 60) - 0.5) < 1e-6)
        #expect(lin.learningRate(at: 110) == 0 && lin.learningRate(at: 200) == 0)
        let cos = LearningRateSchedule.cosine(peak: 2, warmup: 0, total: 100, minimum: 0.2)
        #expect(abs(cos.learningRate(at: 0) - 2) < 1e-6)
        #expect(abs(cos.learningRate(at: 50) - 1.1) < 1e-5)
        #expect(abs(cos.learningRate(at: 100) - 0.2) < 1e-6)
    }

    @Test func clippingScalesToMaxNormAndReportsTheOriginal() {
        let m = Holder(Tensor([0, 0]))
        m.w.grad = Tensor([3, 4])
        let norm = clipGradientNorm(m, maxNorm: 1)
        #expect(abs(norm - 5) < 1e-6)
        let g = m.w.grad!.scalars
        #expect(abs((g[0] * g[0] + g[1] * g[1]).squareRoot() - 1) < 1e-5)
        m.w.grad = Tensor([0.3, 0.4])
        clipGradientNorm(m, maxNorm: 1)
        #expect(m.w.grad!.scalars == [0.3, 0.4])
    }
}
