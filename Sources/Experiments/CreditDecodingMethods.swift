// The methods of the CreditBench part of `tokenalign demo decoding`: each a searcher of the
// `Searchers` registry, the model it ranks with, and the budget knob its curve sweeps.
import Search

/// One method: a registered searcher with a scorer, swept over one budget list.
public struct CreditDecodingMethod: Sendable {
    /// Which of the seed's scorers ranks the candidates.
    public enum Scorer: String, Sendable {
        /// The Bradley–Terry outcome reward model.
        case orm
        /// The TVM value model read on prefixes: the process reward model of beam search and MCTS.
        case prm
        /// The multifurcation reward model (Saffron).
        case mrm
        /// The CreditBench verifier: the oracle ceiling (runs no model).
        case verifier
    }

    /// The budget knob the curve sweeps.
    public enum Budget: String, Sendable {
        /// One run (greedy).
        case none
        /// N samples.
        case samples
        /// K beams.
        case beamWidth = "beam_width"
        /// MCTS iterations.
        case iterations
        /// Saffron's kept (node, child) pairs per depth.
        case saffronBudget = "saffron_budget"
    }

    public var label: String
    /// The name in `Searchers.registry`.
    public var searcher: String
    public var scorer: Scorer?
    public var budget: Budget
    /// True when the method scores a pool of N samples (the unbiased best-of-n estimate applies).
    public var pool: Bool = false
}

public enum CreditDecodingMethods {
    /// Every method, in the report's order.
    public static let all: [CreditDecodingMethod] = [
        CreditDecodingMethod(label: "greedy", searcher: "greedy", scorer: nil, budget: .none),
        CreditDecodingMethod(label: "majority", searcher: "majority", scorer: nil, budget: .samples),
        CreditDecodingMethod(label: "best-of-n@orm", searcher: "best-of-n", scorer: .orm, budget: .samples, pool: true),
        CreditDecodingMethod(label: "best-of-n@verifier", searcher: "best-of-n", scorer: .verifier, budget: .samples, pool: true),
        CreditDecodingMethod(label: "weighted-majority@orm", searcher: "weighted-majority", scorer: .orm, budget: .samples),
        CreditDecodingMethod(label: "early-reject@orm", searcher: "early-reject", scorer: .orm, budget: .samples),
        CreditDecodingMethod(label: "beam@prm", searcher: "beam", scorer: .prm, budget: .beamWidth),
        CreditDecodingMethod(label: "mcts@prm", searcher: "mcts", scorer: .prm, budget: .iterations),
        CreditDecodingMethod(label: "saffron@mrm", searcher: "saffron", scorer: .mrm, budget: .saffronBudget),
    ]

    /// The method every other is compared with at matched cost.
    public static let baseline = "best-of-n@orm"

    public static func method(_ label: String) -> CreditDecodingMethod? { all.first { $0.label == label } }

    /// The budget values of `m` (one per level; greedy has one value, used at every level).
    static func budgets(_ m: CreditDecodingMethod, _ s: CreditDecodingSettings) -> [Int] {
        switch m.budget {
        case .none: [1]
        case .samples: s.samples
        case .beamWidth: s.beamWidths
        case .iterations: s.iterations
        case .saffronBudget: s.saffronBudgets
        }
    }

    /// The search settings of `m` at budget `value` on one seed.
    static func searchSettings(_ m: CreditDecodingMethod, value: Int, _ s: CreditDecodingSettings, seed: UInt64) throws -> SearchSettings {
        var c = SearchSettings()
        c.seed = seed
        c.n = m.budget == .samples ? value : 1
        c.tau = s.tau
        c.keepFraction = s.keep
        c.beamWidth = m.budget == .beamWidth ? value : 1
        c.expansions = s.expansions
        c.stepDelimiter = s.stepDelimiter
        c.stepTokens = s.stepTokens
        c.iterations = m.budget == .iterations ? value : 1
        c.budget = m.budget == .saffronBudget ? value : 1
        c.saffronTopP = s.saffronTopP
        c.maxChildren = s.maxChildren
        try c.validate()
        return c
    }
}
