// Token heatmaps: each token of a response coloured by its reward (red = blamed, green = credited),
// with the true first error outlined, so a reader sees at a glance whether a credit source puts the
// blame where the program says the response went wrong.

public struct TokenHeatmap: Sendable {
    public var title: String
    public var tokens: [String]
    public var rewards: [Float]
    /// Index of the true first erroneous token, outlined (nil: none known).
    public var firstError: Int?

    public init(title: String, tokens: [String], rewards: [Float], firstError: Int? = nil) {
        precondition(tokens.count == rewards.count, "TokenHeatmap: \(tokens.count) tokens, \(rewards.count) rewards")
        self.title = title
        self.tokens = tokens
        self.rewards = rewards
        self.firstError = firstError
    }

    /// Background colour for a reward, on a diverging scale normalised by `scale` (> 0):
    /// −scale → saturated red, 0 → white, +scale → saturated green.
    public static func color(_ r: Float, scale: Float) -> String {
        let t = max(-1, min(1, scale > 0 && r.isFinite ? r / scale : 0))
        let a = Int((abs(t) * 200).rounded())
        let (red, green, blue) = t < 0 ? (255, 255 - a, 255 - a) : (255 - a, 255, 255 - a)
        return "rgb(\(red),\(green),\(blue))"
    }

    /// The heatmap as an HTML fragment.
    public func html() -> String {
        let scale = rewards.map { abs($0) }.filter(\.isFinite).max() ?? 0
        var out = "<div class=\"heatmap\"><div class=\"heatmap-title\">\(Escape.html(title))</div><div class=\"tokens\">"
        for (i, (tok, r)) in zip(tokens, rewards).enumerated() {
            let cls = i == firstError ? "tok first-error" : "tok"
            let shown = tok.replacingOccurrences(of: "\n", with: "↵")
            out += "<span class=\"\(cls)\" style=\"background:\(TokenHeatmap.color(r, scale: scale))\" title=\"#\(i): \(fmt(Double(r)))\">\(Escape.html(shown))</span>"
        }
        out += "</div></div>"
        return out
    }
}
