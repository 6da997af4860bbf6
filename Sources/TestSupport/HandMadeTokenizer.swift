// A byte-level BPE tokenizer built by hand, whose merges are known, so that tests can check token
// boundaries by hand (CreditBench's token credit, `tokenalign data make`'s token labels).
import Foundation
import Support
import Tokenizers

/// GPT-2's byte → printable-character map (openai/gpt-2 `bytes_to_unicode`), for hand-made vocabularies.
public func byteLevelCharacter(_ b: UInt8) -> String {
    let printable = Array(33 ... 126) + Array(161 ... 172) + Array(174 ... 255)
    if printable.contains(Int(b)) { return String(UnicodeScalar(b)) }
    let n = (0 ..< Int(b)).filter { !printable.contains($0) }.count
    return String(UnicodeScalar(UInt32(256 + n))!)
}

/// A hand-made byte-level BPE whose merges we know, so token boundaries can be checked by hand:
/// "1 1" → "11", "11 1" → "111", "1 2" → "12", "9 8" → "98", "98 9" → "989", "o k" → "ok", "m o" → "mo".
/// "1112" → 111|2, "1212" → 12|12, "989" → 989, "988" → 98|8, "moka" → mo|k|a.
public func handMadeTokenizer() throws -> Tokenizer {
    var vocab: [String: Int] = [:]
    for b in 0 ... 255 { vocab[byteLevelCharacter(UInt8(b))] = vocab.count }
    let merges = ["1 1", "11 1", "1 2", "9 8", "98 9", "m o"]
    for m in merges { vocab[m.replacingOccurrences(of: " ", with: "")] = vocab.count }
    let json: [String: Any] = [
        "version": "1.0", "added_tokens": [], "normalizer": NSNull(), "post_processor": NSNull(),
        "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
        "decoder": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
        "model": ["type": "BPE", "vocab": vocab, "merges": merges, "dropout": NSNull(), "unk_token": NSNull()] as [String: Any],
    ]
    return try Tokenizer(tokenizerJSONData: Data(try JSONValue(foundation: json).written(JSONWriteOptions(sortedKeys: false)).utf8))
}
