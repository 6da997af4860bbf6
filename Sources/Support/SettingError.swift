// What a settings table reports: an unknown key or flag (with the nearest known name), a flag
// value that does not parse, a value that breaks its setting's rule. Each configuration maps these
// to its own error type (the training errors carry the file and line).

/// An error from a `SettingsTable`.
public enum SettingError: Error, Equatable, CustomStringConvertible {
    /// A settings-file key that is not a setting.
    case unknownKey(String, suggestion: String?)
    /// A `--flag` that is not a setting of the command.
    case unknownFlag(String, suggestion: String?)
    /// A flag whose text is not a value of the setting's type.
    case badFlagValue(flag: String, value: String, expected: String)
    /// A flag given without its value.
    case missingFlagValue(flag: String, expected: String)
    /// Text that is not a `--flag` where one was expected.
    case unexpectedArgument(String)
    /// A value that breaks the setting's rule: the key (with `[i]` for a list element), the value, the requirement.
    case invalid(key: String, value: String, requirement: String)

    public var description: String {
        switch self {
        case .unknownKey(let k, let s): "unknown setting '\(k)'" + (s.map { " (did you mean '\($0)'?)" } ?? "")
        case .unknownFlag(let f, let s): "unknown option '\(f)'" + (s.map { " (did you mean '\($0)'?)" } ?? "")
        case .badFlagValue(let f, let v, let e): "\(f): '\(v)' is not a valid value (expected \(e))"
        case .missingFlagValue(let f, let e): "\(f): missing value (expected \(e))"
        case .unexpectedArgument(let a): "unexpected argument '\(a)' (settings are given as --name value)"
        case .invalid(let k, let v, let r): "invalid setting \(k) = \(v): must be \(r)"
        }
    }
}

/// The name of `names` closest to `name` by edit distance (at most `maxDistance` edits), for
/// "did you mean" in errors.
public func nearestName(to name: String, in names: [String], maxDistance: Int = 3) -> String? {
    let a = Array(name.lowercased().prefix(64))
    var best: (String, Int)?
    for n in names {
        let b = Array(n)
        var row = Array(0 ... b.count)
        for i in 0 ..< a.count {
            var previous = row[0]
            row[0] = i + 1
            for j in 0 ..< b.count {
                let current = row[j + 1]
                row[j + 1] = min(row[j + 1] + 1, row[j] + 1, previous + (a[i] == b[j] ? 0 : 1))
                previous = current
            }
        }
        if row[b.count] < (best?.1 ?? Int.max) { best = (n, row[b.count]) }
    }
    return best.flatMap { $0.1 <= maxDistance ? $0.0 : nil }
}
