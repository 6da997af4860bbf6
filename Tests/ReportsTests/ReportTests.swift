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

    @Test("error bars, dashed lines, shared colours; the y range covers the bars; long names widen the legend")
    func errorBarsAndStyles() throws {
        let a = LineChart.Series(name: "dpo", points: [(0, 0.15), (0.03, 0.28)], errorBars: [(0.07, 0.22), (0.2, 0.35)], colorIndex: 2)
        let b = LineChart.Series(name: "dpo (a rather long label)", points: [(0, 0.15), (0.05, 0.3)], errorBars: [(0.1, 0.2), (0.25, 0.9)],
                                 dashed: true, colorIndex: 2)
        let svg = LineChart(title: "frontier", xLabel: "KL", yLabel: "reward", series: [a, b]).svg()
        #expect(isWellFormedXML(svg))
        #expect(svg.components(separatedBy: "class=\"error-bar\"").count - 1 == 4)
        #expect(svg.components(separatedBy: "stroke-dasharray").count - 1 == 2, "the dashed series' line and legend entry")
        #expect(!svg.contains(LineChart.palette[0]) && svg.contains(LineChart.palette[2]), "both series take palette colour 2")
        #expect(svg.contains(">0.9<"), "the top tick is the highest bar, not the highest point")
        #expect(svg.contains("width=\"560\""))
        let legendX = 560 - max(130.0, 40 + 6.2 * Double(b.name.count)) + 32
        #expect(svg.contains("<text x=\"\(fmt(legendX))\""), "the legend moves left for the long name")
    }

    @Test("very long series names are shortened in the middle; the plot keeps its width")
    func longNamesDoNotSqueezeThePlot() throws {
        let path = "rm-ensemble:/tmp/overopt/rm-1/model,/tmp/overopt/rm-2/model,/tmp/overopt/rm-3/model:mean-std=1"
        let series = (1 ... 3).map { LineChart.Series(name: path + " \($0)", points: [(0, 0), (1, Double($0))]) }
        let svg = LineChart(title: "t", xLabel: "x", yLabel: "y", series: series).svg()
        #expect(isWellFormedXML(svg))
        // The legend takes at most 45% of the 560 px: the plot frame is 560 − 56 − 252 px wide.
        #expect(svg.contains("<rect x=\"56\" y=\"28\" width=\"252\""), "\(svg.prefix(600))")
        let fits = Int((0.45 * 560 - 40) / 6.2)
        let short = LineChart.shortened(path + " 2", to: fits)
        #expect(short.count == fits && short.hasPrefix("rm-ensemble:/tmp") && short.hasSuffix("mean-std=1 2") && short.contains("…"))
        #expect(svg.contains(">\(Escape.html(short))</text>") && svg.contains("<title>\(Escape.html(path)) 2</title>"))
        #expect(LineChart.shortened("dpo", to: fits) == "dpo")
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
