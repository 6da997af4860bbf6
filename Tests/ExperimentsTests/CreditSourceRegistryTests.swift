// The credit-source seam: a source registered in one place appears in the CreditBench localisation
// table (both tables, results.json and the report) with no other edit.
import CreditBench
import Experiments
import Foundation
import Rewards
import Support
import XCTest

final class CreditSourceRegistryTests: XCTestCase {
    func testTheBuiltInSourcesAreTheTablesRows() {
        XCTAssertEqual(CreditSources.registry.names.filter { !$0.hasPrefix("x-test-") },
                       ["implicit-reward", "cdpo-contrastive", "token-rm", "attention-abc", "entropy", "confidence", "advantage", "random"])
    }

    /// Registers CreditBench's verifier (−1 on the first wrong token) as a throw-away source: it must
    /// appear as the last row of both localisation tables and localise every first error exactly.
    func testARegisteredCreditSourceAppearsInTheLocalisationTable() throws {
        // Names starting with x-test- are throw-away registrations; the methods-table test skips them.
        try CreditSources.registry.register(CreditSourceEntry(card: MethodCard(name: "x-test-verifier", summary: "test only: the verifier")) { m in
            [CreditSourceRow(name: "x-test verifier", explanation: "−1 on the verifier's first wrong token",
                             source: VerifierTokenRewards(task: m.task, tokenizer: m.tokenizer))]
        })
        defer { CreditSources.registry.unregister("x-test-verifier") }

        var s = CreditDemoSettings.quick
        s.methods = ["dpo"]
        s.preferenceSteps = 5
        s.auxiliarySteps = 5
        s.sftSteps = 600
        s.length = 2
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenalign-credit-registry-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try CreditDemo.run(s, folder: folder)

        for table in [r.credit, r.creditInjected] {
            XCTAssertEqual(table.map(\.name), ["implicit reward (dpo)", "cDPO contrastive", "token RM", "attention (ABC)", "entropy (SFT)",
                                               "confidence (SFT)"] + AdvantageCredit.demoEstimators.map { "advantage (\($0))" }
                                              + ["random", "x-test verifier"])
            let row = try XCTUnwrap(table.last)
            XCTAssertEqual(row.explanation, "−1 on the verifier's first wrong token")
            XCTAssertGreaterThan(row.responses, 0)
            XCTAssertEqual(row.top1.value, 1, "the verifier marks every first error")
            if row.auroc.count > 0 { XCTAssertEqual(row.auroc.value, 1) }
        }
        let md = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("| x-test verifier |"))
    }
}
