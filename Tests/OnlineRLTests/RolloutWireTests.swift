// The rollout blocks ranks exchange (RolloutSample+Wire.swift) round-trip bit for bit, and a block
// that disagrees with itself or with the run is an error naming what is wrong, never an index past
// a buffer (the `rollouts` fuzz target; its committed seeds replay in FuzzHarnessTests).
import Distributed
import Foundation
import Testing
@testable import OnlineRL

@Suite struct RolloutWireTests {
    static func sample(prompt: Int = 1, ids: [Int] = [4, 5, 6]) -> RolloutSample {
        var s = RolloutSample(promptIndex: prompt, group: 0, promptIDs: [1, 2], ids: ids, rolloutLogps: ids.map { -Float($0) / 10 },
                              entropies: ids.map { _ in 0.25 }, truncated: false, text: "héllo")
        s.rewards = ids.map { Float($0) }
        s.oldLogps = ids.map { _ in -1 }
        s.values = ids.map { _ in 0.5 }
        s.returns = ids.map { _ in 1 }
        s.rewardBaseline = 0.125
        return s
    }

    func decodeError(_ bytes: [UInt8], vocabularySize: Int = 16, promptCount: Int = 4) -> String? {
        do {
            _ = try RolloutSample.decodeBlock(bytes, vocabularySize: vocabularySize, promptCount: promptCount)
            return nil
        } catch { return "\(error)" }
    }

    @Test func blocksRoundTripExactly() throws {
        let samples = [Self.sample(), Self.sample(prompt: 3, ids: [7])]
        let bytes = RolloutSample.encodeBlock(samples, perFunction: ["b": [1, 2], "a": [-0.5, .leastNonzeroMagnitude]])
        let (back, functions) = try RolloutSample.decodeBlock(bytes, vocabularySize: 16, promptCount: 4)
        #expect(back.map(\.ids) == samples.map(\.ids) && back.map(\.rolloutLogps) == samples.map(\.rolloutLogps))
        #expect(back.map(\.text) == ["héllo", "héllo"] && back.map(\.rewardBaseline) == [0.125, 0.125])
        #expect(functions.map(\.0) == ["a", "b"] && functions[0].1 == [-0.5, .leastNonzeroMagnitude])
        let records = try RolloutWire.records(decoding: bytes, vocabularySize: 16, promptCount: 4)
        #expect(records.map(\.promptIndex) == [1, 3] && records[1].rewards == [7])
    }

    /// Each corruption is refused with its reason (a negative count used to trap in `0 ..< n`).
    @Test func corruptBlocksAreRefusedNamingTheProblem() throws {
        var negative = WireWriter()
        negative.int(-3)
        #expect(decodeError(negative.bytes)?.contains("claims -3 samples") == true)
        let good = RolloutSample.encodeBlock([Self.sample()], perFunction: [:])
        #expect(decodeError(Array(good.dropLast(3)))?.contains("ends early") == true)
        #expect(decodeError(good + [0])?.contains("bytes past its end") == true)
        #expect(decodeError(good, promptCount: 1)?.contains("prompt index 1 outside 0..<1") == true)
        #expect(decodeError(good, vocabularySize: 6)?.contains("completion token id 6 outside the vocabulary of 6") == true)
        var short = Self.sample()
        short.entropies = [0]
        #expect(decodeError(RolloutSample.encodeBlock([short], perFunction: [:]))?.contains("1 entropies for a 3-token completion") == true)
        var noPrompt = Self.sample()
        noPrompt.promptIDs = []
        #expect(decodeError(RolloutSample.encodeBlock([noPrompt], perFunction: [:]))?.contains("an empty prompt") == true)
        #expect(decodeError(RolloutSample.encodeBlock([Self.sample()], perFunction: ["f": [1, 2]]))?
            .contains("reward f from another rank: 2 values for 1 samples") == true)
    }
}
