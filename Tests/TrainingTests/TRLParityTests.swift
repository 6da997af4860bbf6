import Foundation
import Testing
import Training

/// `tokenalign dpo … --eval-only --json` reports what TRL 1.16's `DPOTrainer.evaluate()` (and, for
/// `--loss kto|apo_zero_unpaired` on unpaired rows, `KTOTrainer.evaluate()`) reports for the same
/// model and data, and `tokenalign reward --eval-only --json` what `RewardTrainer.evaluate()` reports
/// (Tests/Fixtures/trl/generate_dpo_eval.py → dpo_eval_expected.json).
@Suite struct DPOEvalParityTests {
    static func expected() throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("trl/dpo_eval_expected.json"))
        return (try JSONSerialization.jsonObject(with: data) as! [String: Any])["cases"] as! [String: Any]
    }

    static let names = ["sigmoid_copy", "sigmoid", "sigmoid_precompute", "ipo", "hinge_beta05", "mix_sigmoid_ipo", "sigmoid_chat",
                        "kto", "kto_swapped", "apo_zero_unpaired", "reward"]

    @Test(arguments: names)
    func evalOnlyJSONMatchesTRL(_ name: String) throws {
        let spec = try #require(try Self.expected()[name] as? [String: Any])
        if spec["task"] as? String == "reward" {
            // `tokenalign reward --eval-only` vs `RewardTrainer.evaluate()` from the same
            // LlamaForSequenceClassification folder (score read at the last non-pad token).
            let model = try modelFolder("trl/reward_model")
            let out = try runCLI(["reward", "--model", model.path, "--data", fixtures.appendingPathComponent("trl/\(spec["data"] as! String)").path,
                                  "--eval-only", "--json", "--batch-size", "16"])
            try compare(out, spec, name)
            return
        }
        let separate = spec["separate_ref"] as! Bool
        let swapped = spec["swapped"] as? Bool ?? false  // KTO: policy = llama fixture, reference = perturbed policy
        let policy = try modelFolder(separate && !swapped ? "trl/policy" : "models/llama")
        let ref = try modelFolder(swapped ? "trl/policy" : "models/llama")
        var args = ["dpo", "--model", policy.path, "--data", fixtures.appendingPathComponent("trl/\(spec["data"] as! String)").path,
                    "--eval-only", "--json", "--batch-size", "16", "--max-length", "1024",
                    "--loss", (spec["loss"] as! [String]).joined(separator: ","), "--beta", "\(spec["beta"] as! Double)"]
        if let w = spec["loss_weights"] as? [Double] { args += ["--loss-weights", w.map { "\($0)" }.joined(separator: ",")] }
        if separate { args += ["--ref", ref.path] }
        if spec["precompute_ref"] as! Bool { args += ["--precompute-ref"] }
        try compare(try runCLI(args), spec, name)
    }

    func compare(_ output: String, _ spec: [String: Any], _ name: String) throws {
        let last = try #require(output.split(separator: "\n").last)
        let got = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Double])
        let want = spec["metrics"] as! [String: Double]
        for (k, v) in want {
            let g = try #require(got[k], "missing \(k) in \(got.keys.sorted())")
            #expect(abs(g - v) <= 1e-4 * max(1, abs(v)), "\(name) \(k): swift \(g) vs TRL \(v)")
        }
    }
}

/// Runs the built `tokenalign` binary (beside the test bundle): its exit status, standard output
/// and standard error.
/// The built `tokenalign` binary beside the test bundle.
func tokenalignExecutable() throws -> URL {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidates = [dir.appendingPathComponent("tokenalign")]
    // xctest bundles on Linux: .build/<config>/TokenAlignPackageTests.xctest
    candidates.append(dir.deletingLastPathComponent().appendingPathComponent("tokenalign"))
    guard let exe = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw CLIError(message: "tokenalign binary not found near \(dir.path)")
    }
    return exe
}

func runTokenAlign(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = try tokenalignExecutable()
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Runs the binary and returns its stdout; a non-zero exit is an error carrying its stderr.
func runCLI(_ args: [String]) throws -> String {
    let r = try runTokenAlign(args)
    guard r.status == 0 else {
        throw CLIError(message: "tokenalign \(args.joined(separator: " ")) exited \(r.status): \(r.stderr)")
    }
    return r.stdout
}

/// Runs the binary expecting failure; returns stderr.
func runCLIFailing(_ args: [String]) throws -> String {
    do { _ = try runCLI(args) } catch let e as CLIError { return e.message }
    throw CLIError(message: "tokenalign \(args) succeeded")
}

struct CLIError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
