import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Reports
import Testing

/// True when `text` parses as XML (used on SVG and on the heatmap fragment).
func isWellFormedXML(_ text: String) -> Bool {
    XMLParser(data: Data(text.utf8)).parse()
}

@Suite struct ReportTests {
    @Test func heatmapEscapesTokensAndOutlinesTheFirstError() {
        let h = TokenHeatmap(title: "DPO <implicit>", tokens: ["1", "2", "<b>", "&", "\n"], rewards: [0.5, 0.1, -2, 0, 1], firstError: 2)
        let html = h.html()
        #expect(html.contains("&lt;b&gt;") && html.contains("&amp;") && !html.contains("<b>"))
        #expect(html.components(separatedBy: "first-error").count == 2)
        #expect(html.contains("↵"))
        #expect(isWellFormedXML(html))
    }

    @Test func colorScaleIsDivergingAndClamped() {
        #expect(TokenHeatmap.color(0, scale: 1) == "rgb(255,255,255)")
        #expect(TokenHeatmap.color(-1, scale: 1) == "rgb(255,55,55)")
        #expect(TokenHeatmap.color(1, scale: 1) == "rgb(55,255,55)")
        #expect(TokenHeatmap.color(-5, scale: 1) == TokenHeatmap.color(-1, scale: 1))
        #expect(TokenHeatmap.color(.nan, scale: 1) == "rgb(255,255,255)")
        #expect(TokenHeatmap.color(3, scale: 0) == "rgb(255,255,255)")
    }

    @Test func lineChartIsWellFormedSVGWithEverySeries() {
        let c = LineChart(title: "loss & accuracy", xLabel: "step", yLabel: "loss", series: [
            .init(name: "DPO", points: [(0, 1), (1, 0.5), (2, 0.25)]),
            .init(name: "TDPO2", points: [(0, 1), (1, .nan), (2, 0.3)]),
            .init(name: "flat", points: [(0, 2), (2, 2)]),
        ])
        let svg = c.svg()
        #expect(isWellFormedXML(svg))
        #expect(svg.components(separatedBy: "<polyline").count == 4)
        #expect(svg.contains("loss &amp; accuracy") && svg.contains("TDPO2"))
        #expect(!svg.contains("nan") && !svg.contains("inf"))
        #expect(isWellFormedXML(LineChart(title: "empty", xLabel: "x", yLabel: "y", series: []).svg()))
    }

    @Test func reportWritesMarkdownAndSelfContainedHTML() throws {
        var r = Report(title: "CreditBench")
        r.add(.heading("Methods"))
        r.add(.paragraph("Numbers with 95% intervals."))
        r.add(.table(Table(headers: ["method", "acc|greedy"], rows: [["DPO", "0.61"], ["TDPO2", "0.64"]])))
        r.add(.chart(LineChart(title: "loss", xLabel: "step", yLabel: "loss", series: [.init(name: "DPO", points: [(0, 1), (1, 0.4)])])))
        r.add(.heatmaps([TokenHeatmap(title: "example", tokens: ["a", "b"], rewards: [1, -1], firstError: 1)]))
        let md = r.markdown()
        #expect(md.contains("| method | acc\\|greedy |") && md.contains("| DPO | 0.61 |"))
        let html = r.html()
        // Numbers and intervals align right; prose aligns left.
        #expect(html.contains("<td class=\"text\">DPO</td><td>0.61</td>"))
        #expect(Table.isNumeric("0.320 [0.234, 0.401]") && Table.isNumeric("–") && !Table.isNumeric("the one she is"))
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg") && html.contains("first-error"))
        #expect(!html.contains("<script") && !html.contains("http://") || html.contains("http://www.w3.org/2000/svg"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ta-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try r.write(to: dir)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.html").path))
        #expect(try String(contentsOf: dir.appendingPathComponent("report.md"), encoding: .utf8) == md)
        // Each chart is also its own SVG file, shown by the Markdown report.
        #expect(md.contains("![loss](figure-1.svg)"))
        #expect(r.figures.map(\.file) == ["figure-1.svg"])
        let svg = try String(contentsOf: dir.appendingPathComponent("figure-1.svg"), encoding: .utf8)
        #expect(svg == r.figures[0].chart.svg() && isWellFormedXML(svg))
    }
}
