// SentencePiece BPE tokenizers from GGUF metadata (`tokenizer.ggml.model = "llama"`: Llama 1/2,
// Mistral 7B v0.1, Phi-3, TinyLlama…), following llama.cpp's `llm_tokenizer_spm` (src/llama-vocab.cpp):
// a space is prepended to the text (`add_space_prefix`, default on) and every space becomes "▁";
// the text starts as one symbol per Unicode character; the adjacent pair whose concatenation is a
// piece with the highest score is merged first (equal scores: the leftmost pair), until no pair is a
// piece; characters outside the vocabulary become their UTF-8 bytes' `<0xXX>` pieces, or the
// unknown piece. The file carries scores, not merges, so the merges are derived here: every split
// of every piece into two pieces, ranked by the whole piece's score (the construction `tokenizers`
// uses to convert SentencePiece models). Decoding: "▁" back to spaces, `<0xXX>` back to bytes, and
// the first leading space dropped.
import Foundation

extension Tokenizer {
    convenience init(sentencePiece meta: GGUFTokenizerMetadata, file: String) throws {
        let n = meta.tokens.count
        guard let scores = meta.scores else {
            throw TokenizerError.invalidValue(file: file, path: "tokenizer.ggml.scores", reason: "missing (a \"llama\" tokenizer merges by score)")
        }
        guard scores.count == n else {
            throw TokenizerError.invalidValue(file: file, path: "tokenizer.ggml.scores", reason: "\(scores.count) scores for \(n) tokens")
        }
        if let i = scores.firstIndex(where: { !$0.isFinite }) {
            throw TokenizerError.invalidValue(file: file, path: "tokenizer.ggml.scores[\(i)]", reason: "not a finite number")
        }
        if let types = meta.tokenTypes, types.count != n {
            throw TokenizerError.invalidValue(file: file, path: "tokenizer.ggml.token_type", reason: "\(types.count) types for \(n) tokens")
        }
        var tokenBytes = [[UInt8]?](repeating: nil, count: n)
        var idOf: [String: Int] = [:]
        idOf.reserveCapacity(n)
        var added: [AddedToken] = []
        for (id, piece) in meta.tokens.enumerated() {
            let type = GGUFTokenizerMetadata.TokenType(rawValue: meta.tokenTypes?[id] ?? 1) ?? .normal
            tokenBytes[id] = Array(piece.utf8)
            if idOf[piece] == nil { idOf[piece] = id }
            switch type {
            case .control, .userDefined, .unknown:
                added.append(AddedToken(id: id, content: piece, special: type != .userDefined, normalized: false))
            default: break
            }
        }
        // Every split of a piece into two pieces is a merge; rank = the piece's score, densely ranked
        // from the highest, so that equal scores compare by position as in llama.cpp.
        var candidates: [(score: Float, merge: BPEModel.Merge)] = []
        for (id, piece) in meta.tokens.enumerated() {
            let type = GGUFTokenizerMetadata.TokenType(rawValue: meta.tokenTypes?[id] ?? 1) ?? .normal
            if type == .byte || type == .unused { continue }
            let scalars = Array(piece.unicodeScalars)
            guard scalars.count >= 2 else { continue }
            for k in 1 ..< scalars.count {
                var left = String.UnicodeScalarView(), right = String.UnicodeScalarView()
                left.append(contentsOf: scalars[..<k])
                right.append(contentsOf: scalars[k...])
                if let l = idOf[String(left)], let r = idOf[String(right)] {
                    candidates.append((scores[id], BPEModel.Merge(left: l, right: r, result: id)))
                }
            }
        }
        candidates.sort { $0.score > $1.score || ($0.score == $1.score && $0.merge.result < $1.merge.result) }
        var ranks: [Int] = []
        ranks.reserveCapacity(candidates.count)
        var rank = 0
        for (i, c) in candidates.enumerated() {
            if i > 0, c.score != candidates[i - 1].score { rank += 1 }
            ranks.append(rank)
        }
        let (bos, eos, unk, pad) = try meta.specialIDs(file: file)
        let model = BPEModel(tokenBytes: tokenBytes, tokenStrings: meta.tokens.map { Optional($0) }, merges: candidates.map(\.merge),
                             isByteLevel: false, unknownTokenID: unk, fuseUnknown: false, byteFallback: true, ignoreMerges: false,
                             ranks: ranks)
        var steps: [Normalizer] = []
        if meta.addSpacePrefix ?? true { steps.append(.prepend("▁")) }
        steps.append(.replace(pattern: .string(" "), content: "▁"))
        // BOS by default, as llama.cpp adds it for SPM vocabularies.
        let post = meta.affixes(bos: bos, eos: eos, addBOSByDefault: true)
        var decoding: [TokenDecoder] = [.replace(pattern: .string("▁"), content: " "), .byteFallback, .fuse]
        if meta.addSpacePrefix ?? true { decoding.append(.strip(content: " ", start: 1, stop: 0)) }
        try self.init(model: model, normalizer: .sequence(steps), preTokenizer: nil, postProcessor: post, decoder: .sequence(decoding),
                      addedTokens: added, bosToken: bos.map { meta.tokens[$0] }, eosToken: eos.map { meta.tokens[$0] },
                      padToken: pad.map { meta.tokens[$0] }, unkToken: unk.map { meta.tokens[$0] }, chatTemplate: meta.chatTemplate)
    }
}
