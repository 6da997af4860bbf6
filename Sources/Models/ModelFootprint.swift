// Check before allocate: every size a configuration gives (config.json, GGUF metadata) is bounded
// and multiplied with overflow checks before anything is allocated, and the memory a model needs is
// compared with the machine's physical memory first. Without this a `config.json` of just
// `{"model_type": "llama"}` takes transformers' defaults and starts randomly initialising 6.7·10⁹
// parameters; a zero head count divides by zero; a huge vocabulary wraps an allocation size round.
import Foundation

/// Upper bounds on configuration sizes. Generous for real models (Llama 3 405B has hidden 16384,
/// 126 layers, 128 heads, vocabulary 128256) and far below any size whose products overflow.
public enum ModelLimits {
    public static let vocabulary = 1 << 22
    public static let hidden = 1 << 16
    public static let intermediate = 1 << 19
    public static let layers = 1024
    public static let heads = 1024
    public static let headDimension = 4096
    public static let positions = 1 << 24

    /// "field (value) must be in 1…max" or nil; `defaulted` says the value came from a default.
    static func check(_ field: String, _ value: Int, max: Int, defaulted: Bool = false) -> String? {
        guard value < 1 || value > max else { return nil }
        let origin = defaulted ? " (absent: the default)" : ""
        return "\(field) = \(value)\(origin) must be between 1 and \(max)"
    }

    /// "field value, …", with " (absent: default)" after each value the file did not set.
    static func summary(_ sizes: [(String, Int)], present: Set<String>?) -> String {
        sizes.map { field, value in
            "\(field) \(value)" + ((present.map { !$0.contains(field) } ?? false) ? " (absent: default)" : "")
        }.joined(separator: ", ")
    }
}

/// Parameter count and the bytes a model needs, computed from the configuration alone.
public struct ModelFootprint: Equatable, Sendable {
    /// Trainable parameters, counted from the configuration (norm weights and biases included).
    public var parameters: Int
    /// Float32 bytes of the parameters.
    public var parameterBytes: Int { parameters &* 4 }

    /// Sum of products with overflow checks; nil when any step overflows.
    static func total(_ terms: [[Int]]) -> Int? {
        var sum = 0
        for term in terms {
            var product = 1
            for f in term {
                let (p, o) = product.multipliedReportingOverflow(by: f)
                if o { return nil }
                product = p
            }
            let (s, o) = sum.addingReportingOverflow(product)
            if o { return nil }
            sum = s
        }
        return sum
    }
}

/// Whether loads may exceed physical memory: `--allow-large` sets it, as does the environment
/// variable `TOKENALIGN_ALLOW_LARGE=1`.
public enum ModelMemory {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var allowLargeFlag = false

    public static var allowLarge: Bool {
        get {
            lock.lock(); defer { lock.unlock() }
            return allowLargeFlag || ProcessInfo.processInfo.environment["TOKENALIGN_ALLOW_LARGE"] == "1"
        }
        set { lock.lock(); allowLargeFlag = newValue; lock.unlock() }
    }

    /// The machine's physical memory in bytes.
    public static var physical: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// Refuses a model whose `copies` Float32 copies of the parameters (the model, plus the loaded
    /// checkpoint tensors while they are assigned) exceed physical memory, with the estimate.
    static func check(_ footprint: ModelFootprint, copies: Int, path: String, sizes: String) throws {
        let (bytes, overflow) = footprint.parameterBytes.multipliedReportingOverflow(by: copies)
        let available = physical
        guard overflow || bytes > available else { return }
        if allowLarge && !overflow { return }
        let need = overflow ? "more than \(Int.max) bytes" : String(format: "%.1f GB", Double(bytes) / 1e9)
        throw ModelError.exceedsMemory(
            path: path,
            reason: "\(sizes) make \(footprint.parameters) parameters; loading needs about \(need) (\(copies) Float32 copies) but the machine has \(String(format: "%.1f GB", Double(available) / 1e9)) of physical memory (--allow-large or TOKENALIGN_ALLOW_LARGE=1 tries anyway)")
    }
}
