// The validation rule of one declared setting: what the value must be, said in words (the error
// and `--help` quote it), and the check. Rules that relate several settings stay in the owning
// configuration's `validate()`, after the table's checks.

/// A requirement on one setting's value.
public struct SettingRule<Value> {
    /// The requirement in words ("an integer ≥ 1"), as the error prints it after "must be".
    public let requirement: String
    /// The failing part of a value: a suffix for the key (`[2]` for a list element) and the value
    /// as text, or nil when the value meets the requirement.
    let violation: (Value) -> (suffix: String, value: String)?

    /// A rule from a predicate on the whole value.
    public init(_ requirement: String, _ holds: @escaping (Value) -> Bool) {
        self.requirement = requirement
        violation = { holds($0) ? nil : ("", "\($0)") }
    }

    init(requirement: String, violation: @escaping (Value) -> (suffix: String, value: String)?) {
        self.requirement = requirement
        self.violation = violation
    }

    /// The rule applied when the optional setting is set; unset passes.
    public static func ifSet<W>(_ rule: SettingRule<W>) -> SettingRule<W?> where Value == W? {
        SettingRule<W?>(requirement: rule.requirement) { $0.flatMap(rule.violation) }
    }

    /// The rule applied to every element of a list; the error names the element (`key[i]`).
    public static func each<E>(_ rule: SettingRule<E>) -> SettingRule<[E]> where Value == [E] {
        SettingRule<[E]>(requirement: rule.requirement) { list in
            for (i, e) in list.enumerated() { if let v = rule.violation(e) { return ("[\(i)]" + v.suffix, v.value) } }
            return nil
        }
    }

    /// Both rules (the first failing one is reported).
    public func and(_ other: SettingRule<Value>) -> SettingRule<Value> {
        SettingRule(requirement: requirement + " and " + other.requirement) { self.violation($0) ?? other.violation($0) }
    }
}

extension SettingRule where Value: BinaryInteger {
    /// An integer ≥ `lower`.
    public static func atLeast(_ lower: Value) -> SettingRule { SettingRule("an integer ≥ \(lower)") { $0 >= lower } }
}

extension SettingRule where Value: BinaryFloatingPoint {
    /// A finite number > 0.
    public static var positive: SettingRule { SettingRule("a finite number > 0") { $0.isFinite && $0 > 0 } }
    /// A finite number ≥ 0.
    public static var nonNegative: SettingRule { SettingRule("a finite number ≥ 0") { $0.isFinite && $0 >= 0 } }
    /// Any finite number.
    public static var finite: SettingRule { SettingRule("a finite number") { $0.isFinite } }
    /// A number in [0, upper).
    public static func fraction(below upper: Value) -> SettingRule {
        SettingRule("a number in [0, \(upper == 1 ? "1" : "\(upper)"))") { $0.isFinite && $0 >= 0 && $0 < upper }
    }
    /// A number in [lower, upper].
    public static func within(_ lower: Value, _ upper: Value) -> SettingRule {
        SettingRule("a number in [\(lower), \(upper)]") { $0 >= lower && $0 <= upper }
    }
}

extension SettingRule where Value == String {
    /// One of the given names.
    public static func oneOf(_ names: [String]) -> SettingRule {
        SettingRule("one of \(names.joined(separator: ", "))") { names.contains($0) }
    }
}
