// CreditRNG draws from Support's SplitMix64; its streams must stay the numbers every committed
// CreditBench data set and result was drawn with. Expected values computed independently (Python,
// straight from the SplitMix64 definition: stream start = mix((seed ^ γ) + stream·0xBF58476D1CE4E5B9)).
import CreditBench
import Testing

@Suite struct CreditRNGTests {
    @Test func streamsMatchKnownAnswers() {
        var a = CreditRNG(seed: 0, stream: 0)
        #expect([a.next(), a.next(), a.next()] == [0xA706_DD2F_4D19_7E6F, 0xB382_A305_F441_4F5E, 0x631A_9154_FBAB_F717])
        var b = CreditRNG(seed: 7, stream: 3)
        #expect([b.next(), b.next(), b.next()] == [0x8088_BE09_A6C5_F7CF, 0xBB63_8F07_A9EB_1747, 0x65E9_5FEC_5976_310B])
    }
}
