// Pronounceable made-up words for the `cipher` and `forbidden` tasks: consonant–vowel syllables, so
// a byte-level BPE learns to merge them into a few tokens (errors then fall inside merged tokens).

enum PseudoWords {
    static let consonants = Array("bdfgklmnprstvz".unicodeScalars)
    static let vowels = Array("aeiou".unicodeScalars)

    /// A word of `syllables` CV syllables, sometimes closed by a consonant.
    static func word(syllables: Int, using rng: inout CreditRNG) -> String {
        var s: [Unicode.Scalar] = []
        for _ in 0 ..< syllables {
            s.append(rng.pick(consonants))
            s.append(rng.pick(vowels))
        }
        if rng.chance(0.3) { s.append(rng.pick(consonants)) }
        return String(scalars: s)
    }

    /// `count` distinct words of 1 ... maxSyllables syllables, none in `excluding`.
    static func distinct(_ count: Int, maxSyllables: Int, excluding: Set<String> = [], using rng: inout CreditRNG) -> [String] {
        var seen = excluding, out: [String] = []
        while out.count < count {
            let w = word(syllables: rng.int(in: 1 ... maxSyllables), using: &rng)
            if seen.insert(w).inserted { out.append(w) }
        }
        return out
    }
}
