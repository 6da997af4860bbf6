import Foundation
import Support
import Testing

@Suite struct SplitMix64Tests {
    /// The first outputs of the reference C implementation (`splitmix64.c`, Vigna) started at x = 0.
    @Test func knownAnswersFromSeedZero() {
        var g = SplitMix64(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
        #expect(g.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(g.next() == 0x06C4_5D18_8009_454F)
        #expect(g.state == 3 &* SplitMix64.golden)
    }

    /// `mix` is the finaliser alone: mix(γ) is the first output from seed 0.
    @Test func mixIsTheFinaliser() {
        #expect(SplitMix64.mix(SplitMix64.golden) == 0xE220_A839_7B1D_CDAF)
        #expect(SplitMix64.mix(0) == 0)
    }

    /// A saved state resumes the same stream; the Codable layout is `{"state": n}`.
    @Test func codableRoundTripResumesTheStream() throws {
        var a = SplitMix64(seed: 42)
        _ = a.next()
        let data = try JSONEncoder().encode(a)
        #expect(String(decoding: data, as: UTF8.self) == "{\"state\":\(a.state)}")
        var b = try JSONDecoder().decode(SplitMix64.self, from: data)
        #expect(b == a)
        #expect(a.next() == b.next())
    }
}
