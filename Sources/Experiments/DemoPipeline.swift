// The shell every `tokenalign demo` pipeline shares: its settings are checked once, before anything
// is written, and then the pipeline runs into its folder reporting `DemoEvent`s. Each demo keeps its
// own stages; only this entry (check, then run) and the state every stage reads live here.
import Foundation

/// What every stage of a demo reads: the settings, the run folder and where progress goes.
///
/// Making one checks the settings (`DemoSettings.validate()`), so a pipeline that starts from a
/// context cannot start on settings nobody checked, and a refused run writes nothing.
public struct DemoContext<Settings: DemoSettings> {
    public let settings: Settings
    public let folder: URL
    public let log: (DemoEvent) -> Void

    /// - Throws: `DemoError.invalidSetting` naming the setting that breaks its rule.
    public init(settings: Settings, folder: URL, log: @escaping (DemoEvent) -> Void) throws(DemoError) {
        try settings.validate()
        self.settings = settings
        self.folder = folder
        self.log = log
    }
}

/// A demo: settings of one type in, one result out (the result is also written, with the report,
/// into the run folder).
public protocol DemoPipeline {
    associatedtype Settings: DemoSettings
    associatedtype Output
    /// The pipeline itself, on settings its context has checked.
    static func run(_ context: DemoContext<Settings>) throws -> Output
}

extension DemoPipeline {
    /// Checks `settings` and runs the pipeline into `folder` (what the demo replaces there, and what
    /// it writes, is the demo's own).
    /// - Throws: `DemoError.invalidSetting` naming the first setting that breaks its rule (before the
    ///   folder is touched), then whatever a stage throws.
    public static func run(_ settings: Settings, folder: URL, log: @escaping (DemoEvent) -> Void = { _ in }) throws -> Output {
        try run(DemoContext(settings: settings, folder: folder, log: log))
    }
}

/// A demo whose stages are methods of one object that carries the run's state between them (the
/// stage timer, learning curves, data counts): made from the checked context, then `run()`.
public protocol StagedDemo: DemoPipeline, AnyObject {
    var context: DemoContext<Settings> { get }
    init(_ context: DemoContext<Settings>) throws
    /// Every stage in order; writes the run folder's files and returns the result.
    func run() throws -> Output
}

extension StagedDemo {
    public static func run(_ context: DemoContext<Settings>) throws -> Output { try Self(context).run() }

    /// The demo on `settings`, checked first (another demo reuses some of this one's stages this way).
    init(settings: Settings, folder: URL, log: @escaping (DemoEvent) -> Void) throws {
        try self.init(DemoContext(settings: settings, folder: folder, log: log))
    }

    var settings: Settings { context.settings }
    var folder: URL { context.folder }
    var log: (DemoEvent) -> Void { context.log }

    /// A path inside the run folder.
    func url(_ path: String) -> URL { folder.appendingPathComponent(path) }
}
