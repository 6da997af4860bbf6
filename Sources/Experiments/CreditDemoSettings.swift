// The knobs of `tokenalign demo`: one Codable value, written to the run folder as `settings.json`
// so a run's numbers can always be traced to exactly what produced them.
import CreditBench
import Foundation
import Support

/// Settings of the CreditBench demo (issue: "CreditBench and `tokenalign demo`").
///
/// The defaults are chosen so the full pipeline runs in a few minutes on 2 cores while the
/// starting policy stays imperfect: demonstrations carry injected errors (`errorRate`), so the SFT
/// model samples wrong answers at roughly that rate and sampled responses give both chosen
/// (correct) and rejected (wrong, first error known) responses. Each field is declared once more,
/// with its key, doc and rule, in `settings` (`CreditDemoSettings+Settings.swift`).
public struct CreditDemoSettings: DemoSettings, TinyLlamaKnobs, Sendable, Equatable {
    // Task
    public var task = "sort"
    public var length: Int?
    public var maxValue: Int?
    public var digits = 3
    public var minDigits = 1
    public var reversed = true
    public var regime = "injected"
    public var errorRate = 0.3
    public var systematicShare = 0.8
    public var localisationSet = "auto"
    public var sftExamples = 8000
    public var preferencePrompts = 1200
    public var evalPrompts = 400
    public var samplesPerPrompt = 4
    public var evalSamples = 2
    public var maxNewTokens = 24

    // Tokenizer and model
    public var vocabularySize = 300
    public var hiddenSize = 128
    public var layers = 2
    public var heads = 4
    public var kvHeads = 2
    public var intermediateSize = 344

    // Supervised fine-tuning from scratch
    public var sftModel: String?
    public var sftSteps = 4000
    public var sftBatch = 32
    public var sftLearningRate: Float = 2e-3

    // Preference training (every method: same steps, batch, learning rate)
    public var preferenceSteps = 150
    public var preferenceBatch = 16
    public var preferenceLearningRate: Float = 5e-5
    public var beta: Float = 0.1
    public var alpha: Float = 0.5
    public var methods = ["dpo", "tdpo2", "tgdpo", "sparsepo", "cdpo"]
    public var evalEvery = 25

    // Auxiliary models: cDPO's positive/negative models and the reward models.
    public var auxiliarySteps = 150
    public var auxiliaryLearningRate: Float = 5e-4

    public var bootstrapResamples = 1000
    public var heatmaps = 4
    public var seed: UInt64 = 0

    public init() {}

    /// The CI smoke-test size: same pipeline, every stage shrunk (≤ 2 minutes on 2 cores).
    public static var quick: CreditDemoSettings {
        var s = CreditDemoSettings()
        s.length = 3
        s.sftExamples = 1500
        s.preferencePrompts = 200
        s.evalPrompts = 80
        s.samplesPerPrompt = 4
        s.evalSamples = 1
        s.hiddenSize = 64
        s.layers = 2
        s.intermediateSize = 172
        s.sftSteps = 1200
        s.preferenceSteps = 20
        s.evalEvery = 10
        s.auxiliarySteps = 20
        s.bootstrapResamples = 200
        s.heatmaps = 2
        return s
    }

    /// The task these settings describe.
    public func makeTask() throws -> any CreditTask {
        guard let name = CreditTaskName(rawValue: task) else { throw CreditBenchError.unknownTask(task) }
        return try name.task(knobs(for: name))
    }

    /// The difficulty knobs of `name` these settings set (the others keep the task's defaults).
    public func knobs(for name: CreditTaskName) -> TaskKnobs {
        var k = TaskKnobs()
        if name == .add {
            k.digits = digits
            k.minDigits = minDigits
            k.reversed = reversed
        }
        if name != .add && name != .chain { k.length = length }
        if name == .sort || name == .chain { k.maxValue = maxValue }
        return k
    }

    /// Checks every knob, naming the one that is wrong: each setting's rule in `settings`, then the
    /// rules that relate settings.
    public func validate() throws(DemoError) {
        try Self.settings.validateForDemo(self)
        if regime == "systematic", let t = try? makeTask(), !(t is any SystematicBugTask) {
            throw .invalidSetting("task '\(task)' has no systematic bug, so the systematic regime cannot run on it")
        }
        try validateTinyLlama()
        let known = Set(CreditDemo.knownMethods)
        for m in methods where !known.contains(m) {
            throw .invalidSetting("unknown method '\(m)'; expected some of \(CreditDemo.knownMethods.joined(separator: ", "))")
        }
        if methods.contains("tgdpo"), let t = methods.firstIndex(of: "tgdpo") {
            guard let d = methods.firstIndex(of: "dpo"), d < t else {
                throw .invalidSetting("tgdpo is guided by the dpo run's implicit reward: list dpo before tgdpo")
            }
        }
    }

    public static var tinyLlamaFields: TinyLlamaFields<CreditDemoSettings> {
        TinyLlamaFields(\.vocabularySize, \.hiddenSize, \.layers, \.heads, \.kvHeads, \.intermediateSize,
                        \.sftSteps, \.sftBatch, \.sftLearningRate)
    }
    /// The error regimes of the SFT demonstrations (docs/design/rewards.md §3.6): random slips, a
    /// systematic bug, or none at all (`sampled`: every wrong sample is the SFT model's own).
    public static let regimes = ["injected", "systematic", "sampled"]
    /// The localisation sets; `auto` resolves by the regime (`resolvedLocalisationSet`).
    public static let localisationSets = ["auto", "paired", "all-wrong"]

    /// The set credit sources are localised on. `auto` takes `all-wrong` in the systematic and
    /// sampled regimes and `paired` under injected slips. Under a systematic bug the model makes its confident error on
    /// almost every prompt that admits it, so those prompts rarely give a preference pair, and the
    /// paired set keeps only the model's occasional slips, which its own confidence localises for
    /// free: sort at share 1.0 kept 6 rejected responses of 117 such prompts, and confidence scored
    /// AUROC 1.000 on them against 0.730 on the 126–137 all-wrong samples (docs/results.md,
    /// "CreditBench, systematic regime"). Under injected slips both sets hold the same kind of error,
    /// and the paired set keeps the demo's published tables comparable. In the sampled regime every
    /// error is the model's own, and the prompts it gets wrong on every sample — its confident
    /// errors — are exactly the ones the paired set would drop.
    public var resolvedLocalisationSet: String {
        localisationSet != "auto" ? localisationSet : (regime == "injected" ? "paired" : "all-wrong")
    }

}

/// Why the demo cannot run.
public enum DemoError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidSetting(String)
    /// A stage produced nothing to continue with (e.g. no wrong samples to build pairs from).
    case emptyStage(String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidSetting(let s): return "demo settings: \(s)"
        case .emptyStage(let s): return "demo: \(s)"
        case .cannotWrite(let p, let r): return "demo: cannot write \(p): \(r)"
        }
    }
}
