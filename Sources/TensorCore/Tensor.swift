// The tensor value type: Float32, contiguous row-major storage with a shape.
//
// Value semantics with copy-on-write: a `Tensor` is a (storage, offset, shape) triple; copies share
// storage until one of them is mutated. Views that are free in contiguous layout (reshape, a range
// of rows along the first axis) share storage too. Everything else produces a new buffer.

/// A dense Float32 tensor.
public struct Tensor: Sendable {
    /// Extent of each axis; `[]` is a scalar.
    public private(set) var shape: [Int]
    /// Number of elements (product of `shape`).
    public private(set) var count: Int
    @usableFromInline var storage: TensorStorage
    @usableFromInline var offset: Int

    // MARK: - Construction

    /// A tensor whose contents are undefined; kernels that overwrite every element use this.
    public init(uninitializedShape shape: [Int]) {
        let n = Tensor.elementCount(shape)
        self.shape = shape
        self.count = n
        self.storage = TensorStorage(capacity: n)
        self.offset = 0
    }

    /// A tensor filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(uninitializedShape: shape)
        let p = storage.base
        p.update(repeating: value, count: count)
    }

    /// A tensor holding `data` in row-major order. `data.count` must equal the shape's element count.
    public init(shape: [Int], data: [Float]) {
        precondition(Tensor.elementCount(shape) == data.count,
                     "Tensor(shape: \(shape), data:): \(data.count) values for \(Tensor.elementCount(shape)) elements")
        self.init(uninitializedShape: shape)
        data.withUnsafeBufferPointer { src in
            storage.base.update(from: src.baseAddress!, count: data.count)
        }
    }

    /// A tensor built by copying `count` floats from `pointer`.
    public init(shape: [Int], copying pointer: UnsafePointer<Float>) {
        self.init(uninitializedShape: shape)
        storage.base.update(from: pointer, count: count)
    }

    /// A rank-0 tensor.
    public init(_ scalar: Float) {
        self.init(shape: [], data: [scalar])
    }

    /// A rank-1 tensor.
    public init(_ values: [Float]) {
        self.init(shape: [values.count], data: values)
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }
    public static func zeros(like t: Tensor) -> Tensor { Tensor(shape: t.shape, repeating: 0) }

    /// `[0, 1, …, n-1]`.
    public static func arange(_ n: Int) -> Tensor {
        var t = Tensor(uninitializedShape: [n])
        t.withUnsafeMutableBufferPointer { p in for i in 0 ..< n { p[i] = Float(i) } }
        return t
    }

    @inlinable
    public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            precondition(d >= 0, "negative dimension in shape \(shape)")
            n *= d
        }
        return n
    }

    // MARK: - Access

    public var rank: Int { shape.count }

    /// The elements in row-major order.
    public var scalars: [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar: tensor of shape \(shape) has \(count) elements")
        return storage.base[offset]
    }

    /// Element access by flat (row-major) index. For tests and small bookkeeping, not hot loops.
    public subscript(flat i: Int) -> Float {
        get {
            precondition(i >= 0 && i < count, "flat index \(i) out of range for \(count) elements")
            return storage.base[offset + i]
        }
        set {
            precondition(i >= 0 && i < count, "flat index \(i) out of range for \(count) elements")
            makeUnique()
            storage.base[offset + i] = newValue
        }
    }

    /// Element access by multi-index.
    public subscript(_ index: Int...) -> Float {
        get { self[flat: flatIndex(index)] }
        set { self[flat: flatIndex(index)] = newValue }
    }

    func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) for shape \(shape)")
        var f = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of range for shape \(shape)")
            f = f * d + i
        }
        return f
    }

    /// Read-only access to the contiguous elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base + offset, count: count))
    }

    /// Mutable access to the contiguous elements (copies first if the storage is shared).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.base + offset, count: count))
    }

    /// Base pointer for kernels that only read. Valid while `self` is alive.
    @inlinable
    public var unsafePointer: UnsafePointer<Float> { UnsafePointer(storage.base + offset) }

    /// Base pointer for kernels that write into a tensor they just created (`init(uninitializedShape:)`)
    /// and therefore own uniquely.
    @inlinable
    public var unsafeMutablePointer: UnsafeMutablePointer<Float> { storage.base + offset }

    @inlinable
    public mutating func makeUnique() {
        if isKnownUniquelyReferenced(&storage) { return }
        let fresh = TensorStorage(capacity: count)
        fresh.base.update(from: storage.base + offset, count: count)
        storage = fresh
        offset = 0
    }

    /// True when both tensors view the same memory (used by tests of view semantics).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

    // MARK: - Free views

    /// The same elements with a new shape; one dimension may be `-1` (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var dims = newShape
        if let k = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != k }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshaped: cannot infer -1 in \(newShape) for \(count) elements")
            dims[k] = count / known
        }
        precondition(Tensor.elementCount(dims) == count, "reshaped: \(shape) (\(count) elements) to \(newShape)")
        var t = self
        t.shape = dims
        return t
    }

    /// Rows `range` along axis 0, sharing storage.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "rows(\(range)) of shape \(shape)")
        let inner = shape[0] == 0 ? 0 : count / shape[0]
        var t = self
        t.shape[0] = range.count
        t.count = range.count * inner
        t.offset = offset + range.lowerBound * inner
        return t
    }

    /// Row `i` along axis 0 (rank reduced by one), sharing storage.
    public func row(_ i: Int) -> Tensor {
        var t = rows(i ..< i + 1)
        t.shape.removeFirst()
        return t
    }

    /// Adds a unit axis at `axis`.
    public func expandingDimensions(at axis: Int) -> Tensor {
        var s = shape
        let a = axis < 0 ? axis + rank + 1 : axis
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// Removes unit axes (all of them, or the one at `axis`).
    public func squeezed(axis: Int? = nil) -> Tensor {
        if let axis {
            let a = normalizedAxis(axis)
            precondition(shape[a] == 1, "squeezed(axis: \(axis)) of shape \(shape)")
            var s = shape
            s.remove(at: a)
            return reshaped(s)
        }
        return reshaped(shape.filter { $0 != 1 })
    }

    /// Axis index in `0..<rank` from a possibly negative one.
    public func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for shape \(shape)")
        return a
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let vals = withUnsafeBufferPointer { p in p.prefix(8).map { "\($0)" } }
        return "Tensor(\(shape), [\(vals.joined(separator: ", "))\(count > 8 ? ", …" : "")])"
    }
}

/// An integer tensor for token ids, labels and indices.
public struct IndexTensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Int32]

    public init(shape: [Int], data: [Int32]) {
        precondition(Tensor.elementCount(shape) == data.count,
                     "IndexTensor(shape: \(shape)): \(data.count) values")
        self.shape = shape
        self.data = data
    }

    public init(_ values: [Int]) {
        self.init(shape: [values.count], data: values.map { Int32($0) })
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    public func reshaped(_ newShape: [Int]) -> IndexTensor {
        IndexTensor(shape: newShape, data: data)
    }
}
