// Learning curves and frontiers as inline SVG (no JavaScript, no external assets), so a report is
// one self-contained file.
import Foundation

public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Optional vertical intervals, one per point (e.g. a bootstrap CI of y); drawn as capped bars.
        public var errorBars: [(low: Double, high: Double)]?
        /// Draw the line dashed (e.g. a second seed of the same method).
        public var dashed: Bool
        /// Use palette colour `colorIndex` instead of the series' position (so that several series of
        /// one method share a colour).
        public var colorIndex: Int?

        public init(name: String, points: [(x: Double, y: Double)], errorBars: [(low: Double, high: Double)]? = nil,
                    dashed: Bool = false, colorIndex: Int? = nil) {
            precondition(errorBars == nil || errorBars?.count == points.count, "LineChart.Series: one error bar per point")
            self.name = name
            self.points = points
            self.errorBars = errorBars
            self.dashed = dashed
            self.colorIndex = colorIndex
        }

        /// The points (with their bars) whose coordinates are finite.
        var finite: [(x: Double, y: Double, bar: (low: Double, high: Double)?)] {
            points.indices.compactMap { i in
                let p = points[i]
                guard p.x.isFinite && p.y.isFinite else { return nil }
                let bar = errorBars.map { $0[i] }.flatMap { $0.low.isFinite && $0.high.isFinite ? $0 : nil }
                return (p.x, p.y, bar)
            }
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 560
    public var height = 320

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]

    /// Decimal digits that keep five ticks over `span` distinct (two significant digits per step).
    static func tickDigits(span: Double) -> Int {
        guard span > 0, span.isFinite else { return 2 }
        return max(0, min(8, Int((-log10(span / 4)).rounded(.up)) + 1))
    }

    /// `name` in at most `limit` characters: its head and tail around an ellipsis (paths and
    /// specs differ most at their ends).
    static func shortened(_ name: String, to limit: Int) -> String {
        guard name.count > limit, limit >= 3 else { return name }
        let head = (limit - 1) / 2, tail = limit - 1 - head
        return String(name.prefix(head)) + "…" + String(name.suffix(tail))
    }

    /// The chart as an `<svg>` element.
    public func svg() -> String {
        // The legend's column widens for long series names (about 6.2 px per character at 11 px),
        // up to 45% of the chart; longer names are shortened in the middle (the full name is the
        // entry's tooltip), so a few long paths cannot squeeze the plot to nothing.
        let w = Double(width), h = Double(height)
        let longest = series.map(\.name.count).max() ?? 0
        let widest = max(130.0, 0.45 * w)
        let left = 56.0, right = min(widest, max(130.0, 40 + 6.2 * Double(longest))), top = 28.0, bottom = 44.0
        let fits = max(8, Int((right - 40) / 6.2))
        let pts = series.flatMap(\.finite)
        let ys = pts.flatMap { p in [p.y] + (p.bar.map { [$0.low, $0.high] } ?? []) }
        var x0 = pts.map(\.x).min() ?? 0, x1 = pts.map(\.x).max() ?? 1
        var y0 = ys.min() ?? 0, y1 = ys.max() ?? 1
        if x1 == x0 { x0 -= 0.5; x1 += 0.5 }
        if y1 == y0 { y0 -= 0.5; y1 += 0.5 }
        let pw = w - left - right, ph = h - top - bottom
        func sx(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func sy(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * ph }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
        s += "<title>\(Escape.html(title))</title>"
        s += "<text x=\"\(fmt(w / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-family=\"sans-serif\">\(Escape.html(title))</text>"
        s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(pw))\" height=\"\(fmt(ph))\" fill=\"none\" stroke=\"#999\"/>"
        let xDigits = Self.tickDigits(span: x1 - x0), yDigits = Self.tickDigits(span: y1 - y0)
        for i in 0 ... 4 {
            let fx = x0 + (x1 - x0) * Double(i) / 4, fy = y0 + (y1 - y0) * Double(i) / 4
            s += "<text x=\"\(fmt(sx(fx)))\" y=\"\(fmt(top + ph + 16))\" text-anchor=\"middle\" font-size=\"10\" font-family=\"sans-serif\">\(fmt(fx, xDigits))</text>"
            s += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(sy(fy) + 3))\" text-anchor=\"end\" font-size=\"10\" font-family=\"sans-serif\">\(fmt(fy, yDigits))</text>"
            s += "<line x1=\"\(fmt(left))\" x2=\"\(fmt(left + pw))\" y1=\"\(fmt(sy(fy)))\" y2=\"\(fmt(sy(fy)))\" stroke=\"#eee\"/>"
        }
        s += "<text x=\"\(fmt(left + pw / 2))\" y=\"\(fmt(h - 8))\" text-anchor=\"middle\" font-size=\"11\" font-family=\"sans-serif\">\(Escape.html(xLabel))</text>"
        s += "<text x=\"14\" y=\"\(fmt(top + ph / 2))\" text-anchor=\"middle\" font-size=\"11\" font-family=\"sans-serif\" transform=\"rotate(-90 14 \(fmt(top + ph / 2)))\">\(Escape.html(yLabel))</text>"
        for (i, ser) in series.enumerated() {
            let color = LineChart.palette[(ser.colorIndex ?? i) % LineChart.palette.count]
            let dash = ser.dashed ? " stroke-dasharray=\"5 3\"" : ""
            let p = ser.finite
            if !p.isEmpty {
                let d = p.map { "\(fmt(sx($0.x))),\(fmt(sy($0.y)))" }.joined(separator: " ")
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(dash) points=\"\(d)\"/>"
                if p.count <= 40 {
                    for q in p { s += "<circle cx=\"\(fmt(sx(q.x)))\" cy=\"\(fmt(sy(q.y)))\" r=\"2.5\" fill=\"\(color)\"/>" }
                }
                for q in p {
                    guard let bar = q.bar else { continue }
                    let x = sx(q.x), lo = sy(bar.low), hi = sy(bar.high)
                    s += "<path class=\"error-bar\" d=\"M\(fmt(x)),\(fmt(lo))V\(fmt(hi))M\(fmt(x - 3)),\(fmt(lo))H\(fmt(x + 3))M\(fmt(x - 3)),\(fmt(hi))H\(fmt(x + 3))\" stroke=\"\(color)\" stroke-width=\"1\" stroke-opacity=\"0.6\" fill=\"none\"/>"
                }
            }
            let ly = top + 12 + Double(i) * 16
            s += "<line x1=\"\(fmt(w - right + 10))\" x2=\"\(fmt(w - right + 28))\" y1=\"\(fmt(ly))\" y2=\"\(fmt(ly))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>"
            let label = Self.shortened(ser.name, to: fits)
            let tip = label == ser.name ? "" : "<title>\(Escape.html(ser.name))</title>"
            s += "<text x=\"\(fmt(w - right + 32))\" y=\"\(fmt(ly + 4))\" font-size=\"11\" font-family=\"sans-serif\">\(tip)\(Escape.html(label))</text>"
        }
        s += "</svg>"
        return s
    }
}
