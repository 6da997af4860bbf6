// Does a token-level credit source put the blame on the token that actually went wrong?
//
// On a rejected response whose first erroneous token e is known (CreditBench), a credit source
// assigns a reward r̂ₜ to every response token. Two scores, both over the tokens 0…e (the prefix that
// was still correct, plus the first error; tokens after e are consequences of the error and are
// excluded so that a method is not rewarded or punished for how it treats them):
//  - AUROC of −r̂ with the first error as the single positive and the earlier tokens as negatives:
//    the probability that the error gets a lower reward than a correct earlier token (ties ½);
//  - top-1 hit: the lowest-reward token among 0…e is e itself.
// A response whose first error is its first token has no negatives: its AUROC is undefined and it is
// left out of AUROC averages (but counts for top-1).

public struct CreditLocalisation: Sendable, Equatable {
    /// nil when the first error is token 0 (no correct tokens before it).
    public var auroc: Double?
    public var hit: Bool

    /// - Parameters:
    ///   - rewards: r̂ for each response token.
    ///   - firstError: index of the first erroneous token (must be a valid index).
    public init(rewards: [Float], firstError: Int) {
        precondition(firstError >= 0 && firstError < rewards.count,
                     "CreditLocalisation: first error \(firstError) outside \(rewards.count) tokens")
        let e = Double(rewards[firstError])
        var wins = 0.0
        for j in 0 ..< firstError {
            let r = Double(rewards[j])
            if e < r { wins += 1 } else if e == r { wins += 0.5 }
        }
        auroc = firstError > 0 ? wins / Double(firstError) : nil
        // Lowest reward among 0…e; ties count as a hit only if e is the first minimum.
        var best = 0
        for j in stride(from: 1, through: firstError, by: 1) where rewards[j] < rewards[best] { best = j }
        hit = best == firstError
    }
}

/// Mean localisation over responses, with bootstrap confidence intervals over prompts.
public struct LocalisationSummary: Sendable, Equatable {
    public var responses: Int
    public var auroc: Estimate
    public var top1: Estimate
}

extension LocalisationSummary {
    /// - Parameters:
    ///   - items: (prompt id, localisation) per rejected response; several responses may share a prompt.
    ///   - resamples: bootstrap resamples of prompts.
    public init(_ items: [(prompt: Int, localisation: CreditLocalisation)], resamples: Int = 1000, level: Double = 0.95, seed: UInt64 = 0) {
        var byPrompt: [Int: (auroc: [Double], hits: [Double])] = [:]
        for (p, l) in items {
            if let a = l.auroc { byPrompt[p, default: ([], [])].auroc.append(a) }
            byPrompt[p, default: ([], [])].hits.append(l.hit ? 1 : 0)
        }
        let groups = byPrompt.keys.sorted().map { byPrompt[$0]! }
        responses = items.count
        auroc = Bootstrap.meanOverGroups(groups.map(\.auroc), resamples: resamples, level: level, seed: seed)
        top1 = Bootstrap.meanOverGroups(groups.map(\.hits), resamples: resamples, level: level, seed: seed &+ 1)
    }
}
