// The value types a declared setting may have (`Setting`, `SettingsTable`): each decodes from a
// YAML/JSON settings file through Codable and parses from a command-line flag's text, so that one
// declaration gives both.

/// A type a setting can hold.
public protocol SettingValue: Codable {
    /// Parses the text of a flag (`--beta 0.1` gives "0.1"); nil when it is not a value of the type.
    init?(settingText: String)
    /// How `--help` names the value: `int`, `float`, `string`, a list of choices.
    static var settingValueName: String { get }
    /// The value as `--help` prints a default.
    var settingText: String { get }
    /// True for on/off settings: the flag alone (`--truncate`) sets true, `--no-…` sets false.
    static var isSwitch: Bool { get }
}

extension SettingValue {
    public static var isSwitch: Bool { false }
    public var settingText: String { "\(self)" }
}

extension String: SettingValue {
    public init?(settingText: String) { self = settingText }
    public static var settingValueName: String { "string" }
}

extension Int: SettingValue {
    public init?(settingText: String) { self.init(settingText.trimmingWhitespace) }
    public static var settingValueName: String { "int" }
}

extension UInt64: SettingValue {
    public init?(settingText: String) { self.init(settingText.trimmingWhitespace) }
    public static var settingValueName: String { "uint" }
}

extension Float: SettingValue {
    public init?(settingText: String) { self.init(settingText.trimmingWhitespace) }
    public static var settingValueName: String { "float" }
}

extension Double: SettingValue {
    public init?(settingText: String) { self.init(settingText.trimmingWhitespace) }
    public static var settingValueName: String { "float" }
}

extension Bool: SettingValue {
    public init?(settingText: String) {
        switch settingText.trimmingWhitespace.lowercased() {
        case "true", "yes", "1": self = true
        case "false", "no", "0": self = false
        default: return nil
        }
    }
    public static var settingValueName: String { "bool" }
    public static var isSwitch: Bool { true }
}

/// An optional setting: unset (nil) unless a file or a flag gives a value; a file's `null` unsets it.
extension Optional: SettingValue where Wrapped: SettingValue {
    public init?(settingText: String) {
        guard let w = Wrapped(settingText: settingText) else { return nil }
        self = .some(w)
    }
    public static var settingValueName: String { Wrapped.settingValueName }
    public var settingText: String { map(\.settingText) ?? "none" }
    public static var isSwitch: Bool { Wrapped.isSwitch }
}

/// A list: a flag gives it comma-separated, or once per occurrence for `repeatable` settings.
extension Array: SettingValue where Element: SettingValue {
    public init?(settingText: String) {
        var out: [Element] = []
        for part in settingText.split(separator: ",", omittingEmptySubsequences: false) {
            guard let e = Element(settingText: String(part).trimmingWhitespace) else { return nil }
            out.append(e)
        }
        self = out
    }
    public static var settingValueName: String { Element.settingValueName + ",…" }
    public var settingText: String { isEmpty ? "none" : map(\.settingText).joined(separator: ",") }
}

/// A setting whose values are named choices (a String-backed enum): help lists them.
public protocol SettingChoice: SettingValue, RawRepresentable, CaseIterable where RawValue == String {}

extension SettingChoice {
    public init?(settingText: String) { self.init(rawValue: settingText.trimmingWhitespace) }
    public static var settingValueName: String { allCases.map(\.rawValue).joined(separator: "|") }
    public var settingText: String { rawValue }
}

/// An optional element for `SettingsTable`'s encoding, which leaves unset optionals out of the file.
protocol OptionalSetting {
    var isUnset: Bool { get }
}

extension Optional: OptionalSetting {
    var isUnset: Bool { self == nil }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
