// The one shape every method family registers into: preference objectives, advantage estimators,
// policy losses, decoding guides, searchers, reward-model kinds. The CLI's name parsing, `--help`,
// `tokenalign methods`, the demos' method lists and the test catalogues all read a registry, so a
// new method is one file, one registration and its tests (docs/design/README.md, "The seam").
import Foundation

/// What every registered method declares, whatever its family.
public struct MethodCard: Sendable, Equatable, Codable {
    /// The canonical name: TRL's spelling where TRL has the method, lowercase-hyphen otherwise.
    public var name: String
    /// Other spellings accepted on the command line (older names, verl's or OpenRLHF's names).
    public var aliases: [String]
    /// One line for `--help` and the methods table.
    public var summary: String
    /// arXiv ids of the papers that define the method ("2305.18290"); empty for plain utilities.
    public var arxiv: [String]
    /// What it reads beyond the policy's own log-probabilities (reference logits, token rewards,
    /// values, group ids, an auxiliary model…), in words.
    public var inputs: [String]
    /// Its defaults, by setting key (snake_case, as in a run's `config.yaml`), as text.
    public var defaults: [String: String]

    public init(name: String, aliases: [String] = [], summary: String, arxiv: [String] = [], inputs: [String] = [],
                defaults: [String: String] = [:]) {
        self.name = name
        self.aliases = aliases
        self.summary = summary
        self.arxiv = arxiv
        self.inputs = inputs
        self.defaults = defaults
    }

    /// Every name this entry answers to.
    public var allNames: [String] { [name] + aliases }
}

/// An entry of a registry: a card plus whatever the family needs to build the method.
public protocol RegistryEntry: Sendable {
    var card: MethodCard { get }
}

/// An entry that is a card and a factory from the family's settings, nothing more: the shape of
/// the advantage-estimator and policy-loss families (`AdvantageEstimatorEntry`, `PolicyLossEntry`).
public struct FactoryEntry<Settings, Product>: RegistryEntry {
    public let card: MethodCard
    public let make: @Sendable (Settings) throws -> Product

    public init(card: MethodCard, make: @escaping @Sendable (Settings) throws -> Product) {
        self.card = card
        self.make = make
    }
}

/// A name that no entry of a family answers to, or a second entry that takes a used name.
public enum RegistryError: Error, Equatable, CustomStringConvertible {
    case unknown(family: String, name: String, known: [String])
    case duplicate(family: String, name: String)

    public var description: String {
        switch self {
        case let .unknown(family, name, known):
            "unknown \(family) '\(name)'; expected one of \(known.joined(separator: ", "))"
        case let .duplicate(family, name):
            "\(family) '\(name)' is registered twice"
        }
    }
}

/// A family's entries, in registration order. Built-in entries are given at creation; tests and
/// extensions add more with `register`. Thread-safe: lookups and registrations may come from any
/// thread.
public final class Registry<Entry: RegistryEntry>: @unchecked Sendable {
    /// The family's name as users read it ("preference objective", "advantage estimator").
    public let family: String
    private var storage: [Entry]
    private var index: [String: Int]
    private let lock = NSLock()

    /// - Precondition: names and aliases are unique (a programming error in the built-in list).
    public init(family: String, _ entries: [Entry]) {
        self.family = family
        storage = []
        index = [:]
        for e in entries {
            do { try insert(e) } catch { preconditionFailure("\(error)") }
        }
    }

    private func insert(_ e: Entry) throws {
        for n in e.card.allNames where index[n] != nil { throw RegistryError.duplicate(family: family, name: n) }
        for n in e.card.allNames { index[n] = storage.count }
        storage.append(e)
    }

    /// Adds an entry; throws if one of its names is taken.
    public func register(_ e: Entry) throws {
        lock.lock(); defer { lock.unlock() }
        try insert(e)
    }

    /// Removes the entry answering to `name` (tests that register throw-away methods clean up).
    public func unregister(_ name: String) {
        lock.lock(); defer { lock.unlock() }
        guard let i = index[name] else { return }
        storage.remove(at: i)
        index = [:]
        for (k, e) in storage.enumerated() { for n in e.card.allNames { index[n] = k } }
    }

    /// Every entry, in registration order.
    public var entries: [Entry] {
        lock.lock(); defer { lock.unlock() }
        return storage
    }

    /// The canonical names, in registration order.
    public var names: [String] { entries.map(\.card.name) }

    /// The entry for a canonical name or an alias.
    public func entry(named name: String) throws -> Entry {
        lock.lock(); defer { lock.unlock() }
        guard let i = index[name] else {
            throw RegistryError.unknown(family: family, name: name, known: storage.map(\.card.name))
        }
        return storage[i]
    }

    /// True if some entry answers to `name`.
    public func contains(_ name: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return index[name] != nil
    }
}
