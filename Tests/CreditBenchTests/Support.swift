import Foundation
import Tokenizers
@testable import CreditBench

/// GPT-2's byte → printable-character map (openai/gpt-2 `bytes_to_unicode`), for hand-made vocabularies.
func byteLevelCharacter(_ b: UInt8) -> String {
    let printable = Array(33 ... 126) + Array(161 ... 172) + Array(174 ... 255)
    if printable.contains(Int(b)) { return String(UnicodeScalar(b)) }
    let n = (0 ..< Int(b)).filter { !printable.contains($0) }.count
    return String(UnicodeScalar(UInt32(256 + n))!)
}

/// A hand-made byte-level BPE whose merges we know, so token boundaries can be checked by hand:
/// "1 1" → "11", "11 1" → "111", "1 2" → "12", "9 8" → "98", "98 9" → "989", "o k" → "ok", "m o" → "mo".
/// "1112" → 111|2, "1212" → 12|12, "989" → 989, "988" → 98|8, "moka" → mo|k|a.
func handMadeTokenizer() throws -> Tokenizer {
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
    return try Tokenizer(tokenizerJSONData: try JSONSerialization.data(withJSONObject: json))
}

/// A byte-level BPE trained on add-task text, so that digits merge into multi-digit tokens.
func trainedDigitTokenizer() throws -> Tokenizer {
    let task = AdditionTask(digits: 4)
    let corpus = task.examples(400, seed: 99).map { $0.prompt + $0.completion }
    return try BPETrainer(vocabularySize: 400, specialTokens: ["<|endoftext|>"], minFrequency: 2).train(corpus)
}

/// The text of `s`'s scalars in `range`.
func scalars(_ s: String, _ range: Range<Int>) -> String {
    String(String.UnicodeScalarView(Array(s.unicodeScalars)[range]))
}

/// `response` with `edit` applied.
func applying(_ edit: MinimalEdit, to response: String) -> String {
    let r = Array(response.unicodeScalars)
    var out = String.UnicodeScalarView()
    out.append(contentsOf: r[0 ..< edit.start])
    out.append(contentsOf: edit.replacement.unicodeScalars)
    out.append(contentsOf: r[edit.end...])
    return String(out)
}

let allTasks: [any CreditTask] = CreditTaskName.allCases.map { try! $0.task() }
