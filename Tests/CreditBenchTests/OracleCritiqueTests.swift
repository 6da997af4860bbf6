// CLoud's oracle critiques (arXiv 2408.11791; docs/design/rewards.md §11): the one template,
// written from the verifier's verdict, for every shape of verdict, and the critique rows of every
// task: the same pair as the preference rows, "Correct." for the chosen response, a located error
// for the rejected one, deterministic per (task, seed, index).
import CreditBench
import Testing

@Suite struct OracleCritiqueTests {
    @Test func theTemplateForEveryVerdict() {
        #expect(Verdict.correct.critique(of: "1,2,3\n") == "Correct.")
        let swap = Verdict(isCorrect: false, firstError: 2, errorSpans: [],
                           edit: MinimalEdit(start: 2, end: 3, replacement: "2", corrected: "1,2,3\n", distance: 1))
        #expect(swap.critique(of: "1,3,3\n") == "Wrong at character 2: \"3\" should be \"2\".")
        let missing = Verdict(isCorrect: false, firstError: 5, errorSpans: [],
                              edit: MinimalEdit(start: 5, end: 5, replacement: "\n", corrected: "1,2,3\n", distance: 1))
        #expect(missing.critique(of: "1,2,3") == "Wrong at character 5: \"\\n\" is missing.")
        let extra = Verdict(isCorrect: false, firstError: 5, errorSpans: [],
                            edit: MinimalEdit(start: 5, end: 7, replacement: "", corrected: "1,2,3\n", distance: 2))
        #expect(extra.critique(of: "1,2,3,4\n") == "Wrong at character 5: \",4\" should be removed.")
        #expect(Verdict(isCorrect: false, firstError: 0, errorSpans: [], edit: nil).critique(of: "x") == "Wrong at character 0.")
    }

    @Test func critiqueRowsArePreferenceRowsWithTheVerifiersCritiques() {
        for name in CreditTaskName.allCases {
            let task = try! name.task(TaskKnobs())
            for i in 0 ..< 8 {
                let row = task.critiqueRow(seed: 3, index: i)
                let pair = task.row(kind: .preference, seed: 3, index: i)
                for key in ["prompt", "chosen", "rejected"] { #expect(row[key] as? String == pair[key] as? String, "\(name) \(i) \(key)") }
                #expect(row["chosen_critique"] as? String == "Correct.", "\(name) \(i)")
                let first = (pair["rejected_first_error_char"] as? Int).map { "Wrong at character \($0)" }
                #expect(first != nil && (row["rejected_critique"] as? String)?.hasPrefix(first!) == true, "\(name) \(i): \(row["rejected_critique"] ?? "")")
                #expect(task.critiqueRow(seed: 3, index: i)["rejected_critique"] as? String == row["rejected_critique"] as? String)
            }
        }
    }
}
