// Rollout samples travel between ranks after each rank sampled, judged and scored its own groups:
// every rank then holds the whole rollout batch, so batch-level statistics (REINFORCE++ whitening,
// batch reward scaling, the adaptive KL, the logged metrics) are computed on it exactly as in one
// process (docs/design/distributed.md §3). A received block is checked before any of it is used
// (counts, lengths that must agree, token ids inside the vocabulary, prompt indices inside the
// prompt set), so a corrupt or mismatched message is an error, never an index past a buffer
// (docs/design/hardening.md §5: the `rollouts` fuzz target).
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

    /// Throws when the sample's fields disagree with each other or with the run: per-token arrays
    /// of another length than the completion, an empty prompt, a token id outside the vocabulary,
    /// a prompt index outside the prompt set.
    func check(vocabularySize: Int, promptCount: Int, at k: Int) throws {
        func fail(_ what: String) -> DistributedError { DistributedError("rollout sample \(k) from another rank: \(what)") }
        guard (0 ..< promptCount).contains(promptIndex) else { throw fail("prompt index \(promptIndex) outside 0..<\(promptCount)") }
        guard group >= 0 else { throw fail("negative group \(group)") }
        guard !promptIDs.isEmpty else { throw fail("an empty prompt") }
        for (name, list) in [("prompt", promptIDs), ("completion", ids)] {
            if let bad = list.first(where: { !(0 ..< vocabularySize).contains($0) }) {
                throw fail("\(name) token id \(bad) outside the vocabulary of \(vocabularySize)")
            }
        }
        let n = ids.count
        let perToken: [(String, [Float]?, Bool)] = [
            ("rollout_logps", rolloutLogps, false), ("entropies", entropies, false), ("rewards", rewards, true),
            ("advantages", advantages, true), ("old_logps", oldLogps, false), ("reference_logps", referenceLogps, false),
            ("values", values, false), ("returns", returns, true),
        ]
        for (name, values, mayBeEmpty) in perToken {
            guard let values, !(mayBeEmpty && values.isEmpty) else { continue }
            guard values.count == n else { throw fail("\(values.count) \(name) for a \(n)-token completion") }
        }
    }

    /// One rank's block of the gather: a count, the samples, then the per-function rewards.
    static func encodeBlock(_ samples: [RolloutSample], perFunction: [String: [Float]]) -> [UInt8] {
        var w = WireWriter()
        w.int(samples.count)
        for s in samples { s.encode(&w) }
        let names = perFunction.keys.sorted()
        w.int(names.count)
        for n in names { w.string(n); w.floats(perFunction[n] ?? []) }
        return w.bytes
    }

    /// Decodes and checks one rank's block (`encodeBlock`); every per-function reward list has one
    /// entry per sample of the block.
    static func decodeBlock(_ bytes: [UInt8], vocabularySize: Int, promptCount: Int) throws -> ([RolloutSample], [(String, [Float])]) {
        var r = WireReader(bytes)
        let count = try r.int()
        // A sample takes at least 8 × 9 bytes (its integers and length prefixes).
        guard count >= 0, count <= bytes.count / 72 else { throw DistributedError("a rollout block from another rank claims \(count) samples in \(bytes.count) bytes") }
        var samples: [RolloutSample] = []
        for k in 0 ..< count {
            let s = try RolloutSample.decode(&r)
            try s.check(vocabularySize: vocabularySize, promptCount: promptCount, at: k)
            samples.append(s)
        }
        let functions = try r.int()
        guard functions >= 0, functions <= bytes.count / 16 else { throw DistributedError("a rollout block from another rank claims \(functions) reward functions") }
        var perFunction: [(String, [Float])] = []
        for _ in 0 ..< functions {
            let name = try r.string(), values = try r.floats()
            guard values.count == count else {
                throw DistributedError("reward \(name) from another rank: \(values.count) values for \(count) samples")
            }
            perFunction.append((name, values))
        }
        guard r.atEnd else { throw DistributedError("a rollout block from another rank has bytes past its end") }
        return (samples, perFunction)
    }
}

/// The receiving side of the rollout gather, public for the fuzz harness (FuzzHarness `rollouts`).
public enum RolloutWire {
    /// Decodes one rank's block as the trainer does, lays its samples out as the loss would (padded
    /// tensors and the RL maths' batch view) and returns what reports keep of them.
    public static func records(decoding bytes: [UInt8], vocabularySize: Int, promptCount: Int) throws -> [RolloutRecord] {
        let (samples, _) = try RolloutSample.decodeBlock(bytes, vocabularySize: vocabularySize, promptCount: promptCount)
        if !samples.isEmpty, samples.allSatisfy({ $0.rewards.count == $0.ids.count }) {
            _ = try PaddedRollout(samples, padID: 0, forLoss: true).batch()
        }
        return samples.map(RolloutRecord.init)
    }
}

extension OnlineRLTrainer {
    /// Every rank's samples (and per-function rewards), concatenated in rank order: the order of
    /// the one-process rollout batch, since rank r sampled the r-th block of groups.
    func gatherRollouts(_ samples: [RolloutSample], perFunction: [String: [Float]]) throws -> ([RolloutSample], [String: [Float]]) {
        var all: [RolloutSample] = [], functions: [String: [Float]] = [:]
        for block in try communicator.allGatherVariable(RolloutSample.encodeBlock(samples, perFunction: perFunction)) {
            let (mine, rewards) = try RolloutSample.decodeBlock(block, vocabularySize: policy.vocabularySize, promptCount: prompts.count)
            all += mine
            for (n, v) in rewards { functions[n, default: []] += v }
        }
        return (all, functions)
    }
}
