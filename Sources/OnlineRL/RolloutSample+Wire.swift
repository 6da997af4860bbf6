// Rollout samples travel between ranks after each rank sampled, judged and scored its own groups:
// every rank then holds the whole rollout batch, so batch-level statistics (REINFORCE++ whitening,
// batch reward scaling, the adaptive KL, the logged metrics) are computed on it exactly as in one
// process (docs/design/distributed.md §3).
import Distributed

extension RolloutSample {
    func encode(_ w: inout WireWriter) {
        w.int(promptIndex); w.int(group); w.ints(promptIDs); w.ints(ids)
        w.floats(rolloutLogps); w.floats(entropies); w.bool(truncated); w.string(text)
        w.floats(rewards); w.floats(advantages); w.optionalFloats(oldLogps); w.optionalFloats(referenceLogps)
        w.optionalFloats(values); w.floats(returns); w.optionalFloat(rewardBaseline); w.bool(trained)
    }

    static func decode(_ r: inout WireReader) throws -> RolloutSample {
        var s = RolloutSample(promptIndex: try r.int(), group: try r.int(), promptIDs: try r.ints(), ids: try r.ints(),
                              rolloutLogps: try r.floats(), entropies: try r.floats(), truncated: try r.bool(), text: try r.string())
        s.rewards = try r.floats(); s.advantages = try r.floats(); s.oldLogps = try r.optionalFloats()
        s.referenceLogps = try r.optionalFloats(); s.values = try r.optionalFloats(); s.returns = try r.floats()
        s.rewardBaseline = try r.optionalFloat(); s.trained = try r.bool()
        return s
    }
}

extension OnlineRLTrainer {
    /// Every rank's samples (and per-function rewards), concatenated in rank order: the order of
    /// the one-process rollout batch, since rank r sampled the r-th block of groups.
    func gatherRollouts(_ samples: [RolloutSample], perFunction: [String: [Float]]) throws -> ([RolloutSample], [String: [Float]]) {
        var w = WireWriter()
        w.int(samples.count)
        for s in samples { s.encode(&w) }
        let names = perFunction.keys.sorted()
        w.int(names.count)
        for n in names { w.string(n); w.floats(perFunction[n]!) }
        var all: [RolloutSample] = [], functions: [String: [Float]] = [:]
        for block in try communicator.allGatherVariable(w.bytes) {
            var r = WireReader(block)
            for _ in 0 ..< (try r.int()) { all.append(try RolloutSample.decode(&r)) }
            for _ in 0 ..< (try r.int()) { let n = try r.string(); functions[n, default: []] += try r.floats() }
        }
        return (all, functions)
    }
}
