import Support
import Testing

private struct Entry: RegistryEntry {
    var card: MethodCard
    var value: Int
}

@Suite struct RegistryTests {
    @Test func lookupByNameAndAlias() throws {
        let r = Registry(family: "toy", [Entry(card: MethodCard(name: "a", aliases: ["alpha"], summary: "A"), value: 1),
                                         Entry(card: MethodCard(name: "b", summary: "B"), value: 2)])
        #expect(try r.entry(named: "a").value == 1)
        #expect(try r.entry(named: "alpha").value == 1)
        #expect(try r.entry(named: "b").value == 2)
        #expect(r.names == ["a", "b"])
    }

    @Test func unknownNameListsKnownOnes() {
        let r = Registry(family: "toy", [Entry(card: MethodCard(name: "a", summary: "A"), value: 1)])
        #expect(throws: RegistryError.unknown(family: "toy", name: "z", known: ["a"])) { try r.entry(named: "z") }
        #expect("\(RegistryError.unknown(family: "toy", name: "z", known: ["a"]))" == "unknown toy 'z'; expected one of a")
    }

    @Test func registerRejectsTakenNamesAndUnregisterRestores() throws {
        let r = Registry(family: "toy", [Entry(card: MethodCard(name: "a", aliases: ["x"], summary: "A"), value: 1)])
        #expect(throws: RegistryError.duplicate(family: "toy", name: "x")) {
            try r.register(Entry(card: MethodCard(name: "x", summary: "X"), value: 9))
        }
        try r.register(Entry(card: MethodCard(name: "c", summary: "C"), value: 3))
        #expect(r.names == ["a", "c"])
        r.unregister("a")
        #expect(r.names == ["c"])
        #expect(try r.entry(named: "c").value == 3)
        #expect(!r.contains("x"))
    }
}
