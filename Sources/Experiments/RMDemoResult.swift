// What `tokenalign demo rm` measured, as written to `results.json`: per contender (a registered
// reward-model kind, a training method, the BT ensemble, the DPO implicit reward) one run per seed
// scored by the `eval rm` harness, and the summary row of the table. Wall-clock times go to
// `timing.json` instead, so that two runs with the same settings write byte-identical results.
import Evaluation
import Foundation

/// One contender on one seed.
public struct RMDemoSeedRun: Sendable, Equatable, Codable {
    /// nil for the ensemble (its members are every seed's BT model).
    public var seed: UInt64?
    public var pairAccuracy: Double
    /// Strict correctness of every held-out pair (rb1), in the file's order.
    public var pairCorrect: [Bool]
    /// Paired accuracy drop under each robustness transformation.
    public var robustness: [String: PairedDrop]
    /// Spearman ρ between reward and response length (characters) over the scored responses.
    public var lengthSpearman: Double?
    /// First-error localisation of a token-level kind on the held-out rejected responses.
    public var localisation: [ResponseLocalisation]?
}

/// The table row of one contender.
public struct RMDemoRow: Sendable, Equatable, Codable {
    public var name: String
    /// kind, method, ensemble or baseline.
    public var family: String
    public var arxiv: [String]
    /// The training rows it read (`RMDemoRows`), or a description for the ensemble and DPO.
    public var rows: String
    public var tokenLevel: Bool
    /// Why it did not run on this data (nil: it ran).
    public var notApplicable: String?
    /// Held-out strict pair accuracy, 95% bootstrap CI over held-out pairs (pooled over seeds).
    public var pairAccuracy: Estimate?
    /// Paired with Bradley–Terry on the same seed and pair (ensemble: against the BT mean).
    public var differenceFromBT: Estimate?
    public var seedsAboveBT = 0
    public var seedsBelowBT = 0
    /// Mean accuracy drop per robustness transformation over seeds.
    public var robustnessDrops: [String: Double] = [:]
    public var lengthSpearman: Double?
    public var top1: Estimate?
    public var auroc: Estimate?
    public var runs: [RMDemoSeedRun] = []
}

public struct RMDemoResult: Sendable, Equatable, Codable {
    /// A run's `results.json`.
    public static func load(from url: URL) throws -> RMDemoResult { try readJSON(RMDemoResult.self, from: url) }

    public var settings: RMDemoSettings
    public var data: RMDemoDataSummary
    /// Mean over held-out rejected responses of 1/(e + 1), e the first error's token index: the
    /// top-1 localisation of a source that blames a uniformly random token of 0…e.
    public var top1Chance: Double
    public var rows: [RMDemoRow]
}
