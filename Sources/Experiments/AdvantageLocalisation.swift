// Does an RL method put its credit where the error is? Over wrong rollouts with a known first
// error, the chance that the token with the most negative advantage is that token (ties broken
// uniformly at random: a sequence-level method that gives every token the same advantage scores
// exactly the chance level, 1/length).

struct AdvantageLocalisation {
    private(set) var hits = 0.0
    private(set) var chanceSum = 0.0
    private(set) var count = 0
    /// Rollouts kept for heatmaps (filled by the caller).
    var maps: [RLAdvantageMap] = []

    /// Adds one wrong rollout: its per-token advantages and the index of its first wrong token.
    mutating func add(advantages a: [Float], firstError: Int) {
        guard let lowest = a.min(), a.indices.contains(firstError) else { return }
        let tied = a.reduce(0) { $0 + ($1 == lowest ? 1 : 0) }
        if a[firstError] == lowest { hits += 1 / Double(tied) }
        chanceSum += 1 / Double(a.count)
        count += 1
    }

    /// Expected top-1 hit rate (NaN with no wrong rollout).
    var top1: Double { count > 0 ? hits / Double(count) : .nan }
    var chance: Double { count > 0 ? chanceSum / Double(count) : .nan }
}
