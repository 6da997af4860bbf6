// The CreditBench demo end to end at its CI size (`tokenalign demo --quick`), its reproducibility,
// its settings validation, and the report rendered by a real browser (headless Chromium).
import Evaluation
import Experiments
import Foundation
import XCTest

final class CreditDemoTests: XCTestCase {
    /// One quick run shared by the tests of this class (it takes ~20 s on 2 cores).
    nonisolated(unsafe) static var quickRun: (folder: URL, result: CreditDemoResult)?
    nonisolated(unsafe) static var quickError: Error?

    override class func setUp() {
        super.setUp()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-demo-quick-\(getpid())")
        do {
            let r = try CreditDemo.run(.quick, folder: folder)
            quickRun = (folder, r)
        } catch {
            quickError = error
        }
    }

    func run() throws -> (folder: URL, result: CreditDemoResult) {
        if let e = Self.quickError { throw e }
        return try XCTUnwrap(Self.quickRun)
    }

    func testQuickDemoProducesEveryStageAndSaneNumbers() throws {
        let (folder, r) = try run()
        let fm = FileManager.default
        for path in ["settings.json", "results.json", "report.md", "report.html", "data/sft.jsonl", "data/pairs.jsonl",
                     "data/eval_pairs.jsonl", "models/tokenizer.json", "models/sft/config.json", "models/sft/model.safetensors",
                     "models/token-rm/config.json", "runs/sft/metrics.jsonl", "runs/dpo/config.yaml", "runs/dpo/metrics.jsonl"] {
            XCTAssertTrue(fm.fileExists(atPath: folder.appendingPathComponent(path).path), "missing \(path)")
        }
        // The imperfect start the pipeline needs: some but not all samples right, pairs from both.
        XCTAssertGreaterThan(r.data.trainPairs, 10)
        XCTAssertGreaterThan(r.data.evalPairs, 5)
        XCTAssertEqual(r.data.sftExamples, CreditDemoSettings.quick.sftExamples)
        XCTAssertGreaterThan(r.data.sftInjectedErrors, 0)

        XCTAssertEqual(r.policies.map(\.name), ["sft"] + CreditDemoSettings.quick.methods)
        let sft = try XCTUnwrap(r.policies.first)
        XCTAssertGreaterThan(sft.greedyAccuracy.value, 0.2, "SFT should have learnt the task partly")
        XCTAssertLessThan(sft.sampledAccuracy.value, 0.95, "SFT samples should still be imperfect")
        XCTAssertEqual(sft.klToReference.value, 0, accuracy: 1e-6, "the SFT model is its own reference")
        for p in r.policies.dropFirst() {
            for e in [p.greedyAccuracy, p.sampledAccuracy] {
                XCTAssertTrue((0 ... 1).contains(e.value) && e.low <= e.value && e.value <= e.high, "\(p.name): \(e)")
            }
            XCTAssertGreaterThan(p.klToReference.value, 0, "\(p.name) moved away from the reference")
            XCTAssertNotNil(p.heldOutRewardAccuracy)
        }

        // Every credit source, on both localisation sets, over every rejected response.
        let names = r.credit.map(\.name)
        XCTAssertEqual(names, r.creditInjected.map(\.name))
        for m in CreditDemoSettings.quick.methods { XCTAssertTrue(names.contains("implicit reward (\(m))"), m) }
        for n in ["cDPO contrastive", "token RM", "attention (ABC)", "entropy (SFT)", "confidence (SFT)", "random"] {
            XCTAssertTrue(names.contains(n), n)
        }
        for c in r.credit + r.creditInjected {
            XCTAssertGreaterThan(c.responses, 0, c.name)
            XCTAssertTrue((0 ... 1).contains(c.top1.value), c.name)
            if c.auroc.count > 0 { XCTAssertTrue((0 ... 1).contains(c.auroc.value), c.name) }
            XCTAssertTrue(c.top1Chance > 0 && c.top1Chance <= 1, c.name)
        }
        // On the SFT model's own wrong samples the first error is a token the SFT model itself
        // found unlikely (it was sampled against the odds), so its confidence must localise it
        // far better than chance.
        let confidence = try XCTUnwrap(r.credit.first { $0.name == "confidence (SFT)" })
        XCTAssertGreaterThan(confidence.auroc.value, 0.8)

        // results.json round-trips.
        let data = try Data(contentsOf: folder.appendingPathComponent("results.json"))
        let decoded = try JSONDecoder().decode(CreditDemoResult.self, from: data)
        XCTAssertEqual(decoded.policies.map(\.name), r.policies.map(\.name))

        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<svg"), "learning curves")
        XCTAssertTrue(html.contains("first-error"), "heatmaps outline the first error")
        let md = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("| implicit reward (dpo) |"))
    }

    func testSameSeedSameNumbers() throws {
        var s = CreditDemoSettings.quick
        s.methods = ["dpo"]
        s.preferenceSteps = 5
        s.auxiliarySteps = 5
        s.sftSteps = 600
        s.length = 2
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-demo-repro-\(getpid())")
        let a = try CreditDemo.run(s, folder: base.appendingPathComponent("a"))
        let b = try CreditDemo.run(s, folder: base.appendingPathComponent("b"))
        defer { try? FileManager.default.removeItem(at: base) }
        XCTAssertEqual(a.data.trainPairs, b.data.trainPairs)
        for (x, y) in zip(a.policies, b.policies) {
            XCTAssertEqual(x.greedyAccuracy, y.greedyAccuracy)
            XCTAssertEqual(x.sampledAccuracy, y.sampledAccuracy)
            XCTAssertEqual(x.klToReference, y.klToReference)
        }
        for (x, y) in zip(a.credit + a.creditInjected, b.credit + b.creditInjected) {
            XCTAssertEqual(x.auroc, y.auroc, x.name)
            XCTAssertEqual(x.top1, y.top1, x.name)
        }
        let pa = try Data(contentsOf: base.appendingPathComponent("a/data/pairs.jsonl"))
        let pb = try Data(contentsOf: base.appendingPathComponent("b/data/pairs.jsonl"))
        XCTAssertEqual(pa, pb)
    }

    func testSettingsValidationNamesTheProblem() throws {
        var s = CreditDemoSettings()
        s.methods = ["tgdpo", "dpo"]
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("list dpo before tgdpo"), "\($0)") }
        s.methods = ["dpo", "nope"]
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("unknown method 'nope'"), "\($0)") }
        s = CreditDemoSettings()
        s.hiddenSize = 130
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("multiple of heads"), "\($0)") }
        XCTAssertThrowsError(try CreditDemoSettings().overriding(with: ["sft_stepz": 3], source: "x.yaml")) {
            XCTAssertTrue("\($0)".contains("x.yaml: unknown setting 'sft_stepz'"), "\($0)")
        }
        let o = try CreditDemoSettings.quick.overriding(with: ["sft_steps": 7, "task": "add", "length": 4], source: "x.yaml")
        XCTAssertEqual(o.sftSteps, 7)
        XCTAssertEqual(o.task, "add")
        XCTAssertEqual(o.length, 4)
        XCTAssertEqual(o.hiddenSize, CreditDemoSettings.quick.hiddenSize, "keys not given keep the preset's values")
        XCTAssertThrowsError(try CreditDemoSettings().overriding(with: ["sft_steps": "many"], source: "x.yaml"))
    }

    /// Renders report.html in headless Chromium: the page must load, and the browser's DOM must
    /// hold every table, chart and heatmap the report wrote (the HTML parser dropped nothing), and
    /// a screenshot must come out. Skipped where no Chromium is installed (`.ci/run` installs it).
    func testReportRendersInHeadlessChromium() throws {
        let (folder, r) = try run()
        let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"]
        guard let browser = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("no Chromium installed (apt-get install chromium)")
        }
        let page = folder.appendingPathComponent("report.html")
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                      "--enable-logging=stderr", "--v=0"]
        let dom = try runProcess(browser, common + ["--dump-dom", page.absoluteString])
        XCTAssertEqual(dom.status, 0, dom.stderr)
        let html = dom.stdout
        XCTAssertTrue(html.contains("TokenAlign CreditBench demo"))
        // Console errors (script, resource or parse errors reported to the page console).
        let consoleErrors = dom.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        XCTAssertTrue(consoleErrors.isEmpty, consoleErrors.joined(separator: "\n"))
        func count(_ s: String) -> Int { html.components(separatedBy: s).count - 1 }
        XCTAssertEqual(count("<table"), 4, "policies, two credit tables, stage times")
        XCTAssertGreaterThanOrEqual(count("<svg"), 3, "learning curves")
        XCTAssertGreaterThanOrEqual(count("<polyline") + count("<path"), 3, "curves are drawn")
        let heatmaps = count("class=\"heatmap\"")
        let expected = (min(CreditDemoSettings.quick.heatmaps, r.data.rejectedResponses) + min(CreditDemoSettings.quick.heatmaps, 2)) * r.credit.count
        XCTAssertEqual(heatmaps, expected)
        XCTAssertGreaterThan(count("tok first-error"), 0)

        let shot = folder.appendingPathComponent("report.png")
        let png = try runProcess(browser, common + ["--screenshot=\(shot.path)", "--window-size=1200,2000", page.absoluteString])
        XCTAssertEqual(png.status, 0, png.stderr)
        let bytes = try Data(contentsOf: shot)
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG")
        XCTAssertGreaterThan(bytes.count, 50_000, "a drawn page, not a blank one")
    }

    func runProcess(_ path: String, _ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        // stderr goes to a file (Chromium logs a lot); stdout (the DOM) is read to the end before waiting.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(getpid())-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let errHandle = try FileHandle(forWritingTo: errURL)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = errHandle
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try errHandle.close()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
