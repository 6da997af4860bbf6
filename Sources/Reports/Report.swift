// A run's report as Markdown (tables, for terminals and docs) and as one self-contained HTML page
// (tables, inline-SVG charts, token heatmaps). Library code builds the document; the CLI writes it.
import Foundation

/// A table with a header row.
public struct Table: Sendable {
    public var headers: [String]
    public var rows: [[String]]
    public init(headers: [String], rows: [[String]]) {
        precondition(rows.allSatisfy { $0.count == headers.count }, "Table: every row needs \(headers.count) cells")
        self.headers = headers
        self.rows = rows
    }

    public func markdown() -> String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var out = "| " + headers.map(cell).joined(separator: " | ") + " |\n"
        out += "|" + headers.map { _ in "---" }.joined(separator: "|") + "|\n"
        for r in rows { out += "| " + r.map(cell).joined(separator: " | ") + " |\n" }
        return out
    }

    public func html() -> String {
        var out = "<table><thead><tr>" + headers.map { "<th>\(Escape.html($0))</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows {
            out += "<tr>" + r.map { Self.isNumeric($0) ? "<td>\(Escape.html($0))</td>" : "<td class=\"text\">\(Escape.html($0))</td>" }.joined() + "</tr>"
        }
        return out + "</tbody></table>"
    }

    /// Numbers, intervals ("0.32 [0.23, 0.40]") and placeholders are right-aligned; prose (sample
    /// continuations, names) is left-aligned, so long text cells read naturally.
    static func isNumeric(_ cell: String) -> Bool {
        cell.unicodeScalars.allSatisfy { CharacterSet(charactersIn: "0123456789.,-−+–[]() %×e").contains($0) }
    }
}

public enum ReportBlock: Sendable {
    case heading(String)
    case paragraph(String)
    case table(Table)
    case chart(LineChart)
    case heatmaps([TokenHeatmap])
}

public struct Report: Sendable {
    public var title: String
    public var blocks: [ReportBlock] = []

    public init(title: String) { self.title = title }

    public mutating func add(_ block: ReportBlock) { blocks.append(block) }

    /// The charts in order, with the file name `write(to:)` gives each (`figure-1.svg`, …), so that
    /// the Markdown report can show them and a figure can be copied into documentation on its own.
    public var figures: [(file: String, chart: LineChart)] {
        var out: [(String, LineChart)] = []
        for b in blocks { if case .chart(let c) = b { out.append(("figure-\(out.count + 1).svg", c)) } }
        return out
    }

    public func markdown() -> String {
        var out = "# \(title)\n\n"
        var figure = 0
        for b in blocks {
            switch b {
            case .heading(let h): out += "## \(h)\n\n"
            case .paragraph(let p): out += "\(p)\n\n"
            case .table(let t): out += t.markdown() + "\n"
            case .chart(let c):
                figure += 1
                let alt = c.title.replacingOccurrences(of: "[", with: "(").replacingOccurrences(of: "]", with: ")")
                out += "![\(alt)](figure-\(figure).svg)\n\n"
            case .heatmaps(let hs): out += "_\(hs.count) token heatmaps (see report.html)._\n\n"
            }
        }
        return out
    }

    public func html() -> String {
        var body = "<h1>\(Escape.html(title))</h1>\n"
        for b in blocks {
            switch b {
            case .heading(let h): body += "<h2>\(Escape.html(h))</h2>\n"
            case .paragraph(let p): body += "<p>\(Escape.html(p))</p>\n"
            case .table(let t): body += t.html() + "\n"
            case .chart(let c): body += "<figure>\(c.svg())</figure>\n"
            case .heatmaps(let hs): body += "<div class=\"heatmaps\">" + hs.map { $0.html() }.joined() + "</div>\n"
            }
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(Escape.html(title))</title>
        <style>
        body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
        table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
        th{background:#f4f4f4}td:first-child,th:first-child,td.text{text-align:left}
        .heatmap{margin:.8em 0}.heatmap-title{font-size:.85em;color:#555;margin-bottom:.2em}
        .tokens{font-family:ui-monospace,monospace;line-height:1.9;white-space:pre-wrap}
        .tok{padding:1px 0;border:1px solid transparent}.first-error{border:2px solid #000;border-radius:3px}
        </style></head><body>
        \(body)</body></html>

        """
    }

    /// Writes `report.md`, `report.html` and each chart as `figure-N.svg` into `folder`, atomically.
    public func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for f in figures {
            try Data(f.chart.svg().utf8).write(to: folder.appendingPathComponent(f.file), options: .atomic)
        }
        try Data(markdown().utf8).write(to: folder.appendingPathComponent("report.md"), options: .atomic)
        try Data(html().utf8).write(to: folder.appendingPathComponent("report.html"), options: .atomic)
    }
}
