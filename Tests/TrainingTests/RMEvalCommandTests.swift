// `tokenalign data rm-bench` → `tokenalign reward` → `tokenalign eval rm` end to end on the tiny
// model (a reward model trained for a few steps ranks held-out pairs above chance), and the
// command's refusals: a row without a field (65, naming the line and field), a model without a
// reward head (64, suggesting how to get one), a tokenizer that is not the model's (64).
import Datasets
import Foundation
import Models
import TensorCore
import TestSupport
import Testing

@Suite struct RMEvalCommandTests {
    static func tinyRewardModel(data: String) throws -> URL {
        let out = temporaryDirectory()
        _ = try runCLI(["reward", "--model", try modelFolder().path, "--data", data, "--out", out.path, "--learning-rate", "3e-3",
                        "--batch-size", "8", "--max-steps", "16", "--seed", "1"])
        return out.appendingPathComponent("model")
    }

    @Test func trainedRewardModelBeatsChanceOnTheAnalogue() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let train = dir.appendingPathComponent("train.jsonl").path, test = dir.appendingPathComponent("test.jsonl").path
        _ = try runCLI(["data", "rm-bench", "--from", "creditbench", "--tasks", "forbidden", "--n", "48", "--seed", "1", "--out", train])
        _ = try runCLI(["data", "rm-bench", "--from", "creditbench", "--tasks", "forbidden", "--n", "32", "--seed", "2", "--out", test])
        let rm = try Self.tinyRewardModel(data: train)
        let out = try runCLI(["eval", "rm", "--model", rm.path, "--bench", test, "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(out.split(separator: "\n").last!.utf8)) as! [String: Any]
        let acc = try #require(report["pairAccuracy"] as? Double)
        #expect(acc >= 0.7, "held-out pair accuracy \(acc)")
        let rb = try #require(report["rewardBench"] as? [String: Any])
        #expect((rb["subsets"] as? [String: Double])?["creditbench-forbidden"] == acc)
        // An ensemble of the same model twice is the model.
        let ens = try runCLI(["eval", "rm", "--model", rm.path, "--model", rm.path, "--ensemble", "mean-std=0.5", "--bench", test, "--json"])
        let er = try JSONSerialization.jsonObject(with: Data(ens.split(separator: "\n").last!.utf8)) as! [String: Any]
        #expect(er["pairAccuracy"] as? Double == acc)
    }

    @Test func refusesBadInput() throws {
        let rows = ["{\"prompt\": \"a\", \"chosen\": \" b\", \"rejected\": \" c\", \"subset\": \"s\"}",
                    "{\"prompt\": \"a\", \"chosen\": \" b\", \"subset\": \"s\"}"]
        let bench = temporaryDirectory().path + ".jsonl"
        try Data((rows.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: bench))
        let plain = try modelFolder()
        // A plain language model: no reward head.
        let good = try writeJSONL([["prompt": "a", "chosen": " b", "rejected": " c", "subset": "s"], ["prompt": "d", "chosen": " e", "rejected": " f", "subset": "s"]])
        let noHead = try runCLIStatus(["eval", "rm", "--model", plain.path, "--bench", good])
        #expect(noHead.status == 64)
        #expect(noHead.stderr.contains("no reward head") && noHead.stderr.contains("--kind") && noHead.stderr.contains("tokenalign reward"), "\(noHead.stderr)")
        let rm = try Self.tinyRewardModel(data: good)
        let missing = try runCLIStatus(["eval", "rm", "--model", rm.path, "--bench", bench])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("\(bench):2") && missing.stderr.contains("rejected"), "\(missing.stderr)")
        let other = fixtures.appendingPathComponent("tokenizers/swift_trained.tokenizer.json").path
        let mismatch = try runCLIStatus(["eval", "rm", "--model", rm.path, "--bench", good, "--tokenizer", other])
        #expect(mismatch.status == 64)
        #expect(mismatch.stderr.contains("tokenizer"), "\(mismatch.stderr)")
        let scoring = try runCLIStatus(["eval", "rm", "--model", rm.path, "--bench", bench, "--scoring", "rb9"])
        #expect(scoring.status == 64 && scoring.stderr.contains("rb1"))
    }
}

/// `eval rm --ref-free sum|avg|norm`: RewardBench's reference-free DPO scores, checked against the
/// policy's own log-probabilities computed here from one full forward per response.
@Suite struct ReferenceFreeScoringTests {
    @Test func scoresFollowRewardBenchsNormalisations() throws {
        let folder = try modelFolder()
        let rows: [[String: Any]] = [["prompt": "ab", "chosen": " cd", "rejected": " c", "subset": "s"],
                                     ["prompt": "b", "chosen": " a", "rejected": " dcba", "subset": "s"]]
        let bench = try writeJSONL(rows)
        var got: [String: [[Double]]] = [:]
        for kind in ReferenceFree.kinds {
            let out = temporaryDirectory().path + ".jsonl"
            _ = try runCLI(["eval", "rm", "--model", folder.path, "--ref-free", kind, "--bench", bench, "--out", out])
            got[kind] = try TestFiles.readRows(out).flatMap { r in [(r["chosen_scores"] as! [Double])[0], (r["rejected_scores"] as! [Double])[0]] }.map { [$0] }
        }
        // Independently: encode as the reward trainer does, one unbatched forward, log-softmax by hand.
        let loaded = try PretrainedModel.load(path: folder.path)
        let tokenizer = try #require(loaded.tokenizer)
        let encoder = DatasetEncoder(tokenizer: tokenizer, options: EncodingOptions(maxLength: loaded.model.maxPositions))
        var k = 0
        for r in rows {
            for side in ["chosen", "rejected"] {
                let seq = try encoder.encodeSequence(.promptCompletion(prompt: .text(r["prompt"] as! String), completion: .text(r[side] as! String)),
                                                     at: RowLocation(file: "bench", line: 1)).sequence
                let logits = loaded.model(IndexTensor(shape: [1, seq.ids.count], data: seq.ids.map { Int32($0) })).value
                let V = loaded.model.vocabularySize
                var lps: [Double] = []
                for t in seq.promptLength ..< seq.ids.count {
                    let z = (0 ..< V).map { Double(logits[0, t - 1, $0]) }
                    let m = z.max()!
                    lps.append(z[seq.ids[t]] - m - Foundation.log(z.map { Foundation.exp($0 - m) }.reduce(0, +)))
                }
                let sum = lps.reduce(0, +)
                let expected = ["sum": sum, "avg": sum / Double(lps.count), "norm": -lps.map { $0 * $0 }.reduce(0, +).squareRoot()]
                for kind in ReferenceFree.kinds {
                    #expect(abs(got[kind]![k][0] - expected[kind]!) < 1e-4 * max(1, abs(expected[kind]!)), "\(kind) row \(k)")
                }
                k += 1
            }
        }
        // The policy as its own reference: every implicit reward is 0.
        let out = temporaryDirectory().path + ".jsonl"
        _ = try runCLI(["eval", "rm", "--model", folder.path, "--ref", folder.path, "--bench", bench, "--out", out])
        for r in try TestFiles.readRows(out) { #expect((r["chosen_scores"] as! [Double]).allSatisfy { abs($0) < 1e-9 }) }
        // Bad combinations exit 64.
        for args in [["--ref-free", "mean"], ["--ref-free", "avg", "--ref", folder.path]] {
            let r = try runCLIStatus(["eval", "rm", "--model", folder.path, "--bench", bench] + args)
            #expect(r.status == 64 && r.stderr.contains("--ref-free"), "\(args): \(r.stderr)")
        }
    }

    enum ReferenceFree { static let kinds = ["sum", "avg", "norm"] }
}

@Suite struct RMEvalBenchTests {
    /// The bench's schema on the tiny model, without the Python baseline: one row, the scorer's
    /// pairs per second and its per-pair time agree.
    @Test func benchReportsPairsPerSecond() throws {
        let out = try runCLI(["bench", "rm-eval", "--model", try modelFolder().path, "--pairs", "2", "--batch", "2", "--prompt-length", "4",
                              "--response-length", "4", "--repeats", "5", "--warmup", "1", "--python", "none", "--json"])
        let rows = out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rows.count == 1)
        let r = try #require(rows.first)
        #expect(r["implementation"] as? String == "tokenalign" && r["pairs"] as? Int == 2)
        let rate = try #require(r["pairs_per_s"] as? Double), ms = try #require(r["ms_per_pair"] as? Double)
        #expect(rate > 0 && abs(rate * ms / 1000 - 1) < 1e-6)
    }
}
