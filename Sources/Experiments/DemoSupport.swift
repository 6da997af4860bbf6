// What both demo pipelines share: settings files that override a preset, stage timing, and
// writing JSON results atomically.
import Evaluation
import Foundation
import Support

/// Settings that a YAML/JSON mapping can override key by key (`--config`), each declared once in
/// a `SettingsTable`.
///
/// The table is the only declaration of the keys: `settings.json` is read and written through it
/// (the defaults below), so a conforming struct declares its fields, its defaults (`init()`) and
/// its table, and nothing else.
public protocol DemoSettings: Codable {
    /// The built-in defaults, which a settings file's keys then override.
    init()
    /// The declared settings: keys (the `settings.json` names), docs, fields, rules.
    static var settings: SettingsTable<Self> { get }
    /// Each setting's rule (`settings`), then the rules that relate settings; what a demo checks
    /// before it writes anything (`DemoContext`).
    func validate() throws(DemoError)
}

extension DemoSettings {
    /// Every settings key (the `settings.json` names).
    public static var keys: [String] { settings.keys }

    /// The defaults with the file's keys replaced (a missing key keeps its default).
    public init(from decoder: Decoder) throws {
        self.init()
        try Self.settings.decode(decoder, into: &self)
    }

    /// Every declared key, under its `settings.json` name.
    public func encode(to encoder: Encoder) throws { try Self.settings.encode(self, to: encoder) }
}

extension SettingsTable {
    /// `validate` with the demos' error: "key must be …, got value".
    func validateForDemo(_ root: Root) throws(DemoError) {
        do { try validate(root) } catch let SettingError.invalid(key, value, requirement) {
            throw .invalidSetting("\(key) must be \(requirement), got \(value)")
        } catch {
            throw .invalidSetting("\(error)")
        }
    }
}

extension DemoSettings {
    /// These settings with the keys of `overrides` (a parsed YAML or JSON mapping) replaced.
    /// - Throws: `DemoError.invalidSetting` naming an unknown key or a value of the wrong type.
    public func overriding(with overrides: [String: Any], source: String) throws(DemoError) -> Self {
        let known = Set(Self.keys)
        for k in overrides.keys.sorted() where !known.contains(k) {
            throw .invalidSetting("\(source): unknown setting '\(k)' (known: \(Self.keys.sorted().joined(separator: ", ")))")
        }
        do {
            let base = try JSONValue(encoding: self).foundationObject as? [String: Any] ?? [:]
            let merged = base.merging(overrides) { _, new in new }
            return try JSONValue(foundation: merged).decoded(as: Self.self)
        } catch {
            throw .invalidSetting("\(source): \(error)")
        }
    }
}

/// Times the stages of a pipeline and reports each start.
struct StageTimer {
    private(set) var stages: [StageTime] = []
    private var current: (name: String, start: ContinuousClock.Instant)?

    /// Ends the running stage (if any) and starts `name`.
    mutating func begin(_ name: String, log: (DemoEvent) -> Void) {
        finish()
        current = (name, .now)
        log(.stage(name))
    }

    mutating func finish() {
        if let c = current { stages.append(StageTime(stage: c.name, seconds: Self.seconds(since: c.start))) }
        current = nil
    }

    static func seconds(since t: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - t
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

/// Replaces a demo's own subfolders (`data`, `models`, `runs`) of `folder` with empty ones; other
/// files in the folder are left alone.
func prepareRunFolder(_ folder: URL) throws {
    let fm = FileManager.default
    for sub in ["data", "models", "runs"] {
        let u = folder.appendingPathComponent(sub)
        try? fm.removeItem(at: u)
        do { try fm.createDirectory(at: u, withIntermediateDirectories: true) } catch {
            throw DemoError.cannotWrite(path: u.path, reason: "\(error)")
        }
    }
}

/// Pretty-printed, key-sorted JSON written atomically (NaN and infinities as strings): every run's
/// results.json, and what `tokenalign eval overoptimisation` and `report overoptimisation` write.
public func writeJSON<T: Encodable>(_ value: T, to u: URL) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    do { try enc.encode(value).write(to: u, options: .atomic) } catch { throw DemoError.cannotWrite(path: u.path, reason: "\(error)") }
}

/// Reads what `writeJSON` wrote (non-finite numbers as "inf", "-inf", "nan").
public func readJSON<T: Decodable>(_ type: T.Type, from u: URL) throws -> T {
    let data: Data
    do { data = try Data(contentsOf: u) } catch { throw DemoError.invalidSetting("\(u.path): cannot read (\(error.localizedDescription))") }
    let dec = JSONDecoder()
    dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    do { return try dec.decode(T.self, from: data) } catch { throw DemoError.invalidSetting("\(u.path): not a \(T.self) file (\(error))") }
}

extension SentimentDemoResult {
    /// A run's `results.json`.
    public static func load(from url: URL) throws -> SentimentDemoResult { try readJSON(SentimentDemoResult.self, from: url) }
}

extension Estimate {
    /// "value [low, high]" with `digits` decimals, or "–" when there is nothing to show.
    public func interval(digits: Int = 3) -> String {
        guard count > 0, value.isFinite else { return "–" }
        let f = "%.\(digits)f"
        return String(format: "\(f) [\(f), \(f)]", value, low, high)
    }
}
