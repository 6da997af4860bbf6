// Checkpoints split over several safetensors files ("shards").
//
// Hugging Face writes models above a size limit as `model-00001-of-0000N.safetensors` … plus
// `model.safetensors.index.json`:
//     {"metadata": {"total_size": 12345}, "weight_map": {"tensor name": "shard file name", …}}
// The index is what says which shard holds which tensor; each shard is an ordinary safetensors file.
import Foundation
import Support
import TensorCore

/// How the safetensors weights of a model folder are laid out, as found by
/// `ShardedSafeTensors.locate(in:)`.
public enum SafeTensorsLayout: Sendable, Equatable {
    /// One `model.safetensors`.
    case single(URL)
    /// An index (`model.safetensors.index.json` or another `*.safetensors.index.json`) naming shards.
    case indexed(URL)
    /// No index: every `*.safetensors` file in the folder, sorted by name.
    case shards([URL])
}

/// The tensors of a checkpoint spread over one or more safetensors files, addressed by name as if
/// they were one file.
///
/// Each shard is opened (mapped and validated) once, when the checkpoint is opened; tensors are
/// converted when asked for, as with `SafeTensorsFile`. A tensor name must belong to exactly one
/// shard: the index may not send a tensor to a shard that lacks it, and no two shards may hold the
/// same name (which copy would be meant is ambiguous, and silently picking one hides a broken
/// export). Tensors a shard holds but the index does not list are still served: the shard's own
/// header is authoritative for what it contains, and Hugging Face's loaders read every tensor of
/// every shard too.
///
/// ```swift
/// let checkpoint = try ShardedSafeTensors(folder: modelFolder)
/// let embedding = try checkpoint.tensor("model.embed_tokens.weight")
/// ```
public struct ShardedSafeTensors: Sendable {
    /// The index file, when the checkpoint has one.
    public let indexURL: URL?
    /// The shards, sorted by file name.
    public let shards: [SafeTensorsFile]
    /// The index's `metadata` (e.g. `total_size`), scalars as text; empty without an index.
    public let metadata: [String: String]
    /// The names of all tensors, sorted.
    public let tensorNames: [String]

    /// Tensor name → index into `shards`.
    private let location: [String: Int]

    /// Opens the checkpoint described by the index at `indexURL`; shard file names are resolved
    /// relative to the index's folder.
    public init(indexURL: URL) throws(CheckpointError) {
        let indexPath = indexURL.path(percentEncoded: false)
        let index = try Self.parseIndex(at: indexURL)
        let folder = indexURL.deletingLastPathComponent()
        let shardNames = Set(index.weightMap.values).sorted()
        var shards: [SafeTensorsFile] = []
        for name in shardNames {
            let url = folder.appendingPathComponent(name, isDirectory: false)
            guard FileManager.default.fileExists(atPath: url.path(percentEncoded: false)) else {
                throw .missingShard(path: indexPath, shard: name)
            }
            shards.append(try SafeTensorsFile(url: url))
        }
        let location = try Self.locateTensors(in: shards, names: shardNames, reportingAs: indexPath)
        for (tensor, shard) in index.weightMap.sorted(by: { $0.key < $1.key }) {
            guard let found = location[tensor], shardNames[found] == shard else {
                throw .tensorMissingFromShard(path: indexPath, tensor: tensor, shard: shard)
            }
        }
        self.indexURL = indexURL
        self.shards = shards
        self.metadata = index.metadata
        self.location = location
        self.tensorNames = location.keys.sorted()
    }

    /// Opens `urls` as the shards of one checkpoint without an index (each tensor must be in exactly
    /// one of them).
    public init(shards urls: [URL]) throws(CheckpointError) {
        let sorted = urls.sorted { $0.lastPathComponent < $1.lastPathComponent }
        var shards: [SafeTensorsFile] = []
        for url in sorted { shards.append(try SafeTensorsFile(url: url)) }
        let reportedAs = sorted.first?.deletingLastPathComponent().path(percentEncoded: false) ?? ""
        let location = try Self.locateTensors(in: shards, names: sorted.map(\.lastPathComponent), reportingAs: reportedAs)
        self.indexURL = nil
        self.shards = shards
        self.metadata = [:]
        self.location = location
        self.tensorNames = location.keys.sorted()
    }

    /// Opens the safetensors checkpoint in `folder`, found as `locate(in:)` describes.
    public init(folder: URL) throws(CheckpointError) {
        switch try Self.locate(in: folder) {
        case .single(let url): try self.init(shards: [url])
        case .indexed(let url): try self.init(indexURL: url)
        case .shards(let urls): try self.init(shards: urls)
        }
    }

    /// Finds the safetensors weights in a model folder. In order of preference:
    /// 1. `model.safetensors`: the unsharded file. Hugging Face's loaders check for it before the
    ///    index, so a folder that has both (a re-export next to a stale index) loads the same here;
    /// 2. `model.safetensors.index.json`, then any single other `*.safetensors.index.json` (diffusers
    ///    and some exporters use another prefix): the index is the only record of which shard holds
    ///    which tensor;
    /// 3. every `*.safetensors` (sorted, hidden files skipped), for folders copied without their
    ///    index: shards are disjoint by construction, so their union is the checkpoint, and the
    ///    duplicate check still catches two unrelated checkpoints in one folder.
    ///
    /// - Throws: `cannotOpen` if `folder` cannot be listed, `noCheckpointFound` if it has none of these.
    public static func locate(in folder: URL) throws(CheckpointError) -> SafeTensorsLayout {
        let folderPath = folder.path(percentEncoded: false)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folderPath).sorted()
        } catch {
            throw .cannotOpen(path: folderPath, reason: "cannot list the folder: \(error.localizedDescription)")
        }
        func isFile(_ name: String) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path(percentEncoded: false),
                                                  isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let visible = names.filter { !$0.hasPrefix(".") && isFile($0) }
        if visible.contains("model.safetensors") { return .single(folder.appendingPathComponent("model.safetensors")) }
        if visible.contains("model.safetensors.index.json") {
            return .indexed(folder.appendingPathComponent("model.safetensors.index.json"))
        }
        let indexes = visible.filter { $0.hasSuffix(".safetensors.index.json") }
        if indexes.count == 1 { return .indexed(folder.appendingPathComponent(indexes[0])) }
        let files = visible.filter { $0.hasSuffix(".safetensors") }
        guard !files.isEmpty else { throw .noCheckpointFound(path: folderPath) }
        return .shards(files.map { folder.appendingPathComponent($0) })
    }

    /// The dtype, shape and byte range of tensor `name` within its shard, or nil.
    public func info(_ name: String) -> TensorInfo? { location[name].flatMap { shards[$0].info(name) } }

    /// The shard holding tensor `name`, or nil.
    public func shard(containing name: String) -> SafeTensorsFile? { location[name].map { shards[$0] } }

    /// Tensor `name` converted to Float32 (see `SafeTensorsFile.tensor(_:)`). Errors about the
    /// tensor's data name its shard file.
    public func tensor(_ name: String) throws(CheckpointError) -> Tensor {
        guard let shard = location[name] else {
            throw .tensorNotFound(path: indexURL?.path(percentEncoded: false) ?? shards.first?.url.path(percentEncoded: false) ?? "",
                                  tensor: name)
        }
        return try shards[shard].tensor(name)
    }

    /// Every tensor, converted to Float32.
    public func loadAll() throws(CheckpointError) -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        tensors.reserveCapacity(tensorNames.count)
        for name in tensorNames { tensors[name] = try tensor(name) }
        return tensors
    }

    // MARK: - Index

    private struct Index {
        var weightMap: [String: String]
        var metadata: [String: String]
    }

    /// Reads and checks the index with the strict header parser (which, among other things, rejects
    /// a tensor listed twice: JSON objects with duplicate keys).
    private static func parseIndex(at url: URL) throws(CheckpointError) -> Index {
        let path = url.path(percentEncoded: false)
        guard url.isFileURL else { throw .cannotOpen(path: url.absoluteString, reason: "not a file URL") }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .cannotOpen(path: path, reason: error.localizedDescription)
        }
        let root: JSONValue
        do {
            root = try JSONValue.parse(data, file: path, options: .strict)
        } catch {
            throw .invalidIndex(path: path, reason: "not valid JSON: \(error.reason) at \(error.position)")
        }
        guard let fields = root.objectValue else { throw .invalidIndex(path: path, reason: "expected a JSON object, found \(root.summary)") }
        guard let weightMapValue = fields["weight_map"] else { throw .invalidIndex(path: path, reason: "no \"weight_map\"") }
        guard let entries = weightMapValue.objectValue else {
            throw .invalidIndex(path: path, reason: "\"weight_map\" must be an object, found \(weightMapValue.summary)")
        }
        var weightMap: [String: String] = [:]
        for (tensor, value) in entries {
            guard case .string(let shard) = value else {
                throw .invalidIndex(path: path, reason: "\"weight_map\" entry '\(tensor)' must be a file name, found \(value.summary)")
            }
            // A shard must be inside the checkpoint's folder: an index from a download must not be able
            // to make us open arbitrary files.
            let components = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard !shard.isEmpty, !shard.hasPrefix("/"), !components.contains(".."), !components.contains("") else {
                throw .invalidIndex(path: path, reason: "shard file name '\(shard)' (for '\(tensor)') is not a relative path inside the folder")
            }
            weightMap[tensor] = shard
        }
        var metadata: [String: String] = [:]
        switch fields["metadata"] {
        case nil, .null?:
            break
        case .object(let members)?:
            for member in members {
                let key = member.key, value = member.value
                switch value {
                case .string(let s): metadata[key] = s
                case .integer(let n): metadata[key] = String(n)
                case .bigInteger(let digits): metadata[key] = digits
                case .number(let d): metadata[key] = "\(d)"
                case .bool(let b): metadata[key] = String(b)
                case .null: break
                case .object, .array: metadata[key] = value.summary
                }
            }
        case let other?:
            throw .invalidIndex(path: path, reason: "\"metadata\" must be an object, found \(other.summary)")
        }
        return Index(weightMap: weightMap, metadata: metadata)
    }

    /// Tensor name → shard, rejecting names present in more than one shard.
    private static func locateTensors(
        in shards: [SafeTensorsFile], names: [String], reportingAs path: String
    ) throws(CheckpointError) -> [String: Int] {
        var location: [String: Int] = [:]
        for (i, shard) in shards.enumerated() {
            for tensor in shard.tensorNames {
                if let previous = location[tensor] {
                    throw .tensorInMultipleShards(path: path, tensor: tensor, shards: [names[previous], names[i]])
                }
                location[tensor] = i
            }
        }
        return location
    }
}
