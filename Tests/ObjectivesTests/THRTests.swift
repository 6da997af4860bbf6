// Token Hidden Reward (arXiv 2510.03669, our reconstruction; docs/design/online-rl.md §13.2): the
// scores against the numpy worked example, the Gram-matrix form against the direct double sum over
// explicit residual vectors, and the invariants (p = 0 is GRPO, groups without a correct response
// get nothing, permutations, NTHR as a special case, bad settings and inputs rejected). The
// reweighted advantages themselves are the thr cases of `RLReferenceTests`.
import Foundation
import Objectives
import TensorCore
import Testing

@Suite("THR: token hidden reward")
struct THRTests {
    /// A random batch: groups of `sizes`, lengths 1...T, outcomes `outcomes`, hidden states of width
    /// C and probability rows over V ids.
    static func randomBatch(outcomes: [Float], groups: [Int], T: Int = 6, C: Int = 5, V: Int = 7, seed: UInt64) throws -> RolloutBatch {
        var g = RandomGenerator(seed: seed)
        let B = outcomes.count
        var mask = [Float](repeating: 0, count: B * T), ids = [Int32](repeating: 0, count: B * T)
        for i in 0 ..< B {
            let length = 1 + Int(g.next() % UInt64(T))
            for t in 0 ..< length { mask[i * T + t] = 1 }
            for t in 0 ..< T { ids[i * T + t] = Int32(g.next() % UInt64(V)) }
        }
        let m = Tensor(shape: [B, T], data: mask)
        return try RolloutBatch(mask: m, tokenRewards: RolloutBatch.placingSequenceRewards(outcomes, mask: m), groupIDs: groups,
                                tokenIDs: IndexTensor(shape: [B, T], data: ids),
                                hiddenStates: Tensor.randomNormal([B, T, C], using: &g),
                                probabilities: (Tensor.randomNormal([B, T, V], using: &g) * 2).softmax())
    }

    /// s by the definition: explicit g = e_y − π over the whole vocabulary, summed pair by pair.
    static func directInfluence(_ batch: RolloutBatch) throws -> [Double] {
        let R = try batch.sequenceRewards(), m = batch.mask.scalars, T = batch.length
        let h = batch.hiddenStates!.scalars, p = batch.probabilities!.scalars, y = batch.tokenIDs!.data
        let C = batch.hiddenStates!.shape[2], V = batch.probabilities!.shape[2]
        func g(_ k: Int) -> [Double] {
            var v = (0 ..< V).map { -Double(p[k * V + $0]) }
            v[Int(y[k])] += 1
            return v
        }
        var out = [Double](repeating: 0, count: m.count)
        for gid in Set(batch.groupIDs) {
            let rows = batch.groupIDs.indices.filter { batch.groupIDs[$0] == gid }
            let correct = rows.filter { R[$0] > 0 }
            guard !correct.isEmpty, correct.count < rows.count else { continue }
            let tokens = rows.flatMap { i in (0 ..< T).filter { m[i * T + $0] != 0 }.map { i * T + $0 } }
            let anchors = correct.flatMap { i in (0 ..< T).filter { m[i * T + $0] != 0 }.map { i * T + $0 } }
            for k in tokens {
                var s = 0.0
                for a in anchors {
                    let gg = zip(g(k), g(a)).reduce(0) { $0 + $1.0 * $1.1 }
                    let hh = (0 ..< C).reduce(0.0) { $0 + Double(h[k * C + $1]) * Double(h[a * C + $1]) }
                    s += gg * hh
                }
                out[k] = s
            }
        }
        return out
    }

    @Test("influence, THR and dominance match the numpy worked example (rl_reference.json, section thr)")
    func matchesNumpy() throws {
        let ref = RLReference.shared
        let raw = try #require(try loadJSON("rl_reference.json")["thr"] as? [String: Any])
        let sc = try THRAdvantage().scores(try ref.batch())
        let s = floats(raw["influence"]), thr = floats(raw["thr"]), dominant = floats(raw["dominant"]), mixed = floats(raw["mixed"])
        let m = ref.bt("mask").scalars
        for k in 0 ..< m.count where m[k] != 0 {
            #expect(abs(sc.influence[k] - s[k]) <= 1e-6 + 1e-5 * abs(s[k]), "s at \(k): \(sc.influence[k]) vs \(s[k])")
            #expect(abs(sc.thr[k] - thr[k]) <= 1e-6 + 1e-5 * abs(thr[k]), "THR at \(k): \(sc.thr[k]) vs \(thr[k])")
            #expect(sc.dominant[k] == (dominant[k] == 1), "dominance at \(k)")
            #expect(sc.mixedRow[k / ref.T] == (mixed[k] == 1), "mixed group at \(k)")
        }
    }

    @Test("the Gram-matrix form equals the direct double sum over explicit residual vectors")
    func gramEqualsDirect() throws {
        for seed in [3, 4, 5] as [UInt64] {
            let batch = try Self.randomBatch(outcomes: [1, 0, 1, 0, 0, 1, 1, 0, 0], groups: [0, 0, 0, 0, 1, 1, 1, 2, 2], seed: seed)
            let direct = try Self.directInfluence(batch)
            let sc = try THRAdvantage().scores(batch)
            let a = try GRPOAdvantage().estimate(batch).advantages.scalars
            for k in direct.indices {
                #expect(abs(Double(sc.influence[k]) - direct[k]) <= 1e-5 * (1 + abs(direct[k])), "seed \(seed) token \(k)")
                #expect(abs(Double(sc.thr[k]) - Double(a[k]) * direct[k]) <= 1e-5 * (1 + abs(direct[k])), "seed \(seed) THR \(k)")
            }
        }
    }

    @Test("p = 0 is GRPO exactly; groups without a correct response (or all correct) keep GRPO's advantage and THR = 0")
    func reductions() throws {
        // Group 2 (rows 7, 8) has no correct response; group 1 (rows 4–6) is all correct.
        let batch = try Self.randomBatch(outcomes: [1, 0, 1, 0, 1, 1, 1, 0, 0], groups: [0, 0, 0, 0, 1, 1, 1, 2, 2], seed: 11)
        let grpo = try GRPOAdvantage().estimate(batch).advantages.scalars
        #expect(try THRAdvantage(steering: 0).estimate(batch).advantages.scalars == grpo)
        let steered = try THRAdvantage(steering: 0.5).estimate(batch)
        let sc = try THRAdvantage(steering: 0.5).scores(batch)
        let T = batch.length
        for k in grpo.indices where k / T >= 4 {
            #expect(sc.thr[k] == 0 && sc.influence[k] == 0, "row \(k / T)")
            #expect(steered.advantages.scalars[k] == grpo[k], "row \(k / T)")
        }
        #expect(zip(steered.advantages.scalars, grpo).contains { $0 != $1 }, "p = 0.5 changes the mixed group")
        #expect(steered.metrics["thr/dominant_fraction"] != nil && steered.metrics["thr/mean_abs"]! > 0)
        // A batch with no mixed group at all: GRPO's advantages, no metrics.
        let flat = try Self.randomBatch(outcomes: [0, 0, 1, 1], groups: [0, 0, 1, 1], seed: 12)
        let out = try THRAdvantage(steering: 1, mode: .dominant).estimate(flat)
        #expect(out.advantages.scalars == (try GRPOAdvantage().estimate(flat)).advantages.scalars && out.metrics.isEmpty)
    }

    @Test("NTHR is the special case p > 0 on wrong tokens with s > τ: A(1 − p); correct tokens with s > τ get A(1 + p)")
    func nthrSpecialCase() throws {
        let batch = try Self.randomBatch(outcomes: [1, 0, 1, 0, 0, 1], groups: [0, 0, 0, 0, 1, 1], seed: 21)
        let p: Float = 0.4
        let out = try THRAdvantage(steering: p).estimate(batch).advantages.scalars
        let sc = try THRAdvantage(steering: p).scores(batch)
        let a = try GRPOAdvantage().estimate(batch).advantages.scalars
        let R = try batch.sequenceRewards(), m = batch.mask.scalars, T = batch.length
        var checked = 0
        for k in m.indices where m[k] != 0 && sc.dominant[k] && sc.influence[k] > 0 {
            let factor: Float = R[k / T] > 0 ? 1 + p : 1 - p
            #expect(abs(out[k] - a[k] * factor) < 1e-6, "token \(k)")
            checked += 1
        }
        #expect(checked > 0)
    }

    @Test("permuting the responses of a group permutes THR")
    func permutation() throws {
        let batch = try Self.randomBatch(outcomes: [1, 0, 1, 0], groups: [0, 0, 0, 0], seed: 31)
        let order = [2, 0, 3, 1], B = 4, T = batch.length
        func rows(_ t: Tensor) -> Tensor {
            let w = t.scalars.count / (B * T)
            return Tensor(shape: t.shape, data: order.flatMap { Array(t.scalars[$0 * T * w ..< ($0 + 1) * T * w]) })
        }
        let ids = batch.tokenIDs!.data
        let permuted = try RolloutBatch(mask: rows(batch.mask), tokenRewards: rows(batch.tokenRewards), groupIDs: [0, 0, 0, 0],
                                        tokenIDs: IndexTensor(shape: [B, T], data: order.flatMap { Array(ids[$0 * T ..< ($0 + 1) * T]) }),
                                        hiddenStates: rows(batch.hiddenStates!), probabilities: rows(batch.probabilities!))
        let a = try THRAdvantage().scores(batch), b = try THRAdvantage().scores(permuted)
        for (newRow, oldRow) in order.enumerated() {
            for t in 0 ..< T {
                #expect(abs(b.thr[newRow * T + t] - a.thr[oldRow * T + t]) <= 1e-5 * (1 + abs(a.thr[oldRow * T + t])))
            }
        }
    }

    @Test("bad settings and inputs are rejected with the key and what was expected")
    func badInput() throws {
        for (config, key) in [(["thr_p": "1.5"], "thr_p"), (["thr_p": "-2"], "thr_p"), (["thr_mode": "greedy"], "thr_mode"),
                              (["thr_beta": "inf"], "thr_beta"), (["thr_p": "nan"], "thr_p")] {
            do {
                _ = try AdvantageEstimators.make("thr", settings: AdvantageSettings(config: config))
                Issue.record("\(config): accepted")
            } catch let e as RLInputError {
                #expect("\(e)".contains(key), "\(e)")
            }
        }
        #expect(catching { try THRAdvantage(steering: 1.01) }.map { "\($0)".contains("-1...1") } == true)
        let good = try Self.randomBatch(outcomes: [1, 0], groups: [0, 0], seed: 41)
        var noStates = good
        noStates.hiddenStates = nil
        #expect(throws: RLInputError.missing(field: "hiddenStates", method: "thr")) { try THRAdvantage().estimate(noStates) }
        var noRows = good
        noRows.probabilities = nil
        #expect(throws: RLInputError.missing(field: "probabilities", method: "thr")) { try THRAdvantage().estimate(noRows) }
        // A token id the probability rows do not cover.
        var ids = good.tokenIDs!.data
        ids[0] = 99
        var outside = good
        outside.tokenIDs = IndexTensor(shape: good.mask.shape, data: ids)
        #expect(throws: RLInputError.self) { try THRAdvantage().estimate(outside) }
        // A NaN hidden state at a trained position names it; at a masked one it is never read.
        var h = good.hiddenStates!
        h[flat: 0] = .nan
        var nan = good
        nan.hiddenStates = h
        #expect(catching { try THRAdvantage().estimate(nan) }.map { "\($0)".contains("hiddenStates: row 0, position 0") } == true)
        #expect(throws: RLInputError.self) {
            try RolloutBatch(mask: good.mask, tokenRewards: good.tokenRewards, hiddenStates: Tensor.zeros([2, 3]))
        }
    }
}

/// The error a throwing expression raises (nil when it does not throw).
private func catching<T>(_ body: () throws -> T) -> Error? {
    do { _ = try body(); return nil } catch { return error }
}
