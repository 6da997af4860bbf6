// Whether two tokenizers read every id as the same bytes: the condition for a model to score (or
// guide, or judge) the ids another model wrote. One comparison, used by every place that loads a
// second model beside a policy: reward functions, search scorers, decoding guides, judges.
extension Tokenizer {
    /// The first id whose bytes differ between `self` and `other` (over the larger vocabulary; an
    /// id one of them lacks differs), each side spelled for an error message; nil when they agree.
    public func firstDifference(from other: Tokenizer) -> (id: Int, ours: String, theirs: String)? {
        for id in 0 ..< max(vocabularySize, other.vocabularySize) {
            let x = tokenBytes(for: id), y = other.tokenBytes(for: id)
            if x != y {
                func show(_ bytes: [UInt8]?) -> String { bytes.map { String(reflecting: String(decoding: $0, as: UTF8.self)) } ?? "no token" }
                return (id, show(x), show(y))
            }
        }
        return nil
    }
}
