// Learning curves of the online-RL comparison demos averaged over seeds, and their tables.
import Foundation
import Reports

enum SeedCurves {
    /// The points' mean over the seeds' curves, which share evaluation points (nil when there is no
    /// curve or their lengths differ).
    static func mean<P>(_ curves: [[P]], x: KeyPath<P, Int>, y: KeyPath<P, Double>) -> [(x: Double, y: Double)]? {
        guard let first = curves.first, curves.allSatisfy({ $0.count == first.count }) else { return nil }
        func average(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
        return first.indices.map { i in (x: average(curves.map { Double($0[i][keyPath: x]) }), y: average(curves.map { $0[i][keyPath: y] })) }
    }

    /// One row per method with a curve, one column per evaluation point (the baseline's x values).
    static func table(title: String, unit: String, methods: [String], baseline: String,
                      curve: (String) -> [(x: Double, y: Double)]?) -> Table {
        let columns = curve(baseline)?.map { String(format: "%.0f", $0.x) } ?? []
        return Table(headers: ["\(title) after … \(unit)"] + columns,
                     rows: methods.compactMap { label in curve(label).map { [label] + $0.map { String(format: "%.3f", $0.y) } } })
    }
}
