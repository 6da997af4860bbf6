// The argument of `--guide layer-contrast:ARG`: which premature layers DoLa may contrast with
// (docs/design/decoding.md §6). Parsed once, when the guide is made.

/// DoLa's candidate premature layers (Chuang et al. 2023, arXiv 2309.03883). A layer number is a
/// depth: M means the residual stream after decoder layers 0 ..< M, so 0 is the embeddings and the
/// deepest candidate is L − 1 for an L-layer policy (depth L is the mature distribution itself).
struct LayerBucket: Equatable {
    /// Candidate depths, ascending and distinct, each in 0 ..< L.
    var layers: [Int]
    /// Put the premature residual through the final norm before the LM head (our default), or not
    /// (`/raw`: what the authors' released code and transformers' `dola_layers` do).
    var finalNorm: Bool
    /// True when ARG was one bare layer number: the static guide with its fixed exit.
    var isFixed: Bool

    /// What ARG may be, in words (the registry's argument description and the error messages).
    static let syntax = "N (a fixed exit after N decoder layers, 0 = embeddings only), or a bucket for DoLa's dynamic choice: low, high, dynamic or a comma list such as 0,2,4; /raw after either skips the final norm"

    /// Parses ARG for a policy with `layerCount` decoder layers.
    static func parse(_ argument: String, layerCount L: Int, tiedHead: Bool) throws -> LayerBucket {
        var spec = Substring(argument), finalNorm = true
        if let slash = spec.firstIndex(of: "/") {
            guard spec[spec.index(after: slash)...] == "raw" else {
                throw GuideError("--guide layer-contrast:\(argument): unknown option '\(spec[spec.index(after: slash)...])' after '/'; the only option is /raw (no final norm before the head)")
            }
            finalNorm = false
            spec = spec[..<slash]
        }
        switch spec {
        case "low", "high", "dynamic":
            let layers = transformersBucket(String(spec), layerCount: L, tiedHead: tiedHead)
            guard !layers.isEmpty else {
                throw GuideError("--guide layer-contrast:\(argument): the \(spec) bucket is empty for a \(L)-layer policy\(tiedHead ? " with a tied head" : ""); list the layers instead")
            }
            return LayerBucket(layers: layers, finalNorm: finalNorm, isFixed: false)
        default:
            var layers: [Int] = []
            for item in spec.split(separator: ",", omittingEmptySubsequences: false) {
                guard let n = Int(item) else {
                    throw GuideError("--guide layer-contrast:\(argument): '\(item)' is not a layer; expected a layer count from 0 to \(L - 1) (the policy has \(L) layers) or \(syntax)")
                }
                guard (0 ..< L).contains(n) else {
                    throw GuideError("--guide layer-contrast:\(argument): layer \(n) is out of range; expected a layer count from 0 to \(L - 1) (the policy has \(L) layers; \(L) itself is the final layer DoLa contrasts against)")
                }
                guard !layers.contains(n) else { throw GuideError("--guide layer-contrast:\(argument): layer \(n) is listed twice") }
                layers.append(n)
            }
            return LayerBucket(layers: layers.sorted(), finalNorm: finalNorm, isFixed: layers.count == 1 && !spec.contains(","))
        }
    }

    /// transformers' `dola_layers` buckets for an L-layer model: "low" is every second layer from
    /// the first usable one up to L/2, "high" every second one from L/2 up to L − 1 (for L > 40,
    /// only the 20 layers at either end: first up to 20, and L − 20 up to L). With a tied head the
    /// embeddings are skipped (the head maps them back to the input token): the first usable layer
    /// is 2 (1 for L = 2). "dynamic" is every layer from the first usable one to L − 1, the
    /// unbucketed search.
    static func transformersBucket(_ name: String, layerCount L: Int, tiedHead: Bool) -> [Int] {
        let start = !tiedHead ? 0 : L > 2 ? 2 : L == 2 ? 1 : 0
        switch name {
        case "low":
            if start == L / 2 { return [start] }
            return Array(stride(from: start, to: L <= 40 ? L / 2 : 20, by: 2))
        case "high":
            return Array(stride(from: L <= 40 ? L / 2 : L - 20, to: L, by: 2))
        default:
            return Array(start ..< L)
        }
    }
}
