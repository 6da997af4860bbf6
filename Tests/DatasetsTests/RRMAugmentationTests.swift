// RRM's causal augmentation (arXiv 2409.13156): every original row is kept and marked, each added
// pair prefers a response of its own row to a response of a row with another prompt, ties pair two
// foreign responses, the draws are a function of the seed, and bad input names the line and field.
import Datasets
import Foundation
import Testing

@Suite struct RRMAugmentationTests {
    /// Four rows, each with its own prompt and responses "c<i>" ≻ "r<i>"; row 3 has an extra column.
    static func rows(prompts: [String] = ["p0", "p1", "p2", "p3"]) throws -> [JSONLRow] {
        let lines = prompts.enumerated().map { i, p in
            "{\"prompt\": \"\(p)\", \"chosen\": \"c\(i)\", \"rejected\": \"r\(i)\"\(i == 3 ? ", \"margin\": 2" : "")}"
        }
        return try JSONLReader.parse(Data(lines.joined(separator: "\n").utf8), file: "pairs.jsonl")
    }

    @Test func addedPairsPreferTheRowsOwnResponses() throws {
        let input = try Self.rows()
        let r = try RRMAugmentation.augment(input, seed: 7, perRow: 3, ties: true)
        #expect(r.counts == ["original": 4, "non-contextual": 12, "neutral": 12])
        #expect(r.rows.count == 16 && r.ties.count == 12)
        // The originals first, unchanged but for the mark (the margin column is kept).
        for (i, o) in r.rows.prefix(4).enumerated() {
            #expect(o["prompt"] as? String == "p\(i)" && o["chosen"] as? String == "c\(i)" && o["rejected"] as? String == "r\(i)")
            #expect(o[RRMAugmentation.column] as? String == "original")
        }
        #expect((r.rows[3]["margin"] as? NSNumber)?.intValue == 2)
        // Added pair of row i: chosen ∈ {c_i, r_i}, rejected a response of another row, the partner's line recorded.
        for a in r.rows.dropFirst(4) {
            let prompt = try #require(a["prompt"] as? String), i = Int(prompt.dropFirst())!
            let chosen = try #require(a["chosen"] as? String), rejected = try #require(a["rejected"] as? String)
            #expect(a[RRMAugmentation.column] as? String == "non-contextual")
            #expect(chosen == "c\(i)" || chosen == "r\(i)")
            let partner = Int(rejected.dropFirst())!
            #expect(partner != i && (a[RRMAugmentation.partnerColumn] as? Int) == partner + 1)
            #expect(a["margin"] == nil && a["tie"] == nil)
        }
        // Three distinct added pairs per row.
        for i in 0 ..< 4 {
            let mine = r.rows.dropFirst(4).filter { $0["prompt"] as? String == "p\(i)" }.map { "\($0["chosen"]!)>\($0["rejected"]!)" }
            #expect(mine.count == 3 && Set(mine).count == 3)
        }
        // Ties: two responses of other rows, under the row's prompt.
        for t in r.ties {
            let i = Int((t["prompt"] as! String).dropFirst())!
            #expect(t["tie"] as? Bool == true && t[RRMAugmentation.column] as? String == "neutral")
            for side in ["chosen", "rejected"] { #expect(Int((t[side] as! String).dropFirst())! != i) }
            #expect(t["chosen"] as? String != t["rejected"] as? String)
        }
    }

    @Test func allEightCandidatesAtPerRowEight() throws {
        // Row i's 8 candidates: {c_i, r_i} × {c_j, c_k, r_j, r_k} for its two partners j ≠ k.
        let r = try RRMAugmentation.augment(Self.rows(), seed: 1, perRow: 8, ties: true)
        for i in 0 ..< 4 {
            let mine = r.rows.dropFirst(4).filter { $0["prompt"] as? String == "p\(i)" }
            #expect(mine.count == 8)
            #expect(Set(mine.map { $0["chosen"] as! String }) == ["c\(i)", "r\(i)"])
            let partners = Set(mine.map { Int(($0["rejected"] as! String).dropFirst())! })
            #expect(partners.count == 2 && !partners.contains(i))
            // The six ties are all pairs of the partners' four responses.
            #expect(r.ties.filter { $0["prompt"] as? String == "p\(i)" }.count == 6)
        }
    }

    @Test func seededAndDeterministic() throws {
        func render(_ r: RRMAugmentation.Result) -> [String] {
            (r.rows + r.ties).map { o in o.keys.sorted().map { "\($0)=\(o[$0]!)" }.joined(separator: ";") }
        }
        let input = try Self.rows(prompts: (0 ..< 12).map { "p\($0)" })
        let a = try RRMAugmentation.augment(input, seed: 3, perRow: 2, ties: true)
        let b = try RRMAugmentation.augment(input, seed: 3, perRow: 2, ties: true)
        let c = try RRMAugmentation.augment(input, seed: 4, perRow: 2, ties: true)
        #expect(render(a) == render(b))
        #expect(render(a) != render(c))
        #expect(try RRMAugmentation.augment(input, seed: 3, perRow: 2).ties.isEmpty)
    }

    @Test func partnersHaveAnotherPrompt() throws {
        // Rows 0 and 1 share a prompt: row 0's partners can only be rows 2 and 3, and a response
        // equal to the row's own (same text) is never paired against itself.
        let input = try JSONLReader.parse(Data("""
        {"prompt": "same", "chosen": "c0", "rejected": "r0"}
        {"prompt": "same", "chosen": "c1", "rejected": "r1"}
        {"prompt": "q2", "chosen": "c0", "rejected": "r2"}
        {"prompt": "q3", "chosen": "c3", "rejected": "r3"}
        """.utf8), file: "pairs.jsonl")
        for seed: UInt64 in 0 ..< 20 {
            let r = try RRMAugmentation.augment(input, seed: seed, perRow: 8)
            for a in r.rows.dropFirst(4) where a["prompt"] as? String == "same" {
                let rejected = a["rejected"] as! String
                #expect(["c0", "r2", "c3", "r3"].contains(rejected), "seed \(seed): \(a)")
                #expect(a["chosen"] as? String != rejected)
            }
        }
    }

    @Test func badInput() throws {
        let missing = try JSONLReader.parse(Data("""
        {"prompt": "a", "chosen": "x", "rejected": "y"}
        {"prompt": "b", "chosen": "x"}
        """.utf8), file: "pairs.jsonl")
        do {
            _ = try RRMAugmentation.augment(missing, seed: 0)
            Issue.record("a row without 'rejected' was accepted")
        } catch let e as DatasetError {
            #expect("\(e)".contains("pairs.jsonl:2") && "\(e)".contains("rejected"), "\(e)")
        }
        let implicit = try JSONLReader.parse(Data("{\"chosen\": \"x\", \"rejected\": \"y\"}".utf8), file: "pairs.jsonl")
        #expect(throws: DatasetError.self) { try RRMAugmentation.augment(implicit, seed: 0) }
        // One other prompt only: no second partner.
        let two = try Self.rows(prompts: ["a", "b", "a"])
        #expect(throws: RRMAugmentationError.self) { try RRMAugmentation.augment(two, seed: 0) }
        for k in [0, 9] { #expect(throws: RRMAugmentationError.self) { try RRMAugmentation.augment(try Self.rows(), seed: 0, perRow: k) } }
    }
}
