import Support
import Testing

@Suite struct CommaListTests {
    @Test func stringsAreTrimmedAndEmptyRunsDropped() {
        #expect(CommaList.strings(" add, sort ,chain") == ["add", "sort", "chain"])
        #expect(CommaList.strings("a,,b") == ["a", "b"])
        #expect(CommaList.strings("") == [])
    }

    @Test func integersRefuseAnyNonInteger() {
        #expect(CommaList.integers("0, 1,2", as: UInt64.self) == [0, 1, 2])
        #expect(CommaList.integers("1,x", as: Int.self) == nil)
        #expect(CommaList.integers("-1", as: UInt64.self) == nil)
        #expect(CommaList.integers("", as: Int.self) == nil)
    }
}
