// Quark's data pool: every sampled completion with its reward, cut into reward quantiles.
import Foundation
import TensorCore

/// The pool of Quark (arXiv 2205.13636, §2): it starts with samples of the initial policy and grows
/// by every rollout batch; nothing is dropped. Before each update the whole pool is sorted by reward
/// and cut into K equal quantiles, so a sample's quantile (and so its control prefix) can fall as
/// better samples arrive. The pool is part of the run's state (checkpointed, restored on resume).
struct QuarkPool: Equatable {
    struct Entry: Equatable {
        var promptIndex: Int
        var ids: [Int]
        var reward: Float
        var truncated: Bool
    }

    var entries: [Entry] = []

    /// Each entry's quantile, 0 (lowest rewards) to K − 1 (highest), cut as the reference code does
    /// (`GXimingLu/Quark:data_pool.py`, `DataPool.add`): entries sorted by reward, best first (a
    /// stable sort, so equal rewards keep the order they joined the pool in), the first ⌊N/K⌋ are
    /// the best quantile, the next ⌊N/K⌋ the second best, and so on; the N mod K left over join
    /// the worst quantile (all of them when N < K).
    func quantiles(_ k: Int) -> [Int] {
        let n = entries.count, size = n / k
        let order = entries.indices.sorted { a, b in
            entries[a].reward > entries[b].reward || (entries[a].reward == entries[b].reward && a < b)
        }
        var out = [Int](repeating: 0, count: n)
        for (rank, i) in order.enumerated() {
            let fromBest = size == 0 ? k - 1 : min(rank / size, k - 1)
            out[i] = k - 1 - fromBest
        }
        return out
    }

    /// Adds `new` at the end and, when `limit` > 0, drops the oldest entries so at most `limit`
    /// remain (first in, first out: the samples of the earliest, least trained policies go first).
    mutating func append(_ new: [Entry], limit: Int) {
        entries += new
        if limit > 0 && entries.count > limit { entries.removeFirst(entries.count - limit) }
    }

    /// `count` distinct entries chosen uniformly (all of them, shuffled, when the pool is smaller):
    /// a partial Fisher–Yates shuffle driven by `rng`.
    func draw(_ count: Int, rng: inout RandomGenerator) -> [Int] {
        var a = Array(entries.indices)
        let m = min(count, a.count)
        for i in 0 ..< m { a.swapAt(i, i + Int(rng.next() % UInt64(a.count - i))) }
        return Array(a[0 ..< m])
    }

    // MARK: Checkpoint state

    /// The pool as `trainer_state.json` keeps it (rewards with 17 digits, so a Float round-trips).
    var state: [[String: Any]] {
        entries.map { ["prompt": $0.promptIndex, "ids": $0.ids, "reward": String(format: "%.17g", Double($0.reward)), "truncated": $0.truncated] }
    }

    /// The pool of a checkpoint; `prompts` bounds the prompt indices.
    init(state: Any, prompts: Int) throws {
        guard let rows = state as? [[String: Any]] else { throw RewardError("quark_pool: expected a list of samples") }
        entries = try rows.enumerated().map { k, row in
            guard let p = row["prompt"] as? Int, (0 ..< prompts).contains(p), let ids = row["ids"] as? [Int],
                  let reward = (row["reward"] as? String).flatMap(Double.init).map(Float.init), reward.isFinite,
                  let truncated = row["truncated"] as? Bool
            else { throw RewardError("quark_pool: sample \(k) is not {prompt < \(prompts), ids, reward, truncated}") }
            return Entry(promptIndex: p, ids: ids, reward: reward, truncated: truncated)
        }
    }

    init() {}
}
