// Sharded safetensors checkpoints: the index, the folder lookup, and every inconsistency between
// the index and the shards.
import Foundation
import Testing
import TensorCore
@testable import Checkpoints

@Suite("Sharded safetensors")
struct ShardedSafeTensorsTests {
    static let shardA = "model-00001-of-00002.safetensors"
    static let shardB = "model-00002-of-00002.safetensors"

    static let tensorsA: [String: Tensor] = [
        "model.embed_tokens.weight": Tensor(shape: [4, 3], data: (0 ..< 12).map { Float($0) * 0.5 }),
        "model.layers.0.weight": Tensor(shape: [2, 2], data: [1, -2, 3, -4]),
    ]
    static let tensorsB: [String: Tensor] = [
        "model.layers.1.weight": Tensor(shape: [2, 3], data: [6, 5, 4, 3, 2, 1]),
        "model.norm.weight": Tensor(shape: [3], data: [1, 1, 0.25]),
    ]

    /// Writes the two shards into `dir`.
    static func writeShards(in dir: URL) throws {
        try SafeTensors.write(tensorsA, to: dir.appendingPathComponent(shardA))
        try SafeTensors.write(tensorsB, to: dir.appendingPathComponent(shardB))
    }

    /// An index JSON mapping every tensor of `tensorsA`/`tensorsB` to its shard, edited by `edit`.
    static func indexJSON(_ edit: (inout [String: String]) -> Void = { _ in }) -> String {
        var map: [String: String] = [:]
        for name in tensorsA.keys { map[name] = shardA }
        for name in tensorsB.keys { map[name] = shardB }
        edit(&map)
        let entries = map.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ",\n    ")
        return """
            {
              "metadata": {"total_size": 120, "format": "pt"},
              "weight_map": {
                \(entries)
              }
            }
            """
    }

    static func write(_ text: String, to url: URL) throws { try Data(text.utf8).write(to: url) }

    @Test func indexedCheckpointLoadsEveryTensorFromItsShard() throws {
        try withTemporaryDirectory { dir in
            try Self.writeShards(in: dir)
            let indexURL = dir.appendingPathComponent("model.safetensors.index.json")
            try Self.write(Self.indexJSON(), to: indexURL)

            let checkpoint = try ShardedSafeTensors(indexURL: indexURL)
            #expect(checkpoint.indexURL == indexURL)
            #expect(checkpoint.shards.map(\.url.lastPathComponent) == [Self.shardA, Self.shardB])
            #expect(checkpoint.metadata == ["total_size": "120", "format": "pt"])
            let all = Self.tensorsA.merging(Self.tensorsB) { a, _ in a }
            #expect(checkpoint.tensorNames == all.keys.sorted())
            let loaded = try checkpoint.loadAll()
            for (name, tensor) in all {
                #expect(loaded[name]?.shape == tensor.shape, "\(name)")
                #expect(loaded[name]?.scalars == tensor.scalars, "\(name)")
                #expect(try checkpoint.tensor(name).scalars == tensor.scalars)
                #expect(checkpoint.info(name)?.shape == tensor.shape)
            }
            #expect(checkpoint.shard(containing: "model.norm.weight")?.url.lastPathComponent == Self.shardB)
            #expect(checkpoint.shard(containing: "nope") == nil)
            #expect(throws: CheckpointError.tensorNotFound(path: indexURL.path(percentEncoded: false), tensor: "nope")) {
                try checkpoint.tensor("nope")
            }

            // The folder helper finds the same checkpoint through the index.
            #expect(try ShardedSafeTensors.locate(in: dir) == .indexed(indexURL))
            #expect(try ShardedSafeTensors(folder: dir).tensorNames == checkpoint.tensorNames)
        }
    }

    @Test func tensorsAShardHoldsButTheIndexOmitsAreStillServed() throws {
        try withTemporaryDirectory { dir in
            try Self.writeShards(in: dir)
            let indexURL = dir.appendingPathComponent("model.safetensors.index.json")
            try Self.write(Self.indexJSON { $0["model.norm.weight"] = nil }, to: indexURL)
            let checkpoint = try ShardedSafeTensors(indexURL: indexURL)
            #expect(try checkpoint.tensor("model.norm.weight").scalars == [1, 1, 0.25])
        }
    }

    @Test func folderLookupPrefersTheSingleFileThenTheIndexThenAllShards() throws {
        try withTemporaryDirectory { dir in
            #expect(throws: CheckpointError.noCheckpointFound(path: dir.path(percentEncoded: false))) {
                try ShardedSafeTensors.locate(in: dir)
            }
            #expect(throws: CheckpointError.self) { try ShardedSafeTensors.locate(in: dir.appendingPathComponent("missing")) }

            // No index: every *.safetensors, sorted; hidden files and other files ignored.
            try Self.writeShards(in: dir)
            try Self.write("junk", to: dir.appendingPathComponent(".hidden.safetensors"))
            try Self.write("{}", to: dir.appendingPathComponent("config.json"))
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("dir.safetensors"), withIntermediateDirectories: true)
            let shards = [Self.shardA, Self.shardB].map { dir.appendingPathComponent($0) }
            #expect(try ShardedSafeTensors.locate(in: dir) == .shards(shards))
            let fromShards = try ShardedSafeTensors(folder: dir)
            #expect(fromShards.indexURL == nil)
            #expect(fromShards.tensorNames.count == 4)
            #expect(try fromShards.tensor("model.layers.1.weight").scalars == [6, 5, 4, 3, 2, 1])

            // A single index with another prefix.
            let otherIndex = dir.appendingPathComponent("diffusion_pytorch_model.safetensors.index.json")
            try Self.write(Self.indexJSON(), to: otherIndex)
            #expect(try ShardedSafeTensors.locate(in: dir) == .indexed(otherIndex))

            // model.safetensors.index.json wins over other indexes.
            let index = dir.appendingPathComponent("model.safetensors.index.json")
            try Self.write(Self.indexJSON(), to: index)
            #expect(try ShardedSafeTensors.locate(in: dir) == .indexed(index))

            // model.safetensors wins over everything.
            let single = dir.appendingPathComponent("model.safetensors")
            try SafeTensors.write(["only": Tensor(shape: [1], data: [9])], to: single)
            #expect(try ShardedSafeTensors.locate(in: dir) == .single(single))
            let checkpoint = try ShardedSafeTensors(folder: dir)
            #expect(checkpoint.tensorNames == ["only"])
            #expect(try checkpoint.tensor("only").scalars == [9])
        }
    }

    // MARK: Errors

    @Test func indexNamingAMissingShardIsRejected() throws {
        try withTemporaryDirectory { dir in
            try SafeTensors.write(Self.tensorsA, to: dir.appendingPathComponent(Self.shardA))
            let indexURL = dir.appendingPathComponent("model.safetensors.index.json")
            try Self.write(Self.indexJSON(), to: indexURL)
            #expect(throws: CheckpointError.missingShard(path: indexURL.path(percentEncoded: false), shard: Self.shardB)) {
                try ShardedSafeTensors(indexURL: indexURL)
            }
        }
    }

    @Test func tensorListedButAbsentFromItsShardIsRejected() throws {
        try withTemporaryDirectory { dir in
            try Self.writeShards(in: dir)
            let indexURL = dir.appendingPathComponent("model.safetensors.index.json")
            try Self.write(Self.indexJSON { $0["model.ghost.weight"] = Self.shardB }, to: indexURL)
            #expect(throws: CheckpointError.tensorMissingFromShard(path: indexURL.path(percentEncoded: false),
                                                                   tensor: "model.ghost.weight", shard: Self.shardB)) {
                try ShardedSafeTensors(indexURL: indexURL)
            }
            // Listed in the wrong shard: absent from the one named.
            try Self.write(Self.indexJSON { $0["model.norm.weight"] = Self.shardA }, to: indexURL)
            #expect(throws: CheckpointError.tensorMissingFromShard(path: indexURL.path(percentEncoded: false),
                                                                   tensor: "model.norm.weight", shard: Self.shardA)) {
                try ShardedSafeTensors(indexURL: indexURL)
            }
        }
    }

    @Test func tensorPresentInTwoShardsIsRejected() throws {
        try withTemporaryDirectory { dir in
            try SafeTensors.write(Self.tensorsA, to: dir.appendingPathComponent(Self.shardA))
            var b = Self.tensorsB
            b["model.layers.0.weight"] = Tensor(shape: [1], data: [0])
            try SafeTensors.write(b, to: dir.appendingPathComponent(Self.shardB))
            let indexURL = dir.appendingPathComponent("model.safetensors.index.json")
            try Self.write(Self.indexJSON(), to: indexURL)
            #expect(throws: CheckpointError.tensorInMultipleShards(path: indexURL.path(percentEncoded: false),
                                                                   tensor: "model.layers.0.weight", shards: [Self.shardA, Self.shardB])) {
                try ShardedSafeTensors(indexURL: indexURL)
            }
            // Without an index, too.
            try FileManager.default.removeItem(at: indexURL)
            #expect(throws: CheckpointError.tensorInMultipleShards(path: dir.path(percentEncoded: false),
                                                                   tensor: "model.layers.0.weight", shards: [Self.shardA, Self.shardB])) {
                try ShardedSafeTensors(folder: dir)
            }
        }
    }

    static let badIndexes: [(name: String, json: String, reason: String)] = [
        ("not JSON", "{\"weight_map\": {", "not valid JSON"),
        ("trailing comma", "{\"weight_map\": {\"a\": \"x.safetensors\",}}", "not valid JSON"),
        ("tensor listed twice", "{\"weight_map\": {\"a\": \"x.safetensors\", \"a\": \"y.safetensors\"}}", "not valid JSON"),
        ("array root", "[]", "expected a JSON object"),
        ("no weight_map", "{\"metadata\": {}}", "no \"weight_map\""),
        ("weight_map not an object", "{\"weight_map\": [\"x\"]}", "must be an object"),
        ("shard not a string", "{\"weight_map\": {\"a\": 3}}", "must be a file name"),
        ("metadata not an object", "{\"metadata\": 3, \"weight_map\": {}}", "\"metadata\" must be an object"),
        ("parent directory", "{\"weight_map\": {\"a\": \"../x.safetensors\"}}", "not a relative path"),
        ("absolute path", "{\"weight_map\": {\"a\": \"/etc/x.safetensors\"}}", "not a relative path"),
        ("empty shard name", "{\"weight_map\": {\"a\": \"\"}}", "not a relative path"),
    ]

    @Test(arguments: badIndexes.indices)
    func malformedIndexIsRejected(_ i: Int) throws {
        let (name, json, reason) = Self.badIndexes[i]
        try withTemporaryDirectory { dir in
            let indexURL = dir.appendingPathComponent("model.safetensors.index.json")
            try Self.write(json, to: indexURL)
            do {
                _ = try ShardedSafeTensors(indexURL: indexURL)
                Issue.record("\(name): opened")
            } catch let error as CheckpointError {
                guard case .invalidIndex(let path, let message) = error else {
                    Issue.record("\(name): \(error)")
                    return
                }
                #expect(path == indexURL.path(percentEncoded: false))
                #expect(message.contains(reason), "\(name): \(message)")
                #expect("\(error)".contains("model.safetensors.index.json"))
            }
        }
    }

    @Test func missingIndexFileCannotBeOpened() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("model.safetensors.index.json")
            #expect {
                try ShardedSafeTensors(indexURL: url)
            } throws: { error in
                guard let error = error as? CheckpointError, case .cannotOpen(let path, _) = error else { return false }
                return path == url.path(percentEncoded: false)
            }
        }
    }

    @Test func brokenShardReportsTheShardFile() throws {
        try withTemporaryDirectory { dir in
            try Self.writeShards(in: dir)
            let shardURL = dir.appendingPathComponent(Self.shardB)
            try Data([1, 2, 3]).write(to: shardURL)
            let indexURL = dir.appendingPathComponent("model.safetensors.index.json")
            try Self.write(Self.indexJSON(), to: indexURL)
            #expect(throws: CheckpointError.fileTooShort(path: shardURL.path(percentEncoded: false), fileSize: 3)) {
                try ShardedSafeTensors(indexURL: indexURL)
            }
        }
    }
}
