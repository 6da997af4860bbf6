// The LSC transformation of `--reward rm:DIR,transform=logsigmoid` and `rm-ensemble:…` (arXiv
// 2402.00742): u = log σ(r − r_ref(x)) is monotone in r, matches hand-worked values, takes r_ref
// from the prompt's group (a quantile) or a row column, and a sum of transformed rewards prefers a
// response good on both rewards over one excellent on one and bad on the other (the paper's soft
// AND), where the raw sum prefers the latter. Bad options are errors naming what was wrong.
import Datasets
import Foundation
import OnlineRL
import Rewards
import TestSupport
import Testing
import Tokenizers
import TrainedFixtures

@Suite struct RewardTransformTests {
    /// Completions of the given prompts (equal prompt texts share a group), with optional columns.
    static func completions(_ prompts: [String], columns: [[String: Any]]? = nil) -> [Completion] {
        prompts.enumerated().map { i, p in
            Completion(prompt: RLPrompt(location: RowLocation(file: "p.jsonl", line: i + 1), text: p, ids: p.unicodeScalars.map { Int($0.value) },
                                        columns: columns?[i] ?? [:]),
                       ids: [1, 2], text: "ab", finishReason: .length)
        }
    }

    @Test func logSigmoidHandWorked() {
        // log σ(z) = −log(1 + e^−z), computed by hand in Double: z = 1.5, 1, −2.5, 7.5.
        #expect(abs(RewardTransform.logSigmoid(1.5) - -0.2014132779827524) < 1e-12)
        #expect(abs(RewardTransform.logSigmoid(1) - -0.31326168751822286) < 1e-12)
        #expect(abs(RewardTransform.logSigmoid(-2.5) - -2.5788897342925496) < 1e-12)
        #expect(abs(RewardTransform.logSigmoid(7.5) - -0.0005529314753607964) < 1e-12)
        // Stable far out: ≈ z for very negative z, ≈ −e^−z for very positive z, never NaN.
        #expect(abs(RewardTransform.logSigmoid(-800) - -800) < 1e-9)
        #expect(RewardTransform.logSigmoid(800) == -0.0 || abs(RewardTransform.logSigmoid(800)) < 1e-300)
    }

    @Test func monotoneAndBoundedAbove() throws {
        let t = RewardTransform.logSigmoid(reference: .column("ref"))
        let rs: [Float] = stride(from: -20, through: 20, by: 0.25).map { Float($0) }
        let cs = Self.completions(rs.map { _ in "p" }, columns: rs.map { _ in ["ref": 0.5] })
        let u = try t.apply(rs, completions: cs)
        for k in 1 ..< u.count { #expect(u[k] >= u[k - 1], "not monotone at r = \(rs[k])") }
        #expect(u.allSatisfy { $0 <= 0 && $0.isFinite })
        // Concave: the gain of one more unit shrinks above the reference (diminishing utility).
        #expect(u[u.count - 1] - u[u.count - 5] < u[rs.firstIndex(of: 1)!] - u[rs.firstIndex(of: 0)!])
    }

    @Test func referenceFromColumn() throws {
        // r = 2, r_ref = 0.5: u = log σ(1.5).
        let t = RewardTransform.logSigmoid(reference: .column("ref"))
        let u = try t.apply([2], completions: Self.completions(["p"], columns: [["ref": 0.5]]))
        #expect(abs(Double(u[0]) - -0.2014132779827524) < 1e-6)
        // A missing or non-numeric column names the row and the field.
        do {
            _ = try t.apply([2], completions: Self.completions(["p"], columns: [["other": 1]]))
            Issue.record("a missing reference column was accepted")
        } catch let e as RewardError {
            #expect(e.message.contains("p.jsonl:1") && e.message.contains("'ref'") && e.message.contains("missing"), "\(e)")
        }
        #expect(throws: RewardError.self) { try t.apply([2], completions: Self.completions(["p"], columns: [["ref": "high"]])) }
        #expect(throws: RewardError.self) { try t.apply([2], completions: Self.completions(["p"], columns: [["ref": true]])) }
    }

    @Test func referenceFromGroupQuantile() throws {
        // Prompt a: rewards 1, 3, 2, 10 → median (q = ½, position 1.5 of the sorted 1, 2, 3, 10) 2.5;
        // q = 0.85: position 2.55 → 3 + 0.55·7 = 6.85. Prompt b alone: r_ref = its own reward, u = log ½.
        let cs = Self.completions(["a", "a", "b", "a", "a"])
        let r: [Float] = [1, 3, 7, 2, 10]
        let median = try RewardTransform.logSigmoid(reference: .groupQuantile(0.5)).references(r, completions: cs)!
        #expect(median == [2.5, 2.5, 7, 2.5, 2.5])
        let q85 = try RewardTransform.logSigmoid(reference: .groupQuantile(0.85)).references(r, completions: cs)!
        #expect(abs(q85[0] - 6.85) < 1e-12 && q85[2] == 7)
        let u = try RewardTransform.logSigmoid(reference: .groupQuantile(0.5)).apply(r, completions: cs)
        let expected = [-1.5, 0.5, 0, -0.5, 7.5].map(RewardTransform.logSigmoid)
        for (a, b) in zip(u, expected) { #expect(abs(Double(a) - b) < 1e-6) }
        #expect(abs(Double(u[2]) - log(0.5)) < 1e-6)
        #expect(RewardTransform.quantile([4], 0.3) == 4 && RewardTransform.quantile([1, 2], 1) == 2 && RewardTransform.quantile([1, 2], 0) == 1)
    }

    @Test func sumOfTransformedRewardsIsASoftAnd() throws {
        // Two rewards, both with reference 0. Response A is good on both (1, 1); response B is
        // excellent on the first and bad on the second (6, −3). The raw sum prefers B (3 > 2); the
        // sum of LSC-transformed rewards prefers A: 2·log σ(1) = −0.6265 > log σ(6) + log σ(−3) = −3.0511.
        let t = RewardTransform.logSigmoid(reference: .column("ref"))
        let cs = Self.completions(["x", "x"], columns: [["ref": 0], ["ref": 0]])
        let first = try t.apply([1, 6], completions: cs), second = try t.apply([1, -3], completions: cs)
        let a = EnsembleAggregation.sum.aggregate([first[0], second[0]]), b = EnsembleAggregation.sum.aggregate([first[1], second[1]])
        #expect(abs(Double(a) - -0.6265233750364457) < 1e-6 && abs(Double(b) - -3.0510630367114726) < 1e-6)
        #expect(a > b)
        #expect(EnsembleAggregation.sum.aggregate([1, 1]) < EnsembleAggregation.sum.aggregate([6, -3]))
        #expect(EnsembleAggregation.sum.name == "sum")
    }

    @Test func parseOptions() throws {
        let plain = try RewardTransform.parse(["d"], spec: "s")
        #expect(plain.rest == ["d"] && plain.transform == .identity)
        let lsc = try RewardTransform.parse(["d", "transform=logsigmoid"], spec: "s")
        #expect(lsc.rest == ["d"] && lsc.transform == .logSigmoid(reference: .groupQuantile(0.5)))
        #expect(try RewardTransform.parse(["d", "transform=lsc", "ref-quantile=0.85"], spec: "s").transform == .logSigmoid(reference: .groupQuantile(0.85)))
        #expect(try RewardTransform.parse(["transform=logsigmoid", "ref-column=base", "d"], spec: "s").transform == .logSigmoid(reference: .column("base")))
        for (items, message) in [(["d", "transform=cube"], "unknown"), (["d", "ref-quantile=0.5"], "need transform=logsigmoid"),
                                  (["d", "transform=logsigmoid", "ref-quantile=1.5"], "in [0, 1]"),
                                  (["d", "transform=logsigmoid", "ref-quantile=0.5", "ref-column=c"], "not both"),
                                  (["d", "transform=logsigmoid", "ref-column="], "needs a column name"), (["d", "scale=2"], "unknown option 'scale'")] {
            do {
                _ = try RewardTransform.parse(items, spec: "s")
                Issue.record("\(items) was accepted")
            } catch let e as RewardError {
                #expect(e.message.contains(message), "\(items): \(e)")
            }
        }
    }

    /// On trained reward models: `rm:DIR,transform=logsigmoid,ref-column=…` is log σ of `rm:DIR`'s
    /// score minus the column; `rm-ensemble:A,B,transform=…:sum` is the sum of the members' u.
    @Test func rewardModelsTransformed() throws {
        let data = try TestFiles.writeRows((0 ..< 8).map { ["prompt": "p\($0)", "chosen": " good", "rejected": " bad"] })
        let a = try trainTinyModel(.reward, data: data, steps: 2, batchSize: 4, learningRate: 5e-5, schedule: "linear", seed: 1).folder
        let b = try trainTinyModel(.reward, data: data, steps: 2, batchSize: 4, learningRate: 5e-5, schedule: "linear", seed: 2).folder
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: a))
        let ctx = RewardContext(tokenizer: tokenizer, maxNewTokens: 8, vocabularySize: 512)
        var cs = makeCompletions(["1 2", " good", " bad day"], tokenizer: tokenizer)
        for i in cs.indices { cs[i].prompt.columns = ["base": Double(i) - 1] }
        func last(_ spec: String) throws -> [Float] { try RewardFunctions.make(spec, context: ctx).tokenRewards(cs).map { $0.last! } }
        let ra = try last("rm:\(a)"), rb = try last("rm:\(b)")
        let ua = try last("rm:\(a),transform=logsigmoid,ref-column=base"), ub = try last("rm:\(b),transform=logsigmoid,ref-column=base")
        for i in cs.indices {
            #expect(abs(Double(ua[i]) - RewardTransform.logSigmoid(Double(ra[i]) - Double(i - 1))) < 1e-5)
            #expect(abs(Double(ub[i]) - RewardTransform.logSigmoid(Double(rb[i]) - Double(i - 1))) < 1e-5)
        }
        let sum = try last("rm-ensemble:\(a),\(b),transform=logsigmoid,ref-column=base:sum")
        for i in cs.indices { #expect(abs(sum[i] - (ua[i] + ub[i])) < 1e-5) }
        // Only the last token carries the reward; without transform= the reward is unchanged.
        for r in try RewardFunctions.make("rm:\(a),transform=logsigmoid", context: ctx).tokenRewards(cs) { #expect(r.dropLast().allSatisfy { $0 == 0 }) }
        #expect(try last("rm:\(a),transform=identity") == ra)
        for bad in ["rm:\(a),transform=cube", "rm:\(a),\(b)", "rm:\(a),ref-quantile=0.5", "rm-ensemble:\(a),\(b),transform=logsigmoid,ref-quantile=2"] {
            #expect(throws: RewardError.self, "\(bad)") { try RewardFunctions.make(bad, context: ctx) }
        }
    }
}
