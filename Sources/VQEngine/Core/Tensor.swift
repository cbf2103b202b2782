/// A dense, row-major (C-contiguous) tensor of `Float` with value semantics.
///
/// Copies share storage until one of them is written (copy-on-write). A tensor produced by an
/// operation on a tensor watched by a `Tape` carries a link to that tape, so its gradient can be
/// computed; all other tensors (inference) carry none and no operation records anything for them.
public struct Tensor {
    /// The size of each dimension, outermost first (PyTorch's `shape`).
    public private(set) var shape: [Int]
    var storage: TensorStorage
    /// Where this tensor sits on a tape, if its gradient is wanted.
    var tapeLink: TapeLink?

    init(shape: [Int], storage: TensorStorage) {
        assert(shape.reduce(1, *) == storage.count, "Tensor: shape \(shape) does not hold \(storage.count) elements")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of `shape` filled with zeros.
    public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }

    /// A tensor of `shape` filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        Tensor.validate(shape: shape)
        self.init(shape: shape, storage: TensorStorage(repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        Tensor.validate(shape: shape)
        let count = shape.reduce(1, *)
        precondition(scalars.count == count,
                     "Tensor(shape:scalars:): shape \(shape) holds \(count) elements but \(scalars.count) scalars were given")
        let storage = TensorStorage(uninitializedCount: count)
        scalars.withUnsafeBufferPointer { storage.pointer.initialize(from: $0.baseAddress!, count: count) }
        self.init(shape: shape, storage: storage)
    }

    /// A rank-0 tensor holding one value.
    public init(_ scalar: Float) { self.init(shape: [], scalars: [scalar]) }

    /// A tensor whose elements are not initialised; the caller writes every one of them.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(uninitializedCount: shape.reduce(1, *)))
    }

    private static func validate(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
    }

    /// The number of elements.
    public var count: Int { storage.count }
    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The elements in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "Tensor.item: tensor of shape \(shape) has \(count) elements, not 1")
        return storage.pointer[0]
    }

    /// The element at a row-major flat index.
    public subscript(flat index: Int) -> Float {
        get {
            precondition(index >= 0 && index < count, "Tensor[flat:]: index \(index) out of range for \(count) elements")
            return storage.pointer[index]
        }
        set {
            precondition(index >= 0 && index < count, "Tensor[flat:]: index \(index) out of range for \(count) elements")
            makeUnique()
            storage.pointer[index] = newValue
        }
    }

    /// Calls `body` with the elements, read-only.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Calls `body` with the elements, writable; copies the storage first if it is shared.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// The same values with no link to any tape: gradients stop here (`sg[.]` in the VQ-VAE paper,
    /// PyTorch's `detach()`).
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// Whether an operation on this tensor will be recorded for differentiation.
    public var isTracked: Bool { tapeLink?.tape?.isRecording ?? false }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), scalars: [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
