// A configuration's settings, each declared once (`Setting`), and everything derived from the
// list: decoding a YAML/JSON mapping (every key optional, an unknown key an error naming the
// nearest one), encoding in table order (unset optionals left out), the `--kebab-case` flags
// merged over the file's values, the help text, and the per-setting validation.

/// The ordered settings of `Root`.
public struct SettingsTable<Root> {
    public let entries: [Setting<Root>]

    public init(_ entries: [Setting<Root>]) {
        self.entries = entries
        var seen = Set<String>()
        for e in entries {
            precondition(seen.insert(e.key).inserted, "setting '\(e.key)' is declared twice")
        }
    }

    /// Every key, in declaration order.
    public var keys: [String] { entries.map(\.key) }

    /// The entry for a key.
    public func entry(key: String) -> Setting<Root>? { entries.first { $0.key == key } }

    // MARK: Files

    /// Sets the fields of `root` whose keys the decoder's mapping has; the others keep their values.
    /// - Throws: `SettingError.unknownKey` for a key that is not a setting (with the nearest key),
    ///   and the decoder's own errors for a value of the wrong type.
    public func decode(_ decoder: Decoder, into root: inout Root) throws {
        let c = try decoder.container(keyedBy: SettingKey.self)
        let known = Set(keys)
        for k in c.allKeys where !known.contains(k.stringValue) {
            throw SettingError.unknownKey(k.stringValue, suggestion: nearestName(to: k.stringValue, in: keys))
        }
        for e in entries { try e.decode(c, &root) }
    }

    /// Writes every setting in declaration order; unset optionals are left out.
    public func encode(_ root: Root, to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: SettingKey.self)
        for e in entries { try e.encode(root, &c) }
    }

    /// Copies the settings named by `keys` from `file` onto `root`: a settings file decoded on its
    /// own, laid over a command's own defaults.
    public func overlay(_ file: Root, keys: [String], on root: inout Root) {
        let given = Set(keys)
        for e in entries where given.contains(e.key) { e.copy(file, &root) }
    }

    // MARK: Flags

    /// Every accepted flag spelling (without dashes) and its entry.
    func flagIndex() -> [String: Int] {
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() where e.hasFlag {
            index[e.flag] = i
            for a in e.flagAliases { index[a] = i }
        }
        return index
    }

    /// Applies `--flag value` pairs (also `--flag=value`; switches alone or as `--no-flag`) to
    /// `root`, over whatever a file or the defaults set.
    /// - Throws: `SettingError` naming the flag: unknown (with the nearest flag), missing or bad value.
    public func apply(flags arguments: [String], to root: inout Root) throws {
        let index = flagIndex()
        var texts = [[String]](repeating: [], count: entries.count)
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            guard arg.hasPrefix("--"), arg.count > 2 else { throw SettingError.unexpectedArgument(arg) }
            var name = String(arg.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if let k = index[name] {
                let e = entries[k]
                if e.isSwitch {
                    texts[k].append(inline ?? "true")
                } else if let inline {
                    texts[k].append(inline)
                } else {
                    guard i < arguments.count else { throw SettingError.missingFlagValue(flag: "--" + name, expected: e.valueName) }
                    texts[k].append(arguments[i])
                    i += 1
                }
            } else if name.hasPrefix("no-"), let k = index[String(name.dropFirst(3))], entries[k].isSwitch, inline == nil {
                texts[k].append("false")
            } else {
                let spellings = Array(index.keys).sorted() + entries.filter { $0.hasFlag && $0.isSwitch }.map { "no-" + $0.flag }
                throw SettingError.unknownFlag("--" + name, suggestion: nearestName(to: name, in: spellings).map { "--" + $0 })
            }
        }
        for (k, t) in texts.enumerated() where !t.isEmpty { try entries[k].parse(t, "--" + entries[k].flag, &root) }
    }

    // MARK: Help and validation

    /// One block per flag: `--flag <type>`, the doc, the key, the default and the requirement.
    public func help(defaults: Root) -> String {
        entries.filter(\.hasFlag).map { e in
            let value = e.isSwitch ? "" : " <\(e.valueName)>"
            let aliases = e.flagAliases.isEmpty ? "" : " (also " + e.flagAliases.map { "--" + $0 }.joined(separator: ", ") + ")"
            let current = e.text(defaults)
            var line = "--\(e.flag)\(value)\(aliases)\n    \(e.doc) [\(e.key); default \(current.isEmpty ? "\"\"" : current)"
            if let r = e.requirement { line += "; \(r)" }
            return line + "]"
        }.joined(separator: "\n")
    }

    /// The first setting whose value breaks its rule.
    public func validate(_ root: Root) throws {
        for e in entries {
            if let v = e.violation(root), let r = e.requirement {
                throw SettingError.invalid(key: e.key + v.suffix, value: v.value, requirement: r)
            }
        }
    }

    /// Where the table and the fields of `value` disagree: a stored field without a setting, a
    /// setting without the field its key names, a setting whose key path is another field. Empty
    /// when every field is declared once under its key's camelCase name (a test checks each table).
    public func audit(_ value: Root) -> [String] {
        let fields = Mirror(reflecting: value).children.compactMap(\.label)
        let named = Set(entries.map(\.fieldName))
        var problems = fields.filter { !named.contains($0) }.map { "field '\($0)' has no setting" }
        for e in entries {
            if !fields.contains(e.fieldName) { problems.append("setting '\(e.key)': no field '\(e.fieldName)'") }
            if !e.keyPathDescription.hasSuffix("." + e.fieldName) {
                problems.append("setting '\(e.key)' is stored in \(e.keyPathDescription), not .\(e.fieldName)")
            }
        }
        return problems
    }

    /// The setting's value as help prints it.
    public func text(of key: String, in root: Root) -> String? { entry(key: key)?.text(root) }
}

/// The keys a settings mapping sets (decode it with any `Decoder`, e.g. from YAML).
public struct SettingKeysPresent: Decodable {
    public let keys: [String]
    public init(from decoder: Decoder) throws {
        keys = try decoder.container(keyedBy: SettingKey.self).allKeys.map(\.stringValue)
    }
}
