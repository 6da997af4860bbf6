import Foundation
import TestSupport
import Tokenizers
@testable import CreditBench

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
