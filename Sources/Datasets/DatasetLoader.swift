// Loading a JSONL dataset into tokenized examples. Nothing is dropped silently: a bad row is an
// error naming file, line and field, unless the caller asked to skip bad rows, in which case the
// report counts (and lists) every skipped row.

/// What to do with a row that cannot be used.
public enum InvalidRowPolicy: String, Sendable, Codable {
    /// Throw the row's `DatasetError` (default).
    case fail
    /// Leave the row out and record it in the `LoadReport`.
    case skip
}

/// What loading did.
public struct LoadReport: Sendable, Equatable {
    /// Non-empty lines read.
    public var rowsRead = 0
    /// Rows turned into examples.
    public var rowsUsed = 0
    /// Rows left out (only with `InvalidRowPolicy.skip`), with the reason.
    public var skipped: [DatasetError] = []
    /// Rows that truncation shortened (only with `allowTruncation`).
    public var truncated = 0

    public init() {}
}

/// Tokenized examples and the report of how they were loaded.
public struct LoadedDataset<Example: Sendable>: Sendable {
    public var examples: [Example]
    public var report: LoadReport
}

public enum DatasetLoader {
    /// Reads `path` and tokenizes every row with `transform`.
    public static func load<Example: Sendable>(_ path: String, policy: InvalidRowPolicy = .fail,
                                               _ transform: (DatasetRecord, RowLocation) throws -> Example) throws -> LoadedDataset<Example> {
        let rows = try JSONLReader.read(path)
        return try load(rows, file: path, policy: policy, transform)
    }

    /// Tokenizes already-read rows.
    public static func load<Example: Sendable>(_ rows: [JSONLRow], file: String, policy: InvalidRowPolicy = .fail,
                                               _ transform: (DatasetRecord, RowLocation) throws -> Example) throws -> LoadedDataset<Example> {
        var report = LoadReport()
        var examples: [Example] = []
        examples.reserveCapacity(rows.count)
        for row in rows {
            report.rowsRead += 1
            do {
                let record = try DatasetRecord(row.object, at: row.location)
                examples.append(try transform(record, row.location))
                report.rowsUsed += 1
            } catch let e as DatasetError {
                guard policy == .skip else { throw e }
                report.skipped.append(e)
            }
        }
        guard !examples.isEmpty else { throw DatasetError.empty(file: file) }
        return LoadedDataset(examples: examples, report: report)
    }

    /// Preference pairs for DPO-family trainers and reward models.
    public static func preferences(_ path: String, encoder: DatasetEncoder, policy: InvalidRowPolicy = .fail) throws -> LoadedDataset<PreferenceExample> {
        var d = try load(path, policy: policy) { try encoder.encodePreference($0, at: $1) }
        d.report.truncated = d.examples.filter { $0.chosen.truncated || $0.rejected.truncated }.count
        return d
    }

    /// Sequences for SFT (language modelling, prompt-completion, stepwise).
    public static func sequences(_ path: String, encoder: DatasetEncoder, policy: InvalidRowPolicy = .fail) throws -> LoadedDataset<SequenceExample> {
        var d = try load(path, policy: policy) { try encoder.encodeSequence($0, at: $1) }
        d.report.truncated = d.examples.filter(\.sequence.truncated).count
        return d
    }

    /// Unpaired preference rows for KTO.
    public static func unpaired(_ path: String, encoder: DatasetEncoder, policy: InvalidRowPolicy = .fail) throws -> LoadedDataset<UnpairedExample> {
        var d = try load(path, policy: policy) { try encoder.encodeUnpaired($0, at: $1) }
        d.report.truncated = d.examples.filter(\.sequence.truncated).count
        return d
    }
}
