import Foundation
@testable import Support
import Testing

/// A configuration of six settings, worked by hand below.
private struct Toy: Codable, Equatable {
    enum Mode: String, Codable, CaseIterable, SettingChoice { case fast, slow }
    var learningRate: Float = 0.5
    var maxSteps: Int?
    var stop: [String] = []
    var tags: [String] = ["a"]
    var appendEos = true
    var mode: Mode = .fast

    init() {}
    init(from decoder: Decoder) throws {
        self.init()
        try Self.settings.decode(decoder, into: &self)
    }
    func encode(to encoder: Encoder) throws { try Self.settings.encode(self, to: encoder) }

    static var settings: SettingsTable<Toy> {
        SettingsTable([
            Setting("learning_rate", \.learningRate, "Step size.", rule: .positive, aliases: ["lr"]),
            Setting("max_steps", \.maxSteps, "Steps at most.", rule: .ifSet(.atLeast(1))),
            Setting("stop", \.stop, "Stop string (repeatable).", repeatable: true),
            Setting("tags", \.tags, "Comma-separated tags."),
            Setting("append_eos", \.appendEos, "Append EOS."),
            Setting("mode", \.mode, "How to run."),
        ])
    }
}

@Suite struct SettingsTableTests {
    @Test func keyFlagAndFieldAgree() {
        let t = Toy.settings
        #expect(t.audit(Toy()).isEmpty, "\(t.audit(Toy()))")
        #expect(t.entries.map(\.flag) == ["learning-rate", "max-steps", "stop", "tags", "append-eos", "mode"])
        #expect(t.entries.map(\.fieldName) == ["learningRate", "maxSteps", "stop", "tags", "appendEos", "mode"])
    }

    /// The audit names a field without a setting and a setting stored under another field's name.
    @Test func auditFindsMissingAndMisnamedFields() {
        let partial = SettingsTable<Toy>([Setting("learning_rate", \.maxSteps, "wrong field")])
        let problems = partial.audit(Toy())
        #expect(problems.contains("field 'stop' has no setting"))
        #expect(problems.contains { $0.contains("learning_rate") && $0.contains("maxSteps") })
    }

    /// Flags by hand: `--lr=0.25` (alias, inline value), `--max-steps 3`, `--stop` twice (each
    /// occurrence one element, commas kept), `--tags x,y` (one comma list), `--no-append-eos`, `--mode slow`.
    @Test func flagsSetEveryKindOfSetting() throws {
        var c = Toy()
        try Toy.settings.apply(flags: ["--lr=0.25", "--max-steps", "3", "--stop", "a,b", "--stop", "\n", "--tags", "x, y",
                                       "--no-append-eos", "--mode", "slow"], to: &c)
        var expected = Toy()
        expected.learningRate = 0.25
        expected.maxSteps = 3
        expected.stop = ["a,b", "\n"]
        expected.tags = ["x", "y"]
        expected.appendEos = false
        expected.mode = .slow
        #expect(c == expected)
        // A switch alone sets true; the last occurrence of a flag wins.
        try Toy.settings.apply(flags: ["--append-eos", "--max-steps", "4", "--max-steps", "5"], to: &c)
        #expect(c.appendEos && c.maxSteps == 5)
    }

    @Test func flagErrorsNameTheFlag() {
        var c = Toy()
        #expect(throws: SettingError.unknownFlag("--learning-rat", suggestion: "--learning-rate")) {
            try Toy.settings.apply(flags: ["--learning-rat", "1"], to: &c)
        }
        #expect(throws: SettingError.unknownFlag("--zzzzzzzzzz", suggestion: nil)) { try Toy.settings.apply(flags: ["--zzzzzzzzzz"], to: &c) }
        #expect(throws: SettingError.badFlagValue(flag: "--max-steps", value: "two", expected: "int")) {
            try Toy.settings.apply(flags: ["--max-steps", "two"], to: &c)
        }
        #expect(throws: SettingError.badFlagValue(flag: "--mode", value: "medium", expected: "fast|slow")) {
            try Toy.settings.apply(flags: ["--mode", "medium"], to: &c)
        }
        #expect(throws: SettingError.missingFlagValue(flag: "--mode", expected: "fast|slow")) { try Toy.settings.apply(flags: ["--mode"], to: &c) }
        #expect(throws: SettingError.unexpectedArgument("slow")) { try Toy.settings.apply(flags: ["slow"], to: &c) }
        #expect(c == Toy())
    }

    /// Decoding: every key optional, others keep their values; `null` unsets an optional; an unknown
    /// key names the nearest one.
    @Test func decodingIsPartialAndStrict() throws {
        let c = try JSONDecoder().decode(Toy.self, from: Data(#"{"max_steps": 9, "mode": "slow"}"#.utf8))
        var expected = Toy()
        expected.maxSteps = 9
        expected.mode = .slow
        #expect(c == expected)
        #expect(try JSONDecoder().decode(Toy.self, from: Data(#"{"max_steps": null}"#.utf8)).maxSteps == nil)
        #expect(throws: SettingError.unknownKey("max_step", suggestion: "max_steps")) {
            try JSONDecoder().decode(Toy.self, from: Data(#"{"max_step": 2}"#.utf8))
        }
    }

    /// Encoding writes every setting and leaves unset optionals out (the order of the table is what
    /// YAML keeps: the run-folder fixtures check it byte for byte).
    @Test func encodingLeavesUnsetOptionalsOut() throws {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        #expect(String(decoding: try e.encode(Toy()), as: UTF8.self)
            == #"{"append_eos":true,"learning_rate":0.5,"mode":"fast","stop":[],"tags":["a"]}"#)
        var c = Toy()
        c.maxSteps = 2
        #expect(String(decoding: try e.encode(c), as: UTF8.self).contains(#""learning_rate":0.5,"max_steps":2,"mode""#))
        #expect(try JSONDecoder().decode(Toy.self, from: e.encode(c)) == c)
    }

    /// Rules: the first failing setting, its value and requirement; `ifSet` passes unset optionals;
    /// `each` names the list element.
    @Test func validationNamesKeyValueAndRequirement() throws {
        var c = Toy()
        try Toy.settings.validate(c)
        c.maxSteps = 0
        #expect(throws: SettingError.invalid(key: "max_steps", value: "0", requirement: "an integer ≥ 1")) { try Toy.settings.validate(c) }
        c.learningRate = .nan
        #expect(throws: SettingError.invalid(key: "learning_rate", value: "nan", requirement: "a finite number > 0")) { try Toy.settings.validate(c) }
        let each = SettingRule<[Float]>.each(.finite)
        #expect(each.violation([1, 2, .infinity])?.suffix == "[2]")
        #expect(each.violation([1, 2]) == nil)
        #expect(SettingRule<Double>.fraction(below: 1).requirement == "a number in [0, 1)")
        #expect(SettingRule<Double>.fraction(below: 1).violation(0.5) == nil && SettingRule<Double>.fraction(below: 1).violation(1) != nil)
    }

    @Test func helpListsEveryFlagWithDocKeyAndDefault() {
        let h = Toy.settings.help(defaults: Toy())
        #expect(h.contains("--learning-rate <float> (also --lr)\n    Step size. [learning_rate; default 0.5; a finite number > 0]"))
        #expect(h.contains("--append-eos\n    Append EOS. [append_eos; default true]"))
        #expect(h.contains("--mode <fast|slow>"))
        #expect(h.contains("[max_steps; default none; an integer ≥ 1]"))
    }

    @Test func nearestNameIsWithinThreeEdits() {
        #expect(nearestName(to: "epoch", in: ["epochs", "seed"]) == "epochs")
        #expect(nearestName(to: "xyzxyzxyz", in: ["epochs", "seed"]) == nil)
    }
}
