// The creditbench reward rebuilds the task a prompt row names with the row's `task_knobs`, so a
// reversed-addition prompt is verified as reversed addition (before, the default task judged every
// reversed sum wrong), and `data make --kind prompts` writes the knobs.
import CreditBench
import Datasets
import Foundation
import OnlineRL
import Testing
import Tokenizers
import TestSupport

@Suite struct TaskKnobsRewardTests {
    func completion(_ row: [String: Any], _ text: String, _ tokenizer: Tokenizer) -> Completion {
        Completion(prompt: RLPrompt(location: RowLocation(file: "p.jsonl", line: 1), text: row["prompt"] as! String, ids: [1], columns: row),
                   ids: tokenizer.encode(text), text: text, finishReason: .stopToken)
    }

    @Test func reversedAdditionIsVerifiedWithItsKnobs() throws {
        let tokenizer = try Tokenizer(directory: try TestFiles.modelFolder())
        var knobs = TaskKnobs()
        knobs.digits = 2
        knobs.reversed = true
        let task = try CreditTaskName.add.task(knobs)
        let e = task.example(seed: 4, index: 0)
        // Written and read back as JSON, as the reward sees rows.
        let path = try TestFiles.writeRows([["prompt": e.prompt, "task": "add", "task_knobs": knobs.columns]])
        let row = try JSONLReader.read(path)[0].object
        let reward = try RewardFunctions.make("creditbench", context: RewardContext(tokenizer: tokenizer, maxNewTokens: 8, vocabularySize: 512))
        #expect(try reward.tokenRewards([completion(row, e.completion, tokenizer)])[0].last == 1)
        let wrong = task.injectedError(for: e, seed: 4, index: 0).response
        #expect(try reward.tokenRewards([completion(row, wrong, tokenizer)])[0].last == 0)
        // Knobs round-trip through the column.
        #expect(try TaskKnobs(columns: row["task_knobs"] as! [String: Any]) == knobs)
        // Bad columns name the key.
        for (bad, key) in [(["digit": 2], "digit"), (["digits": "2"], "digits"), (["reversed": 1], "reversed"), (["digits": 2.5], "digits")] as [([String: Any], String)] {
            #expect { try TaskKnobs(columns: bad) } throws: { "\($0)".contains(key) }
        }
        var bad = row
        bad["task_knobs"] = ["digits": 99]
        #expect { try reward.tokenRewards([completion(bad, e.completion, tokenizer)]) } throws: { "\($0)".contains("p.jsonl:1") }
    }
}
