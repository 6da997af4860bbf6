import ArgumentParser
import Foundation
import Testing
@testable import TokenAlignCLI

@Suite struct BenchCommandTests {
    @Test func benchSharedPrefixRefusesBadShapes() {
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["bench", "shared-prefix", "--copies", "1"]) }
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["bench", "shared-prefix", "--size", "huge"]) }
        #expect((try? TokenAlignCommand.parseAsRoot(["bench", "shared-prefix", "--size", "tiny", "--contexts", "2"])) != nil)
    }

    @Test func benchTrieRefusesBadShapes() {
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["bench", "trie", "--budget", "0"]) }
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["bench", "trie", "--size", "huge"]) }
        #expect((try? TokenAlignCommand.parseAsRoot(["bench", "trie", "--size", "tiny", "--children", "2"])) != nil)
    }

    @Test func parsesEveryBenchCase() throws {
        for args in [["bench", "matmul", "--size", "64", "128", "--json"], ["bench", "mlp-step", "--size", "tiny"],
                     ["bench", "attention-step", "--size", "tiny", "small", "--repeats", "5"], ["bench", "block-step"]] {
            _ = try TokenAlignCommand.parseAsRoot(args)
        }
    }

    @Test func rejectsBadOptionsWithAClearMessage() {
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["bench", "mlp-step", "--size", "huge"]) }
        #expect(throws: (any Error).self) { try TokenAlignCommand.parseAsRoot(["bench", "matmul", "--repeats", "2"]) }
        let message = TokenAlignCommand.message(for: ValidationError("x"))
        #expect(!message.isEmpty)
        do {
            _ = try TokenAlignCommand.parseAsRoot(["bench", "mlp-step", "--size", "huge"])
        } catch {
            #expect(TokenAlignCommand.message(for: error).contains("unknown size 'huge'"))
        }
    }

    @Test func stepRowFollowsTheBenchmarkSchema() throws {
        let options = try BenchOptions.parse(["--repeats", "5", "--warmup", "1"])
        let size = BenchSize(name: "test", layers: 1, dModel: 32, heads: 4, vocab: 64, context: 16)
        for part in [BlockPart.mlp, .attention, .block] {
            let row = blockStepRow(part: part, size: size, batch: 2, options: options)
            #expect(row["case"] as? String == "\(part.rawValue)-step")
            #expect(row["size"] as? String == "test")
            for key in ["ms_per_step", "median_ms_per_step", "tokens_per_s", "peak_rss_mib"] {
                let v = try #require(row[key] as? Double, "missing \(key)")
                #expect(v > 0)
            }
            #expect(row["buffer_allocations_per_step"] is Int)
            #expect(JSONSerialization.isValidJSONObject(row))
        }
    }

    @Test func sizesMatchTheSharedBaseline() {
        #expect(BenchSize.tiny == BenchSize(name: "tiny", layers: 4, dModel: 256, heads: 4, vocab: 4096, context: 128))
        #expect(BenchSize.small == BenchSize(name: "small", layers: 6, dModel: 384, heads: 6, vocab: 8192, context: 256))
        #expect(BenchSize.named("gpt2")?.vocab == 50257)
    }
}
