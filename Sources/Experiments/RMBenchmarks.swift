// The reward-model benchmarks `tokenalign eval rm --scoring NAME` can score, as a registry family
// (each with its paper), and what each needs of a row.
import Support

public struct RMBenchmarkEntry: RegistryEntry {
    public var card: MethodCard
    public var scoring: RMScoring
}

public enum RMScoring: String, Sendable, Codable, CaseIterable {
    case rb1, rb2, rmBench = "rm-bench"
}

public enum RMBenchmarks {
    public static let registry = Registry<RMBenchmarkEntry>(family: "reward-model benchmark", [
        RMBenchmarkEntry(card: MethodCard(name: "rb1", aliases: ["rewardbench"],
                                          summary: "RewardBench: strict pair accuracy per subset, sections weighted by the reference's example counts, prior sets at half weight",
                                          arxiv: ["2403.13787"], inputs: ["prompt, chosen, rejected (string or list), subset"]), scoring: .rb1),
        RMBenchmarkEntry(card: MethodCard(name: "rb2", aliases: ["rewardbench2"],
                                          summary: "RewardBench 2: best-of-n with shared credit for ties, and the Ties subset's margin formula",
                                          arxiv: ["2506.01937"], inputs: ["prompt, chosen (list), rejected (list), subset, id (ref:K / tied:K in Ties)"]), scoring: .rb2),
        RMBenchmarkEntry(card: MethodCard(name: "rm-bench", summary: "RM-Bench: the style-by-difficulty matrix (hard, normal, easy accuracies) per domain",
                                          arxiv: ["2410.16184"], inputs: ["prompt, chosen and rejected lists of equal length (plainest style first), domain or subset"]),
                         scoring: .rmBench),
    ])
}
