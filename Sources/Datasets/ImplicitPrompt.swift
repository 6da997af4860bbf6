// TRL `extract_prompt` (`huggingface/trl:trl/data_utils.py`): the prompt of an implicit-prompt
// preference row is the longest common prefix of `chosen` and `rejected` (characters for text,
// whole messages for conversations); a space just before the divergence stays with the completions.

enum ImplicitPrompt {
    static func extract(chosen: Turns, rejected: Turns) -> (Turns, Turns, Turns) {
        switch (chosen, rejected) {
        case (.text(let c), .text(let r)):
            let cs = Array(c), rs = Array(r)
            var idx = 0
            let n = min(cs.count, rs.count)
            while idx < n && cs[idx] == rs[idx] { idx += 1 }
            if idx < n, idx > 0, cs[idx - 1] == " " { idx -= 1 }
            return (.text(String(cs[..<idx])), .text(String(cs[idx...])), .text(String(rs[idx...])))
        case (.messages(let c), .messages(let r)):
            var idx = 0
            let n = min(c.count, r.count)
            while idx < n && c[idx] == r[idx] { idx += 1 }
            return (.messages(Array(c[..<idx])), .messages(Array(c[idx...])), .messages(Array(r[idx...])))
        default:
            return (.text(""), chosen, rejected)  // mixed kinds are rejected when the row is parsed
        }
    }
}
