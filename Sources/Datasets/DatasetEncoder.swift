// Rows → token sequences, the way TRL 1.16 tokenizes them (`huggingface/trl:trl/trainer/
// dpo_trainer.py` `_prepare_dataset.tokenize_fn`): the prompt and prompt+completion are tokenized
// separately, and the completion starts where the two token lists diverge (`common_prefix_length`).
// Standard rows get EOS appended to the completion text; conversational rows go through the chat
// template (prompt with the generation prompt, prompt+completion without).
import Tokenizers

/// Tokenizes dataset records with one tokenizer and one `EncodingOptions` policy.
public struct DatasetEncoder: Sendable {
    public var tokenizer: Tokenizer
    public var options: EncodingOptions

    public init(tokenizer: Tokenizer, options: EncodingOptions = EncodingOptions()) {
        self.tokenizer = tokenizer
        self.options = options
    }

    // MARK: Records

    /// A preference row (explicit or implicit prompt) as a pair of sequences.
    public func encodePreference(_ record: DatasetRecord, at location: RowLocation) throws -> PreferenceExample {
        guard case .preference(let prompt, let chosen, let rejected, let margin, let annotations, let tie) = record else {
            throw DatasetError.wrongKind(location, expected: "preference", actual: record.kind)
        }
        let (p, c, r) = prompt.map { ($0, chosen, rejected) } ?? ImplicitPrompt.extract(chosen: chosen, rejected: rejected)
        let c0 = try renderPair(prompt: p, completion: c, field: "chosen", at: location)
        let r0 = try renderPair(prompt: p, completion: r, field: "rejected", at: location)
        let promptLength = min(c0.promptLength, r0.promptLength)
        var cs = try annotate(c0, promptLength: promptLength, rewards: annotations.chosenTokenRewards,
                              rewardField: "chosen_token_rewards", spans: nil, at: location)
        var rs = try annotate(r0, promptLength: promptLength, rewards: annotations.rejectedTokenRewards,
                              rewardField: "rejected_token_rewards", spans: annotations.rejectedErrorSpans, at: location)
        // Token rewards come in pairs: a batch holds them for every row or for none, and a row with
        // one side only would leave the other side's tokens without rewards.
        switch (annotations.chosenTokenRewards, annotations.rejectedTokenRewards) {
        case (.some, nil): throw DatasetError.missingField(location, field: "rejected_token_rewards")
        case (nil, .some): throw DatasetError.missingField(location, field: "chosen_token_rewards")
        default: break
        }
        try checkTokenIDs(annotations.chosenTokenIDs, of: cs, field: "chosen_token_ids", at: location)
        try checkTokenIDs(annotations.rejectedTokenIDs, of: rs, field: "rejected_token_ids", at: location)
        cs = try truncate(cs, field: "chosen", at: location)
        rs = try truncate(rs, field: "rejected", at: location)
        return PreferenceExample(location: location, chosen: cs, rejected: rs, margin: margin, tie: tie)
    }

    /// A language-modelling, prompt-completion or stepwise row as one trained sequence (SFT).
    public func encodeSequence(_ record: DatasetRecord, at location: RowLocation) throws -> SequenceExample {
        switch record {
        case .languageModeling(let turns):
            let field = turns.isConversational ? "messages" : "text"
            let rendered = try renderWhole(turns, field: field, at: location)
            let ids = encode(rendered.text, special: rendered.special)
            guard !ids.isEmpty else { throw DatasetError.invalidValue(location, field: field, reason: "no tokens") }
            let s = TokenizedSequence(ids: ids, trainMask: Array(repeating: true, count: ids.count), promptLength: 0)
            return SequenceExample(location: location, sequence: try truncate(s, field: field, at: location))
        case .promptCompletion(let prompt, let completion):
            let raw = try renderPair(prompt: prompt, completion: completion, field: "completion", at: location)
            let s = try annotate(raw, promptLength: raw.promptLength, rewards: nil, rewardField: "", spans: nil, at: location)
            return SequenceExample(location: location, sequence: try truncate(s, field: "completion", at: location))
        case .stepwise(let prompt, let completions, let labels):
            var ids = encode(prompt, special: options.addSpecialTokens)
            let promptLength = ids.count
            var mask = Array(repeating: false, count: ids.count)
            var tokenLabels = Array(repeating: Float(0), count: ids.count)
            for (k, step) in completions.enumerated() {
                // TRL PRMTrainer: each step is tokenized with its separator; the label sits on the step's last token.
                let stepIDs = tokenizer.encode(step + options.stepSeparator, addSpecialTokens: false)
                guard !stepIDs.isEmpty else { throw DatasetError.invalidValue(location, field: "completions[\(k)]", reason: "no tokens") }
                ids += stepIDs
                mask += Array(repeating: false, count: stepIDs.count - 1) + [true]
                tokenLabels += Array(repeating: 0, count: stepIDs.count - 1) + [labels[k] ? 1 : 0]
            }
            let s = TokenizedSequence(ids: ids, trainMask: mask, tokenLabels: tokenLabels, promptLength: promptLength)
            return SequenceExample(location: location, sequence: try truncate(s, field: "completions", at: location))
        default:
            throw DatasetError.wrongKind(location, expected: "language-modeling, prompt-completion or stepwise", actual: record.kind)
        }
    }

    /// An unpaired-preference row (KTO).
    public func encodeUnpaired(_ record: DatasetRecord, at location: RowLocation) throws -> UnpairedExample {
        guard case .unpaired(let prompt, let completion, let label) = record else {
            throw DatasetError.wrongKind(location, expected: "unpaired-preference", actual: record.kind)
        }
        let raw = try renderPair(prompt: prompt, completion: completion, field: "completion", at: location)
        let s = try annotate(raw, promptLength: raw.promptLength, rewards: nil, rewardField: "", spans: nil, at: location)
        return UnpairedExample(location: location, sequence: try truncate(s, field: "completion", at: location), label: label)
    }

    // MARK: Rendering

    /// prompt + completion tokenized whole, plus where the completion's text starts (bytes).
    struct RenderedPair {
        var encoding: Encoding
        var promptLength: Int
        /// Byte range of the completion's own text inside the full text (for error spans).
        var completionBytes: Range<Int>
        var completionText: String
        var endsWithAppendedEOS: Bool
    }

    func renderPair(prompt: Turns, completion: Turns, field: String, at location: RowLocation) throws -> RenderedPair {
        switch (prompt, completion) {
        case (.text(let p), .text(let c)):
            var full = p + c
            var appended = false
            if options.appendEOS {
                guard let eos = tokenizer.eosToken else {
                    throw DatasetError.tokenizerLacks(location, field: field, what: "an EOS token (to end the completion)")
                }
                if !c.hasSuffix(eos) { full += eos; appended = true }
            }
            let promptIDs = encode(p, special: options.addSpecialTokens)
            let enc = tokenizer.encodeWithOffsets(full, addSpecialTokens: options.addSpecialTokens)
            let start = p.utf8.count
            return RenderedPair(encoding: enc, promptLength: commonPrefixLength(promptIDs, enc.ids),
                                completionBytes: start ..< start + c.utf8.count, completionText: c, endsWithAppendedEOS: appended)
        case (.messages(let p), .messages(let c)):
            let promptText = try render(p, generationPrompt: true, field: "prompt", at: location)
            let fullText = try render(p + c, generationPrompt: false, field: field, at: location)
            let promptIDs = tokenizer.encode(promptText, addSpecialTokens: false)
            let enc = tokenizer.encodeWithOffsets(fullText, addSpecialTokens: false)
            // The completion's text: the last assistant content, found from the end of the rendering.
            let content = c.last?.content ?? ""
            var bytes = fullText.utf8.count ..< fullText.utf8.count
            if !content.isEmpty, let r = fullText.range(of: content, options: .backwards) {
                let lo = fullText.utf8.distance(from: fullText.startIndex, to: r.lowerBound)
                bytes = lo ..< lo + content.utf8.count
            }
            return RenderedPair(encoding: enc, promptLength: commonPrefixLength(promptIDs, enc.ids),
                                completionBytes: bytes, completionText: content, endsWithAppendedEOS: false)
        default:
            throw DatasetError.wrongType(location, field: field, expected: prompt.isConversational ? "a message list, like 'prompt'" : "a string, like 'prompt'")
        }
    }

    func renderWhole(_ turns: Turns, field: String, at location: RowLocation) throws -> (text: String, special: Bool) {
        switch turns {
        case .text(let t):
            var text = t
            if options.appendEOS {
                guard let eos = tokenizer.eosToken else {
                    throw DatasetError.tokenizerLacks(location, field: field, what: "an EOS token (to end the text)")
                }
                if !t.hasSuffix(eos) { text += eos }
            }
            return (text, options.addSpecialTokens)
        case .messages(let m):
            return (try render(m, generationPrompt: false, field: field, at: location), false)
        }
    }

    func render(_ messages: [ChatMessage], generationPrompt: Bool, field: String, at location: RowLocation) throws -> String {
        do { return try tokenizer.renderChat(messages, addGenerationPrompt: generationPrompt) } catch {
            throw DatasetError.tokenizerLacks(location, field: field, what: "a supported chat template (\(error))")
        }
    }

    func encode(_ text: String, special: Bool) -> [Int] {
        tokenizer.encode(text, addSpecialTokens: special)
    }

    // MARK: Annotations and truncation

    /// Builds the trained-token mask and aligns our annotations to the completion tokens.
    func annotate(_ r: RenderedPair, promptLength: Int, rewards: [Float]?, rewardField: String,
                  spans: [ErrorSpan]?, at location: RowLocation) throws -> TokenizedSequence {
        let ids = r.encoding.ids
        let n = ids.count
        let completionCount = n - promptLength
        guard completionCount > 0 else {
            throw DatasetError.invalidValue(location, field: rewardField.isEmpty ? "completion" : String(rewardField.prefix { $0 != "_" }),
                                            reason: "the completion has no tokens of its own")
        }
        let mask = Array(repeating: false, count: promptLength) + Array(repeating: true, count: completionCount)
        var tokenRewards: [Float]?
        if let rewards {
            // One reward per response token; the EOS we appended may be left out (it gets 0).
            let withoutEOS = completionCount - (r.endsWithAppendedEOS ? 1 : 0)
            guard rewards.count == completionCount || rewards.count == withoutEOS else {
                throw DatasetError.lengthMismatch(location, field: rewardField, expected: completionCount, actual: rewards.count)
            }
            tokenRewards = Array(repeating: 0, count: promptLength) + rewards
                + Array(repeating: 0, count: completionCount - rewards.count)
        }
        var tokenLabels: [Float]?
        if let spans {
            let scalars = Array(r.completionText.unicodeScalars)
            var labels = Array(repeating: Float(0), count: n)
            for (k, span) in spans.enumerated() {
                guard span.end <= scalars.count else {
                    throw DatasetError.invalidValue(location, field: "rejected_error_spans[\(k)]",
                                                    reason: "end \(span.end) is past the response's \(scalars.count) characters")
                }
                let lo = r.completionBytes.lowerBound + utf8Length(scalars[0 ..< span.start])
                let hi = lo + utf8Length(scalars[span.start ..< span.end])
                for j in promptLength ..< n {
                    let o = r.encoding.offsets[j]
                    if o.lowerBound < hi && o.upperBound > lo { labels[j] = max(labels[j], span.severity) }
                }
            }
            tokenLabels = labels
        }
        return TokenizedSequence(ids: ids, trainMask: mask, tokenRewards: tokenRewards, tokenLabels: tokenLabels, promptLength: promptLength)
    }

    /// Throws unless `recorded` (the ids a row's token annotations were made for) are the
    /// completion's ids as this encoder's tokenizer writes them; an EOS the encoder appended may be
    /// missing from the record.
    func checkTokenIDs(_ recorded: [Int]?, of s: TokenizedSequence, field: String, at location: RowLocation) throws {
        guard let recorded else { return }
        let ours = s.ids[s.promptLength...]
        let appended = options.appendEOS && ours.last == tokenizer.eosTokenID ? 1 : 0
        guard recorded.count == ours.count || recorded.count == ours.count - appended else {
            throw DatasetError.invalidValue(location, field: field, reason: "the row's token labels were made for \(recorded.count) response tokens, "
                + "this tokenizer writes \(ours.count - appended); the labels were made with another tokenizer (remake them with this model's)")
        }
        if let k = recorded.indices.first(where: { recorded[$0] != ours[ours.startIndex + $0] }) {
            throw DatasetError.invalidValue(location, field: field, reason: "response token \(k) is id \(recorded[k]) in the row but \(ours[ours.startIndex + k]) "
                + "with this tokenizer; the labels were made with another tokenizer (remake them with this model's)")
        }
    }

    /// Applies `maxPromptLength` (keeps the prompt's end) then `maxLength` (by `truncationMode`),
    /// or throws when truncation is not allowed.
    public func truncate(_ s: TokenizedSequence, field: String, at location: RowLocation) throws -> TokenizedSequence {
        var keep = 0 ..< s.ids.count
        var promptLength = s.promptLength
        if let mp = options.maxPromptLength, s.promptLength > mp {
            guard options.allowTruncation else {
                throw DatasetError.wouldTruncate(location, field: "prompt", length: s.promptLength, limit: mp)
            }
            keep = (s.promptLength - mp) ..< s.ids.count
            promptLength = mp
        }
        if let ml = options.maxLength, keep.count > ml {
            guard options.allowTruncation else {
                throw DatasetError.wouldTruncate(location, field: field, length: keep.count, limit: ml)
            }
            switch options.truncationMode {
            case .keepStart: keep = keep.lowerBound ..< keep.lowerBound + ml
            case .keepEnd: keep = keep.upperBound - ml ..< keep.upperBound
            }
            promptLength = s.trainMask[keep].firstIndex(of: true).map { $0 - keep.lowerBound } ?? keep.count
        }
        if keep == 0 ..< s.ids.count { return s }
        var out = TokenizedSequence(ids: Array(s.ids[keep]), trainMask: Array(s.trainMask[keep]),
                                    tokenRewards: s.tokenRewards.map { Array($0[keep]) }, tokenLabels: s.tokenLabels.map { Array($0[keep]) },
                                    promptLength: promptLength, truncated: true)
        if out.trainedTokenCount == 0 {
            throw DatasetError.invalidValue(location, field: field, reason: "truncation left no trained tokens (prompt fills the limit)")
        }
        out.truncated = true
        return out
    }
}

/// TRL `common_prefix_length`: how many leading ids two lists share (where a prompt's own tokens
/// stop matching the tokens of prompt + completion encoded whole).
public func commonPrefixLength(_ a: [Int], _ b: [Int]) -> Int {
    var i = 0
    let n = min(a.count, b.count)
    while i < n && a[i] == b[i] { i += 1 }
    return i
}

func utf8Length(_ scalars: ArraySlice<Unicode.Scalar>) -> Int {
    var n = 0
    for s in scalars { n += UTF8.width(s) }
    return n
}
