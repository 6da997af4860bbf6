// What a multifurcation reward model (Saffron-1, arXiv 2506.06444) saves besides its weights: a flag
// in `config.json` that marks its outputs as rewards (`--scorer mrm:DIR` refuses a folder without it)
// and the tokens its training data observed as actions. Saffron's conservative exploration gives every
// other token a large negative reward at search time, so the search never rests on an output the
// partial supervision never touched.
import Datasets
import Foundation
import Support

public enum MultifurcationSeen {
    /// `config.json` key of the flag.
    public static let flagKey = "tokenalign_multifurcation"
    /// `config.json` key of the sorted seen token ids.
    public static let seenKey = "tokenalign_seen_tokens"

    /// The distinct trained tokens (the response tokens the loss reads) of a training set, sorted.
    public static func tokens(_ examples: TrainingExamples) -> [Int] {
        guard case .pairs(let pairs) = examples else { return [] }
        var seen = Set<Int>()
        for p in pairs {
            for s in [p.chosen, p.rejected] {
                for (id, trained) in zip(s.ids, s.trainMask) where trained { seen.insert(id) }
            }
        }
        return seen.sorted()
    }

    /// Adds the flag and the seen tokens to the `config.json` in `folder`.
    static func mark(_ folder: URL, seenTokens: [Int]) throws {
        let configURL = folder.appendingPathComponent("config.json")
        guard var config = try JSONValue.parse(Data(contentsOf: configURL), file: configURL.path).foundationObject as? [String: Any] else {
            throw TrainingError.checkpoint(path: configURL.path, reason: "config.json is not an object")
        }
        config[flagKey] = true
        config[seenKey] = seenTokens
        try Data(JSONValue(foundation: config).written(.prettySorted).utf8).write(to: configURL)
    }
}
