// One declared setting: its snake_case key (the YAML/JSON key and, in kebab case, the flag), its
// doc (the help text), its type, a key path into the configuration, and its validation rule. A
// configuration's `SettingsTable` lists each of its settings once; decoding, encoding, flags, help
// and validation are all derived from that list (docs/design/README.md, "Settings").

/// A setting of the configuration type `Root`, type-erased so one table holds them all.
public struct Setting<Root> {
    /// The snake_case key of settings files (`eval_steps`).
    public let key: String
    /// What the setting does; `--help` prints it.
    public let doc: String
    /// Other accepted flag spellings, without the dashes (older names of the flag).
    public let flagAliases: [String]
    /// False for settings the command fixes (files only, no flag).
    public let hasFlag: Bool
    /// Each occurrence of the flag adds one element (values may contain commas), instead of one
    /// comma-separated list.
    public let repeatable: Bool
    /// The field the key path names, as `\Root.field` prints.
    public let keyPathDescription: String
    /// The value's name in `--help`.
    public let valueName: String
    /// An on/off setting.
    public let isSwitch: Bool
    /// The rule's requirement, if the setting has one.
    public let requirement: String?

    let decode: (KeyedDecodingContainer<SettingKey>, inout Root) throws -> Void
    let encode: (Root, inout KeyedEncodingContainer<SettingKey>) throws -> Void
    /// Sets the field from the flag's texts (every occurrence, in order).
    let parse: ([String], String, inout Root) throws -> Void
    let text: (Root) -> String
    /// Copies the field from one value to another.
    let copy: (Root, inout Root) -> Void
    let violation: (Root) -> (suffix: String, value: String)?

    /// Declares a setting stored at `path`.
    /// - Parameters:
    ///   - key: the snake_case key; the flag is its kebab-case form and the field its camelCase form.
    ///   - rule: checked by `SettingsTable.validate` for files and flags alike.
    ///   - flag: false for a setting the command sets itself.
    ///   - aliases: older flag spellings still accepted.
    ///   - repeatable: for lists whose elements may contain commas (`--stop`, `--reward`).
    public init<Value: SettingValue>(_ key: String, _ path: WritableKeyPath<Root, Value>, _ doc: String, rule: SettingRule<Value>? = nil,
                                     flag: Bool = true, aliases: [String] = [], repeatable: Bool = false) {
        self.key = key
        self.doc = doc
        flagAliases = aliases
        hasFlag = flag
        self.repeatable = repeatable
        keyPathDescription = "\(path)"
        valueName = Value.settingValueName
        isSwitch = Value.isSwitch
        requirement = rule?.requirement
        decode = { c, root in
            let k = SettingKey(key)
            if c.contains(k) { root[keyPath: path] = try c.decode(Value.self, forKey: k) }
        }
        encode = { root, c in
            let v = root[keyPath: path]
            if let o = v as? any OptionalSetting, o.isUnset { return }
            try c.encode(v, forKey: SettingKey(key))
        }
        parse = { texts, flag, root in
            if repeatable {
                guard let list = Value.self as? any RepeatableList.Type, let v = list.fromElements(texts) as? Value else {
                    throw SettingError.badFlagValue(flag: flag, value: texts.joined(separator: " "), expected: Value.settingValueName)
                }
                root[keyPath: path] = v
            } else if let last = texts.last {  // the last occurrence wins, as for any option
                guard let v = Value(settingText: last) else {
                    throw SettingError.badFlagValue(flag: flag, value: last, expected: Value.settingValueName)
                }
                root[keyPath: path] = v
            }
        }
        text = { $0[keyPath: path].settingText }
        copy = { from, to in to[keyPath: path] = from[keyPath: path] }
        violation = { rule?.violation($0[keyPath: path]) }
    }

    /// The kebab-case flag, without the dashes.
    public var flag: String { Setting.kebab(key) }

    /// The camelCase field name the key maps to (`eval_steps` → `evalSteps`).
    public var fieldName: String {
        let parts = key.split(separator: "_")
        return parts.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
    }

    static func kebab(_ key: String) -> String { key.replacingOccurrences(of: "_", with: "-") }
}

/// Lists whose elements parse one by one.
protocol RepeatableList {
    static func fromElements(_ texts: [String]) -> Any?
}

extension Array: RepeatableList where Element: SettingValue {
    static func fromElements(_ texts: [String]) -> Any? {
        var out: [Element] = []
        for t in texts {
            guard let e = Element(settingText: t) else { return nil }
            out.append(e)
        }
        return out
    }
}

/// A settings-file key.
public struct SettingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ s: String) { stringValue = s }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
