// Errors for bad user input to the RL maths: wrong shapes, non-finite rewards or values, missing
// inputs, groups too small for an estimator, unknown setting values. Thrown, never trapped: these
// come from data and configuration, not from programming errors.

/// What is wrong with the inputs of an advantage estimator or a policy loss.
public enum RLInputError: Error, Equatable, CustomStringConvertible {
    /// A per-token field is not [B, T] (or a per-row field is not [B]).
    case shape(field: String, got: [Int], expected: [Int])
    /// A value that is read (a trained position, or a per-row value) is NaN or infinite.
    case nonFinite(field: String, row: Int, position: Int?, value: Float)
    /// The method needs an input the batch does not have.
    case missing(field: String, method: String)
    /// A group has fewer rows than the method needs.
    case groupTooSmall(method: String, group: Int, size: Int, needed: Int)
    /// A setting has a value the method does not accept.
    case invalidSetting(key: String, value: String, reason: String)

    public var description: String {
        switch self {
        case let .shape(field, got, expected):
            "\(field): shape \(got), expected \(expected)"
        case let .nonFinite(field, row, position, value):
            if let position { "\(field): row \(row), position \(position) is \(value)" }
            else { "\(field): row \(row) is \(value)" }
        case let .missing(field, method):
            "\(method) needs \(field), which the batch does not have"
        case let .groupTooSmall(method, group, size, needed):
            "\(method): group \(group) has \(size) response(s); it needs at least \(needed)"
        case let .invalidSetting(key, value, reason):
            "setting \(key) = \(value): \(reason)"
        }
    }
}
